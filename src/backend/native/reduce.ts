/**
 * Sum, Mean and Max over one contiguous block of axes (the per-channel reductions of batch norm
 * and of bias gradients reduce the leading axes of an NHWC tensor), and Tile, on the addon. The
 * cpu backend transposes the reduced axes to the end first (a full copy through generic index
 * code: ~150 ms per Sum of a [64, 11, 17, 64] tensor over [0, 1, 2]).
 *
 * Sums accumulate in double, as the cpu kernel's JS numbers do. Other axis patterns and dtypes
 * run the cpu kernel.
 */
import {
  Max,
  Mean,
  Sum,
  Tile,
  util,
  type KernelConfig,
  type KernelFunc,
  type MaxAttrs,
  type SumAttrs,
  type TensorInfo,
  type TileAttrs,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

export interface ReducePlan {
  readonly outer: number;
  readonly mid: number;
  readonly inner: number;
}

/**
 * x viewed as [outer, mid, inner] with `axes` collapsed into mid, when the reduced axes of
 * size > 1 form one contiguous block among the axes of size > 1; null otherwise.
 */
export function reducePlan(shape: readonly number[], axes: readonly number[]): ReducePlan | null {
  const reduced = new Set(axes);
  let outer = 1;
  let mid = 1;
  let inner = 1;
  // 0: before the reduced block, 1: inside it, 2: after it.
  let phase = 0;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d];
    if (size === 1) continue;
    if (reduced.has(d)) {
      if (phase === 2) return null;
      phase = 1;
      mid *= size;
    } else if (phase === 0) {
      outer *= size;
    } else {
      phase = 2;
      inner *= size;
    }
  }
  return { outer, mid, inner };
}

/** The reduced shape as tfjs gives it: reduced axes removed, or kept as 1 with keepDims. */
function outShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

const REDUCE_OPS = { [Sum]: 0, [Mean]: 1, [Max]: 2 } as const;

function reduceKernel(addon: NativeAddon, name: typeof Sum | typeof Mean | typeof Max): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const cpu = backend as CpuBackend;
    const a = attrs as unknown as SumAttrs & MaxAttrs;
    const axisAttr = name === Max ? a.reductionIndices : a.axis;
    const size = util.sizeFromShape(x.shape);
    if (!allFloat32(x) || size === 0) return runCpuKernel(cpu, name, { x }, attrs);
    const axes = util.parseAxisParam(axisAttr, x.shape);
    const plan = reducePlan(x.shape, axes);
    if (plan === null) return runCpuKernel(cpu, name, { x }, attrs);
    const out = outputArray(cpu, plan.outer * plan.inner);
    addon.reduce(REDUCE_OPS[name], f32(cpu, x), out, plan.outer, plan.mid, plan.inner);
    return output(cpu, outShape(x.shape, axes, a.keepDims), out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

export function makeReduceKernels(addon: NativeAddon): KernelConfig[] {
  const tile: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const { reps } = attrs as unknown as TileAttrs;
    const cpu = backend as CpuBackend;
    const shape = [...x.shape];
    if (!allFloat32(x) || shape.length === 0 || shape.length > 8 || reps.length !== shape.length) return runCpuKernel(cpu, Tile, { x }, attrs);
    const outShapeTiled = shape.map((d, i) => d * reps[i]);
    const out = outputArray(cpu, util.sizeFromShape(outShapeTiled));
    if (out.length > 0) addon.tile(f32(cpu, x), out, Int32Array.from(shape), Int32Array.from(reps));
    return output(cpu, outShapeTiled, out);
  };
  return [reduceKernel(addon, Sum), reduceKernel(addon, Mean), reduceKernel(addon, Max), { kernelName: Tile, backendName: 'native', kernelFunc: tile }];
}
