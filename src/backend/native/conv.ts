/**
 * Conv2D, FusedConv2D (bias + ReLU in the GEMM epilogue), Conv2DBackpropInput and
 * Conv2DBackpropFilter on the addon's implicit-GEMM convolution (native/src/conv.cc). Conv1D
 * reaches these too: tfjs runs it as a Conv2D on [N, 1, W, C].
 *
 * NHWC float32 only; anything else (NCHW, other dtypes, activations other than ReLU, a bias
 * that is not one value per output channel) goes to the cpu backend's kernel, so every input
 * tfjs accepts still works.
 */
import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  FusedConv2D,
  util,
  type Conv2DAttrs,
  type Conv2DBackpropFilterAttrs,
  type Conv2DBackpropInputAttrs,
  type FusedConv2DAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

type Shape4 = [number, number, number, number];

/** The addon's geometry vector: [N, IH, IW, C, OH, OW, OC, KH, KW, SH, SW, DH, DW, padTop, padLeft]. */
export function convGeometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
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

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Pick<Conv2DAttrs, 'strides' | 'pad' | 'dimRoundingMode'>,
  dilations: Conv2DAttrs['dilations'],
): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

const size = (info: backend_util.Conv2DInfo): number => info.batchSize * info.outHeight * info.outWidth * info.outChannels;

/** A convolution with an empty operand (the addon wants every size ≥ 1): left to the cpu kernel. */
const isEmpty = (info: backend_util.Conv2DInfo): boolean =>
  size(info) === 0 || info.inHeight * info.inWidth * info.inChannels * info.filterHeight * info.filterWidth === 0;

export function makeConvKernels(addon: NativeAddon): KernelConfig[] {
  const conv2D: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Conv2DAttrs;
    const cpu = backend as CpuBackend;
    if (a.dataFormat === 'NCHW' || !allFloat32(x, filter)) return runCpuKernel(cpu, Conv2D, { x, filter }, a);
    const info = convInfo(x.shape, filter.shape, a, a.dilations);
    if (isEmpty(info)) return runCpuKernel(cpu, Conv2D, { x, filter }, a);
    const y = outputArray(cpu, size(info));
    addon.conv2d(f32(cpu, x), f32(cpu, filter), y, convGeometry(info), null, 0);
    return output(cpu, info.outShape, y);
  };

  const fusedConv2D: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, filter, bias, preluActivationWeights } = inputs as {
      x: TensorInfo;
      filter: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const a = attrs as unknown as FusedConv2DAttrs;
    const cpu = backend as CpuBackend;
    const outChannels = filter.shape[3];
    const nativeActivation = a.activation === 'linear' || a.activation === 'relu' || a.activation === undefined;
    if (
      a.dataFormat === 'NCHW' ||
      !nativeActivation ||
      !allFloat32(x, filter, bias) ||
      (bias !== undefined && util.sizeFromShape(bias.shape) !== outChannels)
    ) {
      return runCpuKernel(cpu, FusedConv2D, { x, filter, bias, preluActivationWeights }, a);
    }
    const info = convInfo(x.shape, filter.shape, a, a.dilations);
    if (isEmpty(info)) return runCpuKernel(cpu, FusedConv2D, { x, filter, bias, preluActivationWeights }, a);
    const y = outputArray(cpu, size(info));
    addon.conv2d(f32(cpu, x), f32(cpu, filter), y, convGeometry(info), bias === undefined ? null : f32(cpu, bias), a.activation === 'relu' ? 1 : 0);
    return output(cpu, info.outShape, y);
  };

  const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    const cpu = backend as CpuBackend;
    if (a.dataFormat === 'NCHW' || !allFloat32(dy, filter)) return runCpuKernel(cpu, Conv2DBackpropInput, { dy, filter }, a);
    const info = convInfo(a.inputShape, filter.shape, a, 1);
    if (isEmpty(info)) return runCpuKernel(cpu, Conv2DBackpropInput, { dy, filter }, a);
    util.assert(
      util.arraysEqual(dy.shape, info.outShape),
      () => `Conv2DBackpropInput: dy shape [${dy.shape}] does not match the convolution's output [${info.outShape}]`,
    );
    const dx = outputArray(cpu, util.sizeFromShape(a.inputShape));
    addon.conv2dBackpropInput(f32(cpu, dy), f32(cpu, filter), dx, convGeometry(info));
    return output(cpu, [...a.inputShape], dx);
  };

  const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    const cpu = backend as CpuBackend;
    if (a.dataFormat === 'NCHW' || !allFloat32(x, dy)) return runCpuKernel(cpu, Conv2DBackpropFilter, { x, dy }, a);
    const info = convInfo(x.shape, a.filterShape, a, 1);
    if (isEmpty(info)) return runCpuKernel(cpu, Conv2DBackpropFilter, { x, dy }, a);
    util.assert(
      util.arraysEqual(dy.shape, info.outShape),
      () => `Conv2DBackpropFilter: dy shape [${dy.shape}] does not match the convolution's output [${info.outShape}]`,
    );
    const dw = outputArray(cpu, util.sizeFromShape(a.filterShape));
    addon.conv2dBackpropFilter(f32(cpu, x), f32(cpu, dy), dw, convGeometry(info));
    return output(cpu, [...a.filterShape], dw);
  };

  return [
    { kernelName: Conv2D, backendName: 'native', kernelFunc: conv2D },
    { kernelName: FusedConv2D, backendName: 'native', kernelFunc: fusedConv2D },
    { kernelName: Conv2DBackpropInput, backendName: 'native', kernelFunc: conv2DBackpropInput },
    { kernelName: Conv2DBackpropFilter, backendName: 'native', kernelFunc: conv2DBackpropFilter },
  ];
}
