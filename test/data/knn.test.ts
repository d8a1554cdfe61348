import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { bruteForceKnn, exactKnn, exactKnnInWorker, KD_TREE_MIN_ROWS, KNN_COLUMN_BLOCK, principalDirections, projectedKdTreeKnn, type TopK } from '../../src/data/knn.js';
import { BEAT_LENGTH, generateSynthetic } from '../../src/data/synthetic.js';
import { bruteKnn, randomSignals } from './helpers.js';

function assertEqualsBrute(top: TopK, x: Float32Array, n: number, d: number, k: number, what: string): void {
  const brute = bruteKnn(x, n, d, k);
  for (let i = 0; i < n; i++) {
    const got = Array.from(top.idx.subarray(i * k, i * k + k)).filter((j) => j >= 0);
    assert.deepEqual(got, brute[i], `${what}: row ${i}`);
  }
}

test('tiled brute force equals a direct brute force (sizes around the 4-row tiles and the column blocks)', () => {
  for (const n of [1, 2, 3, 5, 6, 9, 31, KNN_COLUMN_BLOCK + 3, 2 * KNN_COLUMN_BLOCK + 1]) {
    const x = randomSignals(n, 13, 1, n);
    assertEqualsBrute(bruteForceKnn(x, n, 13, 5), x, n, 13, 5, `n=${n}`);
  }
});

test('projected k-d tree search is exact: heartbeats of one class and unstructured random data', () => {
  const syn = generateSynthetic({ n: 4000, seed: 3 });
  const rows: number[] = [];
  for (let i = 0; i < syn.count && rows.length < 500; i++) if (syn.labels.classIndex[i] === 0) rows.push(i);
  const beats = new Float32Array(rows.length * BEAT_LENGTH);
  rows.forEach((i, r) => beats.set(syn.signals.subarray(i * BEAT_LENGTH, (i + 1) * BEAT_LENGTH), r * BEAT_LENGTH));
  assertEqualsBrute(projectedKdTreeKnn(beats, rows.length, BEAT_LENGTH, 5), beats, rows.length, BEAT_LENGTH, 5, 'beats');
  const noise = randomSignals(400, 40, 1, 4);
  assertEqualsBrute(projectedKdTreeKnn(noise, 400, 40, 5), noise, 400, 40, 5, 'noise');
  // Fewer directions than dimensions of variation, and a rank-deficient input.
  assertEqualsBrute(projectedKdTreeKnn(noise, 400, 40, 3, 2), noise, 400, 40, 3, 'm=2');
  const flat = new Float32Array(50 * 10);
  for (let i = 0; i < 50; i++) flat[i * 10] = i % 7;
  assertEqualsBrute(projectedKdTreeKnn(flat, 50, 10, 4), flat, 50, 10, 4, 'rank 1 with ties');
});

test('principal directions are orthonormal', () => {
  const x = randomSignals(300, 20, 1, 8);
  const v = principalDirections(x, 300, 20, 6);
  for (let a = 0; a < 6; a++) {
    for (let b = 0; b < 6; b++) {
      let dot = 0;
      for (let t = 0; t < 20; t++) dot += v[t * 6 + a]! * v[t * 6 + b]!;
      assert.ok(Math.abs(dot - (a === b ? 1 : 0)) < 1e-9, `v${a}·v${b} = ${dot}`);
    }
  }
});

test('ties are broken by the smaller index (duplicated rows), in both methods', () => {
  const d = 4;
  const x = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  for (const top of [bruteForceKnn(x, 5, d, 3), projectedKdTreeKnn(x, 5, d, 3)]) {
    assert.deepEqual(Array.from(top.idx.subarray(0, 3)), [2, 3, 1]);
    assert.deepEqual(Array.from(top.idx.subarray(3, 6)), [4, 0, 2]);
  }
});

test('exactKnn in a worker thread equals the same search in this thread', async () => {
  const n = KD_TREE_MIN_ROWS + 100;
  const x = randomSignals(n, 16, 1, 9);
  const here = exactKnn(x, n, 16, 5);
  const there = await exactKnnInWorker(x, n, 16, 5);
  assert.deepEqual(there.idx, here.idx);
  assert.deepEqual(here.idx, bruteForceKnn(x, n, 16, 5).idx);
});
