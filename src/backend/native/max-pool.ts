/**
 * MaxPool and MaxPoolGrad on the addon (native/src/max-pool.cc). The cpu backend's
 * MaxPoolGrad recomputes every window's arg-max through generic 4-D buffers (~600 ms for one
 * [64, 11, 17, 64] pool of cnn2d-small).
 */
import {
  backend_util,
  MaxPool,
  MaxPoolGrad,
  util,
  type KernelConfig,
  type KernelFunc,
  type MaxPoolAttrs,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

/** The addon's max-pool geometry: [N, IH, IW, C, OH, OW, FH, FW, SH, SW, DH, DW, padTop, padLeft]. */
export function maxPoolGeometry(info: backend_util.Conv2DInfo): Int32Array {
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

export function makeMaxPoolKernels(addon: NativeAddon): KernelConfig[] {
  const maxPool: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const a = attrs as unknown as MaxPoolAttrs;
    const cpu = backend as CpuBackend;
    if (!allFloat32(x) || x.shape.length !== 4 || util.sizeFromShape(x.shape) === 0) return runCpuKernel(cpu, MaxPool, { x }, attrs);
    const info = backend_util.computePool2DInfo(x.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const y = outputArray(cpu, util.sizeFromShape(info.outShape));
    if (y.length > 0) addon.maxPool(f32(cpu, x), y, maxPoolGeometry(info));
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
    addon.maxPoolGrad(f32(cpu, dy), f32(cpu, input), dx, maxPoolGeometry(info));
    return output(cpu, [...input.shape], dx);
  };

  return [
    { kernelName: MaxPool, backendName: 'native', kernelFunc: maxPool },
    { kernelName: MaxPoolGrad, backendName: 'native', kernelFunc: maxPoolGrad },
  ];
}
