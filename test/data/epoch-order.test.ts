import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { cyclePermutation, EpochOrder, epochSlots, MATERIALISED_SLOTS } from '../../src/data/epoch-order.js';

function isPermutation(values: ArrayLike<number>, size: number): boolean {
  if (values.length !== size) return false;
  const seen = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < size) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

const cycleOf = (size: number, seed: number, cycle: number, materialiseUpTo?: number): Int32Array => {
  const c = cyclePermutation(size, seed, cycle, materialiseUpTo);
  return Int32Array.from({ length: size }, (_, i) => c.at(i));
};

test('a balanced set too large to shuffle in memory is still visited as a permutation, each cycle its own', () => {
  for (const size of [1, 2, 3, 5, 17, 1000, 4097, 12345]) {
    const a = cycleOf(size, 7, 0, 0);
    assert.ok(isPermutation(a, size), `size ${size}`);
    assert.ok(isPermutation(cycleOf(size, 7, 1, 0), size), `size ${size}, cycle 1`);
  }
  assert.notDeepEqual(cycleOf(12345, 7, 0, 0), cycleOf(12345, 7, 1, 0));
  assert.notDeepEqual(cycleOf(12345, 7, 0, 0), cycleOf(12345, 8, 0, 0));
  assert.deepEqual(cycleOf(12345, 7, 0, 0), cycleOf(12345, 7, 0, 0));
  // Just above the in-memory limit, with the default limit: a whole cycle, checked exactly.
  assert.ok(isPermutation(cycleOf(MATERIALISED_SLOTS + 3, 1, 0), MATERIALISED_SLOTS + 3));
});

test('the computed order is shuffled: positions and slots are unrelated', () => {
  const size = 100_000;
  const a = cycleOf(size, 3, 0, 0);
  let fixed = 0;
  let distance = 0;
  let rising = 0;
  for (let i = 0; i < size; i++) {
    if (a[i] === i) fixed++;
    distance += Math.abs(a[i]! - i);
    if (i > 0 && a[i]! > a[i - 1]!) rising++;
  }
  // A uniform permutation: about one fixed point, mean |a(i) − i| = size/3, half the steps rising.
  assert.ok(fixed < 10, `${fixed} fixed points`);
  assert.ok(Math.abs(distance / size / (size / 3) - 1) < 0.02, `mean distance ${distance / size}`);
  assert.ok(Math.abs(rising / size - 0.5) < 0.01, `${rising} rising steps`);
  // And each class of a balanced set (a block of consecutive slots) is spread over the whole epoch.
  const firstBlock = Array.from(a.subarray(0, size / 5)).filter((s) => s < size / 5).length;
  assert.ok(Math.abs(firstBlock / (size / 25) - 1) < 0.05, `${firstBlock} of the first fifth's slots fall in the first fifth of the positions`);
});

test('batches taken a window at a time are exactly the epoch, in both kinds of order', () => {
  for (const limit of [MATERIALISED_SLOTS, 0]) {
    const size = 1000;
    const epochSize = 384;
    const order = new EpochOrder(size, 5, epochSize, limit);
    for (const epoch of [0, 1, 2, 7]) {
      const whole = new EpochOrder(size, 5, epochSize, limit).slots(epoch, 0, epochSize);
      const windows = [0, 64, 128, 192, 256, 320].map((from) => Array.from(order.slots(epoch, from, 64))).flat();
      assert.deepEqual(windows, Array.from(whole), `limit ${limit}, epoch ${epoch}`);
    }
    // Successive epochs walk through the set without repeats until it is exhausted.
    const stream = [0, 1, 2, 3, 4, 5].map((e) => Array.from(order.slots(e, 0, epochSize))).flat();
    assert.ok(isPermutation(stream.slice(0, size), size));
    assert.ok(isPermutation(stream.slice(size, 2 * size), size));
  }
  assert.throws(() => new EpochOrder(10, 1, 4).slots(0, 2, 3), /outside the epoch of 4 slots/);
});

test('sets that fit in memory keep the shuffled order they were always trained in', () => {
  // Values printed by the build before the computed order came in (a877181): an existing study's
  // reruns depend on them.
  assert.deepEqual(Array.from(epochSlots(10, 3, 0, 10)), [8, 7, 3, 6, 2, 1, 0, 4, 9, 5]);
  assert.deepEqual(Array.from(epochSlots(1000, 5, 3, 64).subarray(0, 8)), [714, 925, 159, 313, 428, 258, 206, 917]);
});
