/**
 * The 'native' tfjs backend: tfjs' cpu backend (tensors as TypedArrays) with the hot kernels
 * replaced by the C++ addon (native/): convolutions and their gradients, matrix products, and
 * the element-wise, reduction, batch-norm and pooling kernels that a training step runs over
 * whole activations.
 * Every other kernel is the cpu backend's, registered under 'native' too, so any model that
 * runs on cpu runs here, with the same numbers up to float rounding (tests: 1e-4 relative).
 */
import {
  findBackendFactory,
  getKernel,
  getKernelsForBackend,
  registerBackend,
  registerKernel,
  unregisterKernel,
  type KernelBackend,
  type KernelConfig,
} from '@tensorflow/tfjs';

import { makeAdamKernels } from './adam.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { makeBatchNormKernels } from './batch-norm.js';
import { makeConvKernels } from './conv.js';
import { makeDropoutKernels } from './dropout.js';
import { makeElementwiseKernels } from './elementwise.js';
import { installNativeGradients, makeGradientKernels } from './gradients.js';
import { makeMatMulKernels } from './matmul.js';
import { makeMaxPoolKernels } from './max-pool.js';
import { attachRecycler, OutputRecycler } from './output-recycler.js';
import { makeReduceKernels } from './reduce.js';
import type { CpuBackend } from './util.js';

export { ADAM_UPDATE_KERNEL, type AdamUpdateAttrs } from './adam.js';
export { SEEDED_DROPOUT_KERNEL, type AleaState, type SeededDropoutAttrs } from './dropout.js';
export { loadNativeAddon, nativeAddonPath, type AddonLoad, type NativeAddon } from './addon.js';
export { setNativeThreads } from './threads.js';

export const NATIVE_BACKEND = 'native';

/** Kernels the addon provides for 'native' (the rest are the cpu backend's). */
export function nativeKernelConfigs(addon: NativeAddon): KernelConfig[] {
  return [
    ...makeConvKernels(addon),
    ...makeMatMulKernels(addon),
    ...makeElementwiseKernels(addon),
    ...makeReduceKernels(addon),
    ...makeBatchNormKernels(addon),
    ...makeMaxPoolKernels(addon),
    ...makeGradientKernels(addon),
    ...makeAdamKernels(addon),
    ...makeDropoutKernels(addon),
  ];
}

export type NativePrepare = { readonly ok: true; readonly kernel: string; readonly kernels: readonly string[] } | { readonly ok: false; readonly reason: string };

let prepared: NativePrepare | null = null;

/**
 * Loads the addon and registers the 'native' backend and its kernels with tfjs (once per
 * thread). Does not activate it: the caller does `tf.setBackend('native')`.
 */
export function prepareNativeBackend(): NativePrepare {
  if (prepared !== null) return prepared;
  const load = loadNativeAddon();
  if (!load.ok) {
    prepared = { ok: false, reason: load.reason };
    return prepared;
  }
  const cpuFactory = findBackendFactory('cpu');
  if (cpuFactory === null || cpuFactory === undefined) {
    prepared = { ok: false, reason: "tfjs' cpu backend is not registered" };
    return prepared;
  }
  // A cpu backend instance whose kernel outputs are recycled (output-recycler.ts). Priority 0:
  // never chosen by tfjs on its own (cpu has 1), only by setBackend('native').
  const factory = (): KernelBackend | Promise<KernelBackend> => {
    const made = cpuFactory();
    const hook = (b: KernelBackend): KernelBackend => {
      attachRecycler(b as CpuBackend, new OutputRecycler());
      return b;
    };
    return made instanceof Promise ? made.then(hook) : hook(made);
  };
  registerBackend(NATIVE_BACKEND, factory, 0);
  const ours = nativeKernelConfigs(load.addon);
  const overridden = new Set(ours.map((k) => k.kernelName));
  for (const config of getKernelsForBackend('cpu')) {
    if (overridden.has(config.kernelName) || getKernel(config.kernelName, NATIVE_BACKEND) !== undefined) continue;
    registerKernel({ ...config, backendName: NATIVE_BACKEND });
  }
  for (const config of ours) {
    if (getKernel(config.kernelName, NATIVE_BACKEND) !== undefined) unregisterKernel(config.kernelName, NATIVE_BACKEND);
    registerKernel(config);
  }
  installNativeGradients();
  prepared = { ok: true, kernel: load.addon.sgemmKernel(), kernels: ours.map((k) => k.kernelName) };
  return prepared;
}
