import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { exactKnn, exactKnnParallel, KNN_COLUMN_BLOCK, shareColumnBlocks } from '../../src/data/knn.js';
import { bruteKnn, randomSignals } from './helpers.js';

test('exact kNN equals brute force (sizes around the 4-row tiles and the column blocks)', () => {
  for (const n of [1, 2, 3, 5, 6, 9, 31, KNN_COLUMN_BLOCK + 3, 2 * KNN_COLUMN_BLOCK + 1]) {
    const d = 13;
    const k = 5;
    const x = randomSignals(n, d, 1, n);
    const top = exactKnn(x, n, d, k);
    const brute = bruteKnn(x, n, d, k);
    for (let i = 0; i < n; i++) {
      const got = Array.from(top.idx.subarray(i * k, i * k + k)).filter((j) => j >= 0);
      assert.deepEqual(got, brute[i], `n=${n} row ${i}`);
    }
  }
});

test('ties are broken by the smaller index (duplicated rows)', () => {
  const d = 4;
  const x = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  const top = exactKnn(x, 5, d, 3);
  assert.deepEqual(Array.from(top.idx.subarray(0, 3)), [2, 3, 1]);
  assert.deepEqual(Array.from(top.idx.subarray(3, 6)), [4, 0, 2]);
});

test('worker-thread kNN equals the single-threaded result', async () => {
  const n = 2100;
  const d = 16;
  const x = randomSignals(n, d, 1, 9);
  const single = exactKnn(x, n, d, 5);
  const parallel = await exactKnnParallel(x, n, d, 5, 2);
  assert.deepEqual(parallel.idx, single.idx);
});

test('column blocks are shared with balanced work', () => {
  const shares = shareColumnBlocks(10 * KNN_COLUMN_BLOCK, 2);
  const work = shares.map((s) => s.reduce((a, b) => a + b + 1, 0));
  assert.deepEqual(shares.flat().sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  assert.ok(Math.abs(work[0]! - work[1]!) <= 10, `work ${work}`);
});
