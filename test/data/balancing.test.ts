import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { multiClassLabels, multiLabelLabels, rangeArray } from '../../src/data/labels.js';
import { epochSlots } from '../../src/data/epoch-order.js';
import { NaturalSet, RandomOversampledSet, type SlotRecipe } from '../../src/data/oversample.js';
import { buildSmoteNeighbourTable, cachedSmoteNeighbourTable, SmoteBalancedSet, SmoteNeighbourTable, smoteRefusal, smoteTableKey } from '../../src/data/smote.js';
import { InMemorySignalSource } from '../../src/data/source.js';
import { splitIndices } from '../../src/data/splits.js';
import { trainingDataFromArrays, BalancingError } from '../../src/data/training-data.js';
import { bruteKnn, labelsWithCounts, randomSignals, tempDir } from './helpers.js';

const recipe = (): SlotRecipe => ({ row: 0, neighbour: -1, gap: 0, label: -1 });

test('epochSlots: a pure function of (seed, epoch, size) walking through seeded permutations', () => {
  const a = epochSlots(10, 3, 2, 4);
  assert.deepEqual(epochSlots(10, 3, 2, 4), a);
  assert.notDeepEqual(epochSlots(10, 4, 2, 4), a);
  // Epochs 0..4 of size 4 are the first 20 positions: two whole permutations of 0..9.
  const stream = Array.from({ length: 5 }, (_, e) => Array.from(epochSlots(10, 3, e, 4))).flat();
  assert.deepEqual(stream.slice(0, 10).sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(stream.slice(10, 20).sort((x, y) => x - y), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(stream.slice(8, 12), Array.from(a));
  assert.throws(() => epochSlots(10, 3, -1, 4), RangeError);
});

test('random oversampling by index: every class raised to the majority count, no copies', () => {
  const counts = [600, 20, 60, 7, 70];
  const labels = multiClassLabels(labelsWithCounts(counts), ['N', 'S', 'V', 'F', 'Q']);
  const train = rangeArray(labels.count);
  const set = new RandomOversampledSet(labels, train, 1);
  assert.equal(set.size, 5 * 600);
  assert.deepEqual(set.strataSizes, [600, 600, 600, 600, 600]);
  // Over the whole balanced set each member appears floor or ceil(M / n_c) times.
  const times = new Map<number, number>();
  const perClass = [0, 0, 0, 0, 0];
  const r = recipe();
  for (let s = 0; s < set.size; s++) {
    set.resolve(s, r);
    assert.equal(r.neighbour, -1);
    assert.equal(r.label, labels.classIndex[r.row]);
    perClass[r.label]!++;
    times.set(r.row, (times.get(r.row) ?? 0) + 1);
  }
  assert.deepEqual(perClass, [600, 600, 600, 600, 600]);
  for (const [row, t] of times) {
    const n = counts[labels.classIndex[row]!]!;
    assert.ok(t === Math.floor(600 / n) || t === Math.ceil(600 / n), `row ${row} appears ${t} times`);
  }
  // An epoch of the natural size drawn from it is balanced up to sampling noise.
  const epoch = epochSlots(set.size, 9, 0, labels.count);
  const drawn = [0, 0, 0, 0, 0];
  for (const s of epoch) {
    set.resolve(s, r);
    drawn[r.label]!++;
  }
  const expected = labels.count / 5;
  for (const d of drawn) assert.ok(Math.abs(d - expected) < 4 * Math.sqrt(expected), `class draws ${drawn}`);
  // Held in memory: one int per training sample (plus a few per class), not a signal copy.
  assert.ok(set.bytes <= 4 * labels.count + 64, `bytes ${set.bytes}`);
});

test('multi-label oversampling by rarest positive label', () => {
  const rows: number[] = [];
  // 90 samples with label a only, 9 with a+b, 1 with a+c (c rarest), 0 empty.
  for (let i = 0; i < 90; i++) rows.push(1, 0, 0);
  for (let i = 0; i < 9; i++) rows.push(1, 1, 0);
  rows.push(1, 0, 1);
  const labels = multiLabelLabels(Uint8Array.from(rows), ['a', 'b', 'c']);
  const set = new RandomOversampledSet(labels, rangeArray(100), 0);
  assert.deepEqual(set.strataSizes, [90, 90, 90, 0]);
  const r = recipe();
  let withC = 0;
  for (let s = 0; s < set.size; s++) {
    set.resolve(s, r);
    assert.equal(r.label, -1, 'multi-label slots take the row labels');
    if (r.row === 99) withC++;
  }
  assert.equal(withC, 90);
});

test('SMOTE neighbour table equals brute-force kNN within each class of the training set', async () => {
  const l = 12;
  // Class b is large enough for the projected k-d tree in a worker thread; c..e use the tiled
  // brute force in this thread; d and e have fewer than k + 1 samples.
  const counts = [2800, 2400, 23, 9, 2, 1];
  const labels = multiClassLabels(labelsWithCounts(counts, 4), ['a', 'b', 'c', 'd', 'e', 'f']);
  const n = labels.count;
  const x = randomSignals(n, l, 1, 5);
  // Train on a subset: neighbours must come from training samples only.
  const train = Int32Array.from(rangeArray(n).filter((i) => i % 7 !== 0));
  const table = await buildSmoteNeighbourTable(new InMemorySignalSource(x, n, l, 1), labels, train, { k: 5, threads: 2 });
  const trainCounts = [0, 0, 0, 0, 0, 0];
  for (const i of train) trainCounts[labels.classIndex[i]!]!++;
  const majority = trainCounts.indexOf(Math.max(...trainCounts));
  for (let c = 0; c < 6; c++) {
    const [a, b] = table.classRange(c);
    const members = Array.from(train).filter((i) => labels.classIndex[i] === c);
    if (c === majority) {
      assert.equal(b - a, 0, 'the majority class needs no neighbours');
      continue;
    }
    assert.equal(b - a, members.length);
    const sub = new Float32Array(members.length * l);
    members.forEach((i, r) => sub.set(x.subarray(i * l, (i + 1) * l), r * l));
    const kEff = Math.min(5, members.length - 1);
    assert.equal(table.usableNeighbours(c), kEff);
    // Every row of the small classes, every 25th of the large one.
    const checked: number[] = [];
    for (let r = a; r < b; r += members.length > 1000 ? 25 : 1) checked.push(r);
    const brute = bruteKnn(sub, members.length, l, kEff, checked.map((r) => members.indexOf(table.sampleOf(r))));
    for (const r of checked) {
      const local = members.indexOf(table.sampleOf(r));
      const got = Array.from(table.neighboursOf(r)).slice(0, kEff);
      assert.deepEqual(got, brute[local]!.map((j) => members[j]), `class ${c} sample ${table.sampleOf(r)}`);
    }
  }
  // Round trip through the shared buffer, as a worker receives it.
  const copy = new SmoteNeighbourTable(table.buffer);
  assert.deepEqual(copy.neighboursOf(0), table.neighboursOf(0));
});

test('SMOTE balanced set: imbalanced-learn counts, synthetic samples on the segment between two same-class neighbours, O(N) integers', async () => {
  const l = 30;
  const counts = [400, 30, 60, 12, 50];
  const labels = multiClassLabels(labelsWithCounts(counts, 8), ['N', 'S', 'V', 'F', 'Q']);
  const n = labels.count;
  const x = randomSignals(n, l, 1, 6);
  const data = await trainingDataFromArrays({ signals: x, length: l, labels: labels.classIndex, classes: labels.classes, split: { val: 0.1, test: 0.1, seed: 2 } }, { balancing: 'smote', seed: 5 });
  const set = data.balanced as SmoteBalancedSet;
  const trainCounts = [0, 0, 0, 0, 0];
  const r = recipe();
  for (let s = 0; s < data.trainSize; s++) {
    set.resolve(s, r);
    trainCounts[r.label]!++;
  }
  const m = Math.max(...trainCounts);
  // sampling_strategy='auto': every class raised to the majority count.
  assert.equal(set.size, 5 * m);
  assert.equal(set.plan.size, trainCounts.reduce((a, c) => a + (m - c), 0));
  assert.deepEqual(set.strataSizes, [m, m, m, m, m]);
  const perClass = [0, 0, 0, 0, 0];
  for (let s = 0; s < set.size; s++) {
    set.resolve(s, r);
    perClass[r.label]!++;
  }
  assert.deepEqual(perClass, [m, m, m, m, m]);

  // Batches: each row is a training sample or x_i + u·(x_nn − x_i) with i, nn of its class, u in [0, 1).
  const trainSet = new Set(Array.from({ length: data.trainSize }, (_, s) => (set.resolve(s, r), r.row)));
  let synthetic = 0;
  let original = 0;
  for await (const batch of data.trainBatches(0, 64)) {
    for (let b = 0; b < batch.size; b++) {
      const row = batch.x.subarray(b * l, (b + 1) * l);
      const c = batch.labels[b]!;
      assert.equal(batch.y[b * 5 + c], 1);
      const same = [...trainSet].find((i) => x.subarray(i * l, (i + 1) * l).every((v, t) => v === row[t]));
      if (same !== undefined) {
        assert.equal(labels.classIndex[same], c);
        original++;
        continue;
      }
      // Find the plan entry that made it and check the segment property.
      let found = false;
      for (let p = 0; p < set.plan.size && !found; p++) {
        const i = set.plan.base[p]!;
        const nn = set.plan.neighbour[p]!;
        const u = set.plan.gap[p]!;
        if (set.plan.label[p] !== c) continue;
        const ok = row.every((v, t) => Math.abs(v - (x[i * l + t]! + u * (x[nn * l + t]! - x[i * l + t]!))) < 1e-6);
        if (!ok) continue;
        found = true;
        assert.ok(u >= 0 && u < 1);
        assert.equal(labels.classIndex[i], c);
        assert.equal(labels.classIndex[nn], c);
        assert.ok(trainSet.has(i) && trainSet.has(nn), 'both ends are training samples');
        assert.notEqual(i, nn);
      }
      assert.ok(found, 'synthetic row matches a plan entry');
      synthetic++;
    }
  }
  assert.ok(synthetic > 0 && original > 0, `synthetic ${synthetic}, original ${original}`);

  // Memory: the balanced set is a few integers per sample — far from a materialised copy.
  const bytes = data.balancedSetBytes;
  assert.ok(bytes <= 4 * data.trainSize + 16 * set.plan.size, `bytes ${bytes}`);
  assert.ok(bytes * 5 < set.size * l * 4, `index tables ${bytes} B vs materialised ${set.size * l * 4} B`);
});

test('SMOTE is refused for multi-label data with a clear message', async () => {
  const labels = multiLabelLabels(Uint8Array.from([1, 0, 0, 1, 1, 1, 1, 0]), ['a', 'b']);
  assert.match(smoteRefusal(labels)!, /not defined for multi-label data.*oversampled/);
  await assert.rejects(
    trainingDataFromArrays({ signals: randomSignals(4, 5), length: 5, labels, split: { train: Int32Array.from([0, 1, 2, 3]), val: new Int32Array(0), test: new Int32Array(0) } }, { balancing: 'smote', seed: 0 }),
    (e: unknown) => e instanceof BalancingError && /multi-label/.test(e.message),
  );
});

test('the neighbour table is cached on disk under a key of data, split and k', async (t) => {
  const dir = tempDir(t);
  const labels = multiClassLabels(labelsWithCounts([50, 10]), ['a', 'b']);
  const x = randomSignals(60, 8);
  const train = rangeArray(60);
  const key = smoteTableKey('data-1', labels, train, 5, 'split-a');
  assert.notEqual(smoteTableKey('data-2', labels, train, 5, 'split-a'), key);
  assert.notEqual(smoteTableKey('data-1', labels, train.subarray(1), 5, 'split-a'), key);
  assert.notEqual(smoteTableKey('data-1', labels, train, 3, 'split-a'), key);
  let builds = 0;
  const build = async () => {
    builds++;
    return buildSmoteNeighbourTable(new InMemorySignalSource(x, 60, 8, 1), labels, train);
  };
  const first = await cachedSmoteNeighbourTable(dir, key, build);
  const second = await cachedSmoteNeighbourTable(dir, key, build);
  assert.equal(builds, 1);
  assert.equal(first.cached, false);
  assert.equal(second.cached, true);
  assert.deepEqual(new Int32Array(second.table.buffer), new Int32Array(first.table.buffer));
});

test('natural set: the training set as is', () => {
  const labels = multiClassLabels(Int32Array.from([0, 1, 1, 0]), ['a', 'b']);
  const set = new NaturalSet(labels, Int32Array.from([3, 1]));
  const r = recipe();
  set.resolve(1, r);
  assert.deepEqual(r, { row: 1, neighbour: -1, gap: 0, label: 1 });
  assert.equal(set.size, 2);
});

test('an existing study keeps its split and its oversampled order (typed-array builders)', () => {
  // Digests printed by the build before splits and oversampling were built in typed arrays (a877181).
  const digest = (a: Int32Array): string => createHash('sha256').update(Buffer.from(a.buffer, a.byteOffset, a.byteLength)).digest('hex').slice(0, 16);
  const n = 5000;
  const idx = Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 97 < 80 ? 0 : (i * 31) % 5));
  const labels = multiClassLabels(idx, ['N', 'S', 'V', 'F', 'Q']);
  const split = splitIndices(labels, null, { val: 0.15, test: 0.15, by: 'stratified', seed: 3 });
  assert.deepEqual([digest(split.train), digest(split.val), digest(split.test)], ['4a468f61e3bbfaba', '7d6a92224fc0e746', 'f717347d2cb6466c']);
  const groups = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 97));
  const byGroup = splitIndices(labels, groups, { val: 0.15, test: 0.15, by: 'group', seed: 2 });
  assert.deepEqual([digest(byGroup.train), digest(byGroup.val), digest(byGroup.test)], ['2428ddac8e68be7b', '7d02bcd2678ba1c5', 'f303f7b4e7f5040f']);
  const set = new RandomOversampledSet(labels, split.train, 11);
  const r = recipe();
  const rows = new Int32Array(set.size);
  for (let s = 0; s < set.size; s++) {
    set.resolve(s, r);
    rows[s] = r.row;
  }
  assert.equal(set.size, 15045);
  assert.equal(digest(rows), '1fc6fb17cb44ecb8');
});
