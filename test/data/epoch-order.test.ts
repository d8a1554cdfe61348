import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isPermutation } from './helpers.js';
import { EpochOrder, epochSlots } from '../../src/data/epoch-order.js';
import { MATERIALISED_SLOTS } from '../../src/data/seeded-permutation.js';

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
