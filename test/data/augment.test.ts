import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { augmentBatch, checkAugmentStrengths } from '../../src/data/augment.js';
import { randomStream } from '../../src/data/rng.js';

const L = 100;
/** Rows of 0.5 over the first 80 samples, then zero padding. */
function batch(size: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(size * L);
  for (let r = 0; r < size; r++) x.fill(0.5, r * L, r * L + 80);
  const y = new Float32Array(size * 2);
  for (let r = 0; r < size; r++) y[r * 2 + (r % 2)] = 1;
  return { x, y };
}
const shape = (size: number) => ({ size, length: L, channels: 1, numClasses: 2 });

test('amplitude scaling multiplies each row by one factor in [1 − s, 1 + s]', () => {
  const { x, y } = batch(20);
  augmentBatch(x, y, shape(20), { amplitude_scale: 0.2 }, randomStream('t', 1));
  for (let r = 0; r < 20; r++) {
    const f = x[r * L]! / 0.5;
    assert.ok(f >= 0.8 && f <= 1.2);
    for (let t = 0; t < 80; t++) assert.ok(Math.abs(x[r * L + t]! - 0.5 * f) < 1e-6);
    for (let t = 80; t < L; t++) assert.equal(x[r * L + t], 0);
  }
});

test('Gaussian noise has the requested standard deviation; padding untouched', () => {
  const { x, y } = batch(50);
  augmentBatch(x, y, shape(50), { gaussian_noise: 0.05 }, randomStream('t', 2));
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let r = 0; r < 50; r++) {
    for (let t = 0; t < 80; t++) {
      const d = x[r * L + t]! - 0.5;
      s += d;
      s2 += d * d;
      n++;
    }
    for (let t = 80; t < L; t++) assert.equal(x[r * L + t], 0);
  }
  const sd = Math.sqrt(s2 / n - (s / n) ** 2);
  assert.ok(Math.abs(sd - 0.05) < 0.005, `sd ${sd}`);
});

test('time masking zeroes one span of at most 10 % of the active length, with probability p', () => {
  const { x, y } = batch(200);
  augmentBatch(x, y, shape(200), { time_mask: 0.5 }, randomStream('t', 3));
  let masked = 0;
  for (let r = 0; r < 200; r++) {
    const zeros = Array.from(x.subarray(r * L, r * L + 80)).map((v, t) => (v === 0 ? t : -1)).filter((t) => t >= 0);
    if (zeros.length === 0) continue;
    masked++;
    assert.ok(zeros.length <= 8);
    assert.equal(zeros.at(-1)! - zeros[0]! + 1, zeros.length, 'one contiguous span');
  }
  assert.ok(masked > 70 && masked < 130, `masked rows ${masked}`);
});

test('baseline wander adds a slow sinusoid of amplitude at most A', () => {
  const { x, y } = batch(10);
  augmentBatch(x, y, shape(10), { baseline_wander: 0.1 }, randomStream('t', 4));
  for (let r = 0; r < 10; r++) {
    const d = Array.from(x.subarray(r * L, r * L + 80), (v) => v - 0.5);
    assert.ok(d.every((v) => Math.abs(v) <= 0.1 + 1e-6));
    assert.ok(d.some((v) => Math.abs(v) > 0.005));
    // Slow: neighbouring samples differ little.
    for (let t = 1; t < 80; t++) assert.ok(Math.abs(d[t]! - d[t - 1]!) < 0.1 * 2 * Math.PI / 80 + 1e-6);
  }
});

test('mixup: convex combinations of rows and of targets, dominant weight >= 0.5', () => {
  const size = 30;
  const x = new Float32Array(size * L);
  for (let r = 0; r < size; r++) x.fill(r, r * L, (r + 1) * L);
  const y = new Float32Array(size * 2);
  for (let r = 0; r < size; r++) y[r * 2 + (r % 2)] = 1;
  augmentBatch(x, y, shape(size), { mixup: 0.4 }, randomStream('t', 5));
  for (let r = 0; r < size; r++) {
    const v = x[r * L]!;
    assert.ok(Math.abs(y[r * 2]! + y[r * 2 + 1]! - 1) < 1e-6);
    assert.ok(y[r * 2 + (r % 2)]! >= 0.5 - 1e-6);
    // x_r = λ r + (1 − λ) p for some partner p with λ >= 0.5: v lies between r and the partner, nearer r.
    assert.ok(v >= 0 && v <= size - 1);
    for (let t = 1; t < L; t++) assert.equal(x[r * L + t], v);
  }
});

test('same stream, same augmentation; strengths are validated', () => {
  const a = batch(8);
  const b = batch(8);
  const strengths = { amplitude_scale: 0.1, gaussian_noise: 0.02, time_mask: 0.3, baseline_wander: 0.05, mixup: 0.2 };
  augmentBatch(a.x, a.y, shape(8), strengths, randomStream('t', 6));
  augmentBatch(b.x, b.y, shape(8), strengths, randomStream('t', 6));
  assert.deepEqual(a, b);
  assert.throws(() => checkAugmentStrengths({ gaussian_noise: -1 }), /must be a number >= 0/);
  assert.throws(() => checkAugmentStrengths({ time_mask: 2 }), /probability/);
  assert.throws(() => checkAugmentStrengths({ jitter: 1 } as never), /unknown augmentation "jitter"/);
});
