import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { isPermutation } from './helpers.js';
import { MATERIALISED_SLOTS, seededPermutation } from '../../src/data/seeded-permutation.js';

const cycleOf = (size: number, seed: number, cycle: number, materialiseUpTo?: number): Int32Array => {
  const c = seededPermutation('epoch-cycle', size, seed, cycle, materialiseUpTo);
  return Int32Array.from({ length: size }, (_, i) => c.at(i));
};

test('a set too large to shuffle in memory is still visited as a permutation, each seed and index its own', () => {
  for (const size of [1, 2, 3, 5, 17, 1000, 4097, 12345]) {
    const a = cycleOf(size, 7, 0, 0);
    assert.ok(isPermutation(a, size), `size ${size}`);
    assert.ok(isPermutation(cycleOf(size, 7, 1, 0), size), `size ${size}, cycle 1`);
  }
  assert.notDeepEqual(cycleOf(12345, 7, 0, 0), cycleOf(12345, 7, 1, 0));
  assert.notDeepEqual(cycleOf(12345, 7, 0, 0), cycleOf(12345, 8, 0, 0));
  assert.deepEqual(cycleOf(12345, 7, 0, 0), cycleOf(12345, 7, 0, 0));
  // Just above the in-memory limit, with the default limit: a whole permutation, checked exactly.
  assert.ok(seededPermutation('epoch-cycle', MATERIALISED_SLOTS + 3, 1, 0).bytes < 64);
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

