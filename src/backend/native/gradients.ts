/**
 * Gradients that the 'native' backend computes in fewer passes over the activations than tfjs
 * composes them:
 * - FusedBatchNorm: tfjs' gradient (gradients/FusedBatchNorm_grad) runs ~13 element-wise
 *   passes over x and dy; the addon's batchNormGrad produces all five gradients in two.
 * - Mean and Sum: tfjs broadcasts dy by multiplying with `ones(x.shape)`, an array filled in a JS
 *   loop (~1 ms per [64, 11, 17, 64] activation, 6 per cnn2d step); here the reduced dy (divided
 *   by the count for Mean, on the small tensor) is broadcast with Tile. Bit-identical results:
 *   dy·1/n and dy/n are the same float.
 *
 * tfjs keeps one gradient per kernel name for every backend, so these are registered globally
 * but dispatch on the active backend: on any backend other than 'native' (and for shapes the
 * native path does not cover) the original tfjs gradient runs, unchanged.
 */
import {
  broadcastTo,
  div,
  engine,
  FusedBatchNorm,
  getBackend,
  getGradient,
  Mean,
  registerGradient,
  reshape,
  Sum,
  util,
  type FusedBatchNormAttrs,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { type CpuBackend, f32, output } from './util.js';

/** The multi-output kernel behind the batch-norm gradient (registered for 'native' only). */
export const BATCH_NORM_GRAD = 'HpBatchNormGrad';

export function makeGradientKernels(addon: NativeAddon): KernelConfig[] {
  const batchNormGrad: KernelFunc = ({ inputs, backend, attrs }) => {
    const { dy, x, mean, variance, scale } = inputs as { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; variance: TensorInfo; scale?: TensorInfo };
    const cpu = backend as CpuBackend;
    const eps = (attrs as unknown as FusedBatchNormAttrs).varianceEpsilon;
    const channels = mean.shape[0];
    const n = util.sizeFromShape(x.shape);
    const dx = outputArray(cpu, n);
    const parts = [0, 1, 2, 3].map(() => outputArray(cpu, channels));
    addon.batchNormGrad(
      f32(cpu, dy),
      f32(cpu, x),
      f32(cpu, mean),
      f32(cpu, variance),
      scale === undefined ? null : f32(cpu, scale),
      channels,
      eps,
      dx,
      parts[0],
      parts[1],
      parts[2],
      parts[3],
    );
    return [output(cpu, [...x.shape], dx), ...parts.map((p) => output(cpu, [...mean.shape], p))];
  };
  return [{ kernelName: BATCH_NORM_GRAD, backendName: 'native', kernelFunc: batchNormGrad }];
}

type GradFunc = GradConfig['gradFunc'];

const onNative = (): boolean => getBackend() === 'native';

function fusedBatchNormGrad(original: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as (Tensor | undefined)[];
    const g = Array.isArray(dy) ? dy[0] : dy;
    const channels = x === undefined ? 0 : x.shape[x.shape.length - 1];
    const perChannel = (t: Tensor | undefined): boolean => t === undefined || (t.rank === 1 && t.shape[0] === channels && t.dtype === 'float32');
    if (
      !onNative() ||
      x === undefined ||
      mean === undefined ||
      variance === undefined ||
      x.rank < 1 ||
      x.dtype !== 'float32' ||
      g.dtype !== 'float32' ||
      ![mean, variance, scale].every(perChannel)
    ) {
      return original(dy, saved, attrs);
    }
    const eps = (attrs as unknown as FusedBatchNormAttrs).varianceEpsilon;
    const inputs: Record<string, Tensor> = { dy: g, x, mean, variance };
    if (scale !== undefined) inputs['scale'] = scale;
    const [dx, dmean, dvariance, dscale, doffset] = engine().runKernel(BATCH_NORM_GRAD, inputs, { varianceEpsilon: eps } as unknown as NamedAttrMap) as Tensor[];
    return { x: () => dx, mean: () => dmean, variance: () => dvariance, scale: () => dscale, offset: () => doffset };
  };
}

/** dy reshaped to x's rank with the reduced axes as 1 (what tfjs' Mean/Sum gradients broadcast). */
function expandedDy(dy: Tensor, x: Tensor, axisAttr: unknown): Tensor {
  const axes = util.parseAxisParam(axisAttr as number | number[], x.shape);
  const shape = x.shape.slice();
  for (const a of axes) shape[a] = 1;
  return reshape(dy, shape);
}

function meanGrad(original: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = Array.isArray(dy) ? dy[0] : dy;
    if (!onNative() || x === undefined || g.dtype !== 'float32') return original(dy, saved, attrs);
    const axes = util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
    const count = util.sizeFromShape(axes.map((a) => x.shape[a]));
    return { x: () => broadcastTo(div(expandedDy(g, x, axes), count), x.shape) };
  };
}

function sumGrad(original: GradFunc): GradFunc {
  return (dy, saved, attrs) => {
    const [x] = saved;
    const g = Array.isArray(dy) ? dy[0] : dy;
    if (!onNative() || x === undefined || g.dtype !== 'float32') return original(dy, saved, attrs);
    return { x: () => broadcastTo(expandedDy(g, x, (attrs as { axis: number | number[] }).axis), x.shape) };
  };
}

const WRAPPERS: Readonly<Record<string, (original: GradFunc) => GradFunc>> = {
  [FusedBatchNorm]: fusedBatchNormGrad,
  [Mean]: meanGrad,
  [Sum]: sumGrad,
};

const installed = new WeakSet<GradFunc>();

/** Wraps tfjs' gradients of FusedBatchNorm, Mean and Sum (once per thread; idempotent). */
export function installNativeGradients(): void {
  for (const [kernelName, wrap] of Object.entries(WRAPPERS)) {
    const config = getGradient(kernelName);
    if (config === undefined || installed.has(config.gradFunc)) continue;
    const gradFunc = wrap(config.gradFunc);
    installed.add(gradFunc);
    registerGradient({ ...config, gradFunc });
  }
}
