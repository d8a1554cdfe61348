/**
 * Online augmentation: applied to each training batch as it is built, seeded per
 * (trial seed, epoch, batch), so no augmented copy of the set ever exists and a resumed trial
 * sees the same augmented batches.
 *
 * Strengths (0 or absent disables one; all are tunable parameters):
 * - `amplitude_scale` s: each row is multiplied by a factor drawn from U(1 − s, 1 + s).
 * - `gaussian_noise` σ: i.i.d. N(0, σ²) added to every sample (signals are in [0, 1] for beats).
 * - `time_mask` p: with probability p a row gets one span of up to 10 % of its length set to 0
 *   (time masking of SpecAugment, Park et al. 2019, on the raw signal).
 * - `baseline_wander` A: adds A·sin(2πft + φ), f in 0.1–1 cycles per window, random phase
 *   (respiration-like drift, as in ECGSYN's z₀).
 * - `mixup` α: mixup (Zhang et al. 2018): λ ~ Beta(α, α), each row mixed with a random partner
 *   of the batch, x = λx_i + (1 − λ)x_j and y = λy_i + (1 − λ)y_j. λ is folded to ≥ 0.5 so the
 *   row's class index (`Batch.labels`, used for metrics) stays the dominant one.
 *
 * Only the active part of a row is touched: trailing all-zero samples (the zero padding of
 * Kaggle-format beats) stay zero, since the format guarantees nothing is there.
 */
import type { TrainingDataOptions } from './types.js';
import type { RandomStream } from './rng.js';
import { AUGMENT_NAMES, type AugmentName } from '../config/settings.js';

export type AugmentStrengths = NonNullable<TrainingDataOptions['augment']>;

export function augmentationEnabled(strengths: AugmentStrengths | undefined): boolean {
  return !!strengths && AUGMENT_NAMES.some((n) => (strengths[n] ?? 0) > 0);
}

export function checkAugmentStrengths(strengths: AugmentStrengths | undefined): void {
  if (!strengths) return;
  for (const [name, v] of Object.entries(strengths)) {
    if (!AUGMENT_NAMES.includes(name as AugmentName)) throw new RangeError(`unknown augmentation "${name}" (expected ${AUGMENT_NAMES.join(', ')})`);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`augmentation ${name} must be a number >= 0, got ${v}`);
    if (name === 'time_mask' && v > 1) throw new RangeError(`augmentation time_mask is a probability, got ${v}`);
  }
}

export interface BatchShape {
  readonly size: number;
  readonly length: number;
  readonly channels: number;
  readonly numClasses: number;
}

/** Length of row r without its trailing all-zero samples. */
function activeLength(x: Float32Array, r: number, length: number, channels: number): number {
  const rowSize = length * channels;
  for (let t = length - 1; t >= 0; t--) {
    const at = r * rowSize + t * channels;
    for (let c = 0; c < channels; c++) if (x[at + c] !== 0) return t + 1;
  }
  return 0;
}

/** Augments the batch in place (x: [size, length, channels], y: [size, numClasses]). */
export function augmentBatch(x: Float32Array, y: Float32Array, shape: BatchShape, strengths: AugmentStrengths, rng: RandomStream): void {
  const { size, length, channels, numClasses } = shape;
  const rowSize = length * channels;
  const scale = Math.min(1, strengths.amplitude_scale ?? 0);
  const noise = strengths.gaussian_noise ?? 0;
  const mask = strengths.time_mask ?? 0;
  const wander = strengths.baseline_wander ?? 0;
  const alpha = strengths.mixup ?? 0;
  if (scale > 0 || noise > 0 || mask > 0 || wander > 0) {
    for (let r = 0; r < size; r++) {
      const active = activeLength(x, r, length, channels);
      if (active === 0) continue;
      const base = r * rowSize;
      const end = base + active * channels;
      if (scale > 0) {
        const f = rng.uniform(1 - scale, 1 + scale);
        for (let t = base; t < end; t++) x[t]! *= f;
      }
      if (wander > 0) {
        const cycles = rng.uniform(0.1, 1);
        const phase = rng.uniform(0, 2 * Math.PI);
        for (let t = 0; t < active; t++) {
          const w = wander * Math.sin(phase + (2 * Math.PI * cycles * t) / active);
          for (let c = 0; c < channels; c++) x[base + t * channels + c]! += w;
        }
      }
      if (noise > 0) {
        for (let t = base; t < end; t++) x[t]! += noise * rng.normal();
      }
      if (mask > 0 && rng.next() < mask) {
        const span = 1 + rng.int(Math.max(1, Math.round(0.1 * active)));
        const from = rng.int(Math.max(1, active - span + 1));
        x.fill(0, base + from * channels, base + Math.min(active, from + span) * channels);
      }
    }
  }
  if (alpha > 0 && size > 1) {
    const partner = rng.permutation(size);
    const x0 = x.slice(0, size * rowSize);
    const y0 = y.slice(0, size * numClasses);
    for (let r = 0; r < size; r++) {
      let lambda = rng.beta(alpha, alpha);
      if (lambda < 0.5) lambda = 1 - lambda;
      const p = partner[r]!;
      for (let t = 0; t < rowSize; t++) x[r * rowSize + t] = lambda * x0[r * rowSize + t]! + (1 - lambda) * x0[p * rowSize + t]!;
      for (let k = 0; k < numClasses; k++) y[r * numClasses + k] = lambda * y0[r * numClasses + k]! + (1 - lambda) * y0[p * numClasses + k]!;
    }
  }
}
