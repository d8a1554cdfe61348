/**
 * FusedBatchNorm (the normalisation step of batch norm, forward) on the addon.
 *
 * Batch-norm parameters must hold one value per channel (last axis) or a single value, which
 * is what the layers pass; anything else, NCHW-style broadcasts included, runs the cpu kernel.
 */
import { FusedBatchNorm, util, type FusedBatchNormAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

export function makeBatchNormKernels(addon: NativeAddon): KernelConfig[] {
  const batchNorm: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, mean, variance, offset, scale } = inputs as {
      x: TensorInfo;
      mean: TensorInfo;
      variance: TensorInfo;
      offset?: TensorInfo;
      scale?: TensorInfo;
    };
    const cpu = backend as CpuBackend;
    const channels = x.shape[x.shape.length - 1] ?? 1;
    const size = util.sizeFromShape(x.shape);
    const perChannel = (t: TensorInfo | undefined): boolean => t === undefined || [1, channels].includes(util.sizeFromShape(t.shape));
    if (
      !allFloat32(x, mean, variance, offset, scale) ||
      x.shape.length === 0 ||
      size === 0 ||
      ![mean, variance, offset, scale].every(perChannel)
    ) {
      return runCpuKernel(cpu, FusedBatchNorm, { x, mean, variance, offset, scale }, attrs);
    }
    const eps = (attrs as unknown as FusedBatchNormAttrs | undefined)?.varianceEpsilon ?? 0.001;
    const out = outputArray(cpu, size);
    addon.batchNorm(
      f32(cpu, x),
      f32(cpu, mean),
      f32(cpu, variance),
      offset === undefined ? null : f32(cpu, offset),
      scale === undefined ? null : f32(cpu, scale),
      out,
      channels,
      eps,
    );
    return output(cpu, [...x.shape], out);
  };

  return [{ kernelName: FusedBatchNorm, backendName: 'native', kernelFunc: batchNorm }];
}
