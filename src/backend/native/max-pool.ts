/**
 * FusedBatchNorm (the normalisation step of batch norm, forward), MaxPool and MaxPoolGrad on
 * the addon. The cpu backend's MaxPoolGrad recomputes every window's arg-max through generic
 * 4-D buffers (~600 ms for one [64, 11, 17, 64] pool of cnn2d-small).
 *
 * Batch-norm parameters must hold one value per channel (last axis) or a single value, which
 * is what the layers pass; anything else, NCHW-style broadcasts included, runs the cpu kernel.
 */
import {
  backend_util,
  FusedBatchNorm,
  MaxPool,
  MaxPoolGrad,
  util,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './pool.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

/** The addon's pool geometry: [N, IH, IW, C, OH, OW, FH, FW, SH, SW, DH, DW, padTop, padLeft]. */
export function poolGeometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);
}

export function makeNormPoolKernels(addon: NativeAddon): KernelConfig[] {
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

  const maxPool: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as MaxPoolAttrs;
    const cpu = backend as CpuBackend;
    if (!allFloat32(x) || x.shape.length !== 4 || util.sizeFromShape(x.shape) === 0) return runCpuKernel(cpu, MaxPool, { x }, attrs);
    const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const y = outputArray(cpu, util.sizeFromShape(info.outShape));
    if (y.length > 0) addon.maxPool(f32(cpu, x), y, poolGeometry(info));
    return output(cpu, info.outShape, y);
  };

  const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, input, output: y } = inputs as { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    const a = attrs as unknown as MaxPoolGradAttrs;
    const cpu = backend as CpuBackend;
    if (!allFloat32(dy, input) || input.shape.length !== 4 || util.sizeFromShape(input.shape) === 0) {
      return runCpuKernel(cpu, MaxPoolGrad, { dy, input, output: y }, attrs);
    }
    const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    util.assert(util.arraysEqual(dy.shape, info.outShape), () => `MaxPoolGrad: dy shape [${dy.shape}] does not match the pool output [${info.outShape}]`);
    const dx = outputArray(cpu, util.sizeFromShape(input.shape));
    addon.maxPoolGrad(f32(cpu, dy), f32(cpu, input), dx, poolGeometry(info));
    return output(cpu, [...input.shape], dx);
  };

  return [
    { kernelName: FusedBatchNorm, backendName: 'native', kernelFunc: batchNorm },
    { kernelName: MaxPool, backendName: 'native', kernelFunc: maxPool },
    { kernelName: MaxPoolGrad, backendName: 'native', kernelFunc: maxPoolGrad },
  ];
}
