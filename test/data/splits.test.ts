import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { classCounts, multiClassLabels, multiLabelLabels, strataOf } from '../../src/data/labels.js';
import { groupSplit, splitIndices, SplitError, stratifiedSplit, type SplitIndices } from '../../src/data/splits.js';
import { generateSynthetic } from '../../src/data/synthetic.js';
import { labelsWithCounts } from './helpers.js';

function assertPartition(s: SplitIndices, n: number): void {
  const all = [...s.train, ...s.val, ...s.test].sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: n }, (_, i) => i), 'every sample in exactly one split');
  for (const part of [s.train, s.val, s.test]) for (let i = 1; i < part.length; i++) assert.ok(part[i - 1]! < part[i]!, 'ascending');
}

test('stratified split keeps every class in the requested proportions (val/test keep the natural balance)', () => {
  const counts = [828, 25, 66, 7, 74];
  const labels = multiClassLabels(labelsWithCounts(counts), ['N', 'S', 'V', 'F', 'Q']);
  const s = stratifiedSplit(labels, { val: 0.15, test: 0.2, seed: 4 });
  assertPartition(s, 1000);
  const val = classCounts(labels, s.val);
  const test = classCounts(labels, s.test);
  const train = classCounts(labels, s.train);
  counts.forEach((n, c) => {
    assert.equal(val[c], Math.round(n * 0.15), `val class ${c}`);
    assert.equal(test[c], Math.round(n * 0.2), `test class ${c}`);
    assert.equal(train[c], n - val[c]! - test[c]!);
  });
  assert.deepEqual(stratifiedSplit(labels, { val: 0.15, test: 0.2, seed: 4 }), s, 'deterministic');
  assert.notDeepEqual(stratifiedSplit(labels, { val: 0.15, test: 0.2, seed: 5 }).val, s.val, 'seeded');
});

test('stratified split keeps at least one training sample of a tiny class', () => {
  const labels = multiClassLabels(Int32Array.from([0, 0, 0, 0, 0, 0, 1, 2, 2]), ['a', 'b', 'c']);
  const s = stratifiedSplit(labels, { val: 0.4, test: 0.4, seed: 0 });
  const train = classCounts(labels, s.train);
  assert.ok(train.every((n) => n >= 1), `train counts ${train}`);
  assertPartition(s, 9);
});

test('group split: no group in two splits, fractions approximately met, every class in every split when possible', () => {
  const data = generateSynthetic({ n: 6000, seed: 7 });
  const s = groupSplit(data.labels, data.groups!, { val: 0.15, test: 0.15, seed: 1 });
  assertPartition(s, 6000);
  const groupsOf = (rows: Int32Array) => new Set(Array.from(rows, (i) => data.groups![i]!));
  const [gt, gv, gs] = [groupsOf(s.train), groupsOf(s.val), groupsOf(s.test)];
  for (const g of gv) assert.ok(!gt.has(g) && !gs.has(g), `group ${g} leaks`);
  for (const g of gs) assert.ok(!gt.has(g), `group ${g} leaks`);
  assert.ok(Math.abs(s.val.length / 6000 - 0.15) < 0.05, `val fraction ${s.val.length / 6000}`);
  assert.ok(Math.abs(s.test.length / 6000 - 0.15) < 0.05, `test fraction ${s.test.length / 6000}`);
  for (const part of [s.train, s.val, s.test]) {
    const counts = classCounts(data.labels, part);
    assert.ok(counts.every((n) => n > 0), `every class present: ${counts}`);
  }
  assert.deepEqual(groupSplit(data.labels, data.groups!, { val: 0.15, test: 0.15, seed: 1 }), s, 'deterministic');
});

test('group split errors: too few groups, missing group ids, bad fractions', () => {
  const labels = multiClassLabels(Int32Array.from([0, 1, 0, 1]), ['a', 'b']);
  assert.throws(() => groupSplit(labels, Int32Array.from([1, 1, 2, 2]), { val: 0.2, test: 0.2, seed: 0 }), (e: unknown) => e instanceof SplitError && /at least 3 groups, found 2/.test(e.message));
  assert.throws(() => splitIndices(labels, null, { val: 0.2, test: 0.2, seed: 0, by: 'group' }), /needs group ids/);
  assert.throws(() => stratifiedSplit(labels, { val: 0.6, test: 0.4, seed: 0 }), /val \+ test < 1/);
  // A test fraction of 0 leaves the test split empty and needs only two groups.
  const two = groupSplit(labels, Int32Array.from([1, 1, 2, 2]), { val: 0.5, test: 0, seed: 0 });
  assert.equal(two.test.length, 0);
  assert.equal(two.train.length, 2);
});

test('multi-label data is stratified by the rarest positive label', () => {
  // Label 2 is rarest; rows with it must be spread over the splits.
  const k = 3;
  const rows: number[][] = [];
  for (let i = 0; i < 200; i++) rows.push([1, i % 2, i % 10 === 0 ? 1 : 0]);
  const labels = multiLabelLabels(Uint8Array.from(rows.flat()), ['a', 'b', 'c']);
  const { stratum } = strataOf(labels);
  assert.equal(stratum[0], 2);
  assert.equal(stratum[1], 1);
  assert.equal(stratum[2], 0);
  const s = stratifiedSplit(labels, { val: 0.2, test: 0.2, seed: 0 });
  assert.equal(classCounts(labels, s.val)[2], 4);
  assert.equal(classCounts(labels, s.test)[2], 4);
  assert.equal(labels.numClasses, k);
});
