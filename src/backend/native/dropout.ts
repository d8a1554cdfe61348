/**
 * Seeded inverted dropout as one kernel, `HpSeededDropout` (native/src/dropout.cc): input x,
 * attrs the Alea generator's starting state (seedrandom's `state()` after seeding), the rate
 * and the scale 1/(1 − rate); outputs y = x·mask and the mask (0 or the scale), which the
 * gradient multiplies by. The same numbers as tf.randomUniform with that seed followed by the
 * compare-and-scale ops of SeededDropout (src/models/layers.ts), bit for bit.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { type CpuBackend, f32, output } from './util.js';

export const SEEDED_DROPOUT_KERNEL = 'HpSeededDropout';

/** seedrandom's Alea state: carry c and the three lags s0, s1, s2. */
export type AleaState = {
  readonly c: number;
  readonly s0: number;
  readonly s1: number;
  readonly s2: number;
};

export type SeededDropoutAttrs = {
  readonly state: AleaState;
  readonly rate: number;
  readonly scale: number;
};

export function makeDropoutKernels(addon: NativeAddon): KernelConfig[] {
  const dropout: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const cpu = backend as CpuBackend;
    const { state, rate, scale } = attrs as unknown as SeededDropoutAttrs;
    const n = util.sizeFromShape(x.shape);
    const y = outputArray(cpu, n);
    const mask = outputArray(cpu, n);
    addon.seededDropout(f32(cpu, x), y, mask, Float64Array.of(state.c, state.s0, state.s1, state.s2), rate, scale);
    return [output(cpu, [...x.shape], y), output(cpu, [...x.shape], mask)];
  };
  return [{ kernelName: SEEDED_DROPOUT_KERNEL, backendName: 'native', kernelFunc: dropout }];
}
