/**
 * Training kernels for the wasm backend of tfjs 4.22, registered by `initBackend('wasm')`.
 *
 * Found by running forward + backward + Adam of small versions of each model family (cnngru,
 * cnn2d, cnn1d) on wasm and on cpu, collecting "Kernel '…' not registered" failures (tfjs has
 * no per-kernel fallback to another backend: a missing kernel is an error) and comparing every
 * gradient (test/backend/training-step.test.ts):
 * - `Conv2DBackpropFilter` is missing, so no convolution (Conv1D included) can train;
 * - `MaxPoolGrad` exists but is wrong for windows whose values are all ≤ 0 (see
 *   max-pool-grad.ts), which cnngru and cnn1d hit on every step (they pool BatchNorm outputs);
 * - `UnsortedSegmentSum`, the gradient of `gather`, is missing; the models do not need it, but
 *   a loss or layer that indexes with `gather` would otherwise fail on wasm only.
 * Every other gradient these models need (Conv2DBackpropInput, AvgPoolGrad, FusedBatchNorm, the
 * element-wise, reduction, slice/concat/pack and matmul gradients) is composed from wasm
 * kernels and matches the cpu backend.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs';
// Loaded before anything is registered: importing the package registers its own kernels, and
// one imported after ours would silently put tfjs' broken MaxPoolGrad back in place.
import '@tensorflow/tfjs-backend-wasm';

import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

export { setIm2colLimit } from './conv2d-backprop-filter.js';

export const WASM_TRAINING_KERNELS: readonly KernelConfig[] = [conv2DBackpropFilterConfig, maxPoolGradConfig, unsortedSegmentSumConfig];

/**
 * Registers (once) every kernel of WASM_TRAINING_KERNELS for the 'wasm' backend, replacing
 * tfjs's own where it has one (MaxPoolGrad; and any that a future tfjs adds, since ours are the
 * ones the gradient tests cover). Calling it again is a no-op.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
}
