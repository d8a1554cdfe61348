/**
 * The Adam/AdamW update of one variable as one kernel, `HpAdamUpdate` (native/src/adam.cc):
 * inputs w, g, m, v (and optionally the clip factor, a float32 scalar), outputs w', m', v'.
 * src/train/optimizers.ts runs it where it is registered (the 'native' backend) instead of
 * its 14 tfjs ops per variable, with bit-identical results (the kernel repeats their float32
 * operations in their order; test/backend/native-kernels.test.ts compares them exactly).
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { type CpuBackend, f32, output } from './util.js';

export const ADAM_UPDATE_KERNEL = 'HpAdamUpdate';

/**
 * The JS numbers of one update, each of which the op sequence turns into a float32 scalar:
 * β1, 1 − β1, β2, 1 − β2, the bias corrections 1 − β1ᵗ and 1 − β2ᵗ, ε, the learning rate and the
 * decoupled weight decay λ (0: plain Adam).
 */
export type AdamUpdateAttrs = {
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  readonly biasCorrection1: number;
  readonly biasCorrection2: number;
  readonly epsilon: number;
  readonly learningRate: number;
  readonly weightDecay: number;
};

export function makeAdamKernels(addon: NativeAddon): KernelConfig[] {
  const adamUpdate: KernelFunc = ({ inputs, backend, attrs }) => {
    const { w, g, m, v, clip } = inputs as { w: TensorInfo; g: TensorInfo; m: TensorInfo; v: TensorInfo; clip?: TensorInfo };
    const cpu = backend as CpuBackend;
    const a = attrs as unknown as AdamUpdateAttrs;
    const n = util.sizeFromShape(w.shape);
    const [wOut, mOut, vOut] = [outputArray(cpu, n), outputArray(cpu, n), outputArray(cpu, n)];
    const scalars = Float64Array.of(a.beta1, a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.biasCorrection1, a.biasCorrection2, a.epsilon, a.learningRate, a.weightDecay);
    addon.adamUpdate(f32(cpu, w), f32(cpu, g), f32(cpu, m), f32(cpu, v), wOut, mOut, vOut, scalars, clip === undefined ? null : f32(cpu, clip));
    return [output(cpu, [...w.shape], wOut), output(cpu, [...w.shape], mOut), output(cpu, [...w.shape], vOut)];
  };
  return [{ kernelName: ADAM_UPDATE_KERNEL, backendName: 'native', kernelFunc: adamUpdate }];
}

