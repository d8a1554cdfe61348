/**
 * Element-wise kernels on the addon (native/src/elementwise.cc): the binary arithmetic ops with
 * the broadcasts that training produces (same shape, a scalar, a per-channel vector over an
 * NHWC activation), AddN, the unary ops that run over whole activations (ReLU and its gradient
 * Step, Square, Sqrt, …) and the comparisons (bool outputs: dropout masks). On the cpu backend
 * each is a JS loop, and a broadcast one computes a multi-index per element: ~350 ms for one
 * [64, 11, 17, 64] × [1, 1, 1, 64] Multiply.
 *
 * Shapes the addon does not cover (other broadcasts, non-float32 dtypes, empty tensors) run the
 * cpu backend's kernel.
 */
import {
  Abs,
  Add,
  AddN,
  backend_util,
  Equal,
  Greater,
  GreaterEqual,
  Less,
  LessEqual,
  Maximum,
  Minimum,
  Multiply,
  Neg,
  NotEqual,
  RealDiv,
  Reciprocal,
  Relu,
  Rsqrt,
  Sqrt,
  Square,
  SquaredDifference,
  Step,
  Sub,
  util,
  type KernelConfig,
  type KernelFunc,
  type StepAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

/** Broadcast modes of native binary(): see elementwise.cc. */
export const enum BroadcastMode {
  Same = 0,
  ScalarB = 1,
  ScalarA = 2,
  CycleB = 3,
  CycleA = 4,
}

export interface BroadcastPlan {
  readonly outShape: number[];
  readonly mode: BroadcastMode;
  /** Period of the repeating operand (CycleA/CycleB). */
  readonly inner: number;
}

function dropLeadingOnes(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length && shape[i] === 1) i++;
  return shape.slice(i);
}

/** `small` (leading ones dropped) equals the trailing dims of `full`: it repeats with period size(small). */
function isTrailing(small: readonly number[], full: readonly number[]): boolean {
  const s = dropLeadingOnes(small);
  if (s.length > full.length) return false;
  const off = full.length - s.length;
  return s.every((d, i) => d === full[off + i]);
}

/** How a·b broadcasts, if the addon covers it; null otherwise. */
export function broadcastPlan(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan | null {
  const outShape = backend_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const n = util.sizeFromShape(outShape);
  const sa = util.sizeFromShape([...aShape]);
  const sb = util.sizeFromShape([...bShape]);
  if (n === 0) return null;
  if (sa === n && sb === n) return { outShape, mode: BroadcastMode.Same, inner: n };
  if (sa === n && sb === 1) return { outShape, mode: BroadcastMode.ScalarB, inner: 1 };
  if (sb === n && sa === 1) return { outShape, mode: BroadcastMode.ScalarA, inner: 1 };
  if (sa === n && isTrailing(bShape, outShape)) return { outShape, mode: BroadcastMode.CycleB, inner: sb };
  if (sb === n && isTrailing(aShape, outShape)) return { outShape, mode: BroadcastMode.CycleA, inner: sa };
  return null;
}

/** Op codes of native binary(). */
const BINARY: Readonly<Record<string, number>> = {
  [Add]: 0,
  [Sub]: 1,
  [Multiply]: 2,
  [RealDiv]: 3,
  [SquaredDifference]: 4,
  [Maximum]: 5,
  [Minimum]: 6,
};

/** Op codes of native unary(). */
const UNARY: Readonly<Record<string, number>> = {
  [Relu]: 0,
  [Step]: 1,
  [Square]: 2,
  [Neg]: 3,
  [Sqrt]: 4,
  [Rsqrt]: 5,
  [Abs]: 6,
  [Reciprocal]: 7,
};

function binaryKernel(addon: NativeAddon, name: string, op: number): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const cpu = backend as CpuBackend;
    const plan = allFloat32(a, b) ? broadcastPlan(a.shape, b.shape) : null;
    if (plan === null) return runCpuKernel(cpu, name, { a, b }, attrs);
    const out = outputArray(cpu, util.sizeFromShape(plan.outShape));
    addon.binary(op, f32(cpu, a), f32(cpu, b), out, plan.mode, plan.inner);
    return output(cpu, plan.outShape, out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

/** Op codes of native compare() (bool outputs). */
const COMPARE: Readonly<Record<string, number>> = {
  [Greater]: 0,
  [GreaterEqual]: 1,
  [Less]: 2,
  [LessEqual]: 3,
  [Equal]: 4,
  [NotEqual]: 5,
};

function compareKernel(addon: NativeAddon, name: string, op: number): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const cpu = backend as CpuBackend;
    const plan = allFloat32(a, b) ? broadcastPlan(a.shape, b.shape) : null;
    if (plan === null) return runCpuKernel(cpu, name, { a, b }, attrs);
    const out = new Uint8Array(util.sizeFromShape(plan.outShape));
    addon.compare(op, f32(cpu, a), f32(cpu, b), out, plan.mode, plan.inner);
    return cpu.makeTensorInfo(plan.outShape, 'bool', out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

function unaryKernel(addon: NativeAddon, name: string, op: number): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: TensorInfo };
    const cpu = backend as CpuBackend;
    if (!allFloat32(x) || util.sizeFromShape(x.shape) === 0) return runCpuKernel(cpu, name, { x }, attrs);
    const alpha = name === Step ? ((attrs as unknown as StepAttrs | undefined)?.alpha ?? 0) : 0;
    const out = outputArray(cpu, util.sizeFromShape(x.shape));
    addon.unary(op, f32(cpu, x), out, alpha);
    return output(cpu, [...x.shape], out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

export function makeElementwiseKernels(addon: NativeAddon): KernelConfig[] {
  const addN: KernelFunc = ({ inputs, backend, attrs }) => {
    const tensors = inputs as unknown as TensorInfo[];
    const cpu = backend as CpuBackend;
    const shape = tensors[0]?.shape ?? [];
    const size = util.sizeFromShape(shape);
    if (tensors.length === 0 || size === 0 || !allFloat32(...tensors) || !tensors.every((t) => util.arraysEqual(t.shape, shape))) {
      return runCpuKernel(cpu, AddN, inputs as unknown as Record<string, TensorInfo>, attrs);
    }
    const out = outputArray(cpu, size);
    addon.addN(
      tensors.map((t) => f32(cpu, t)),
      out,
    );
    return output(cpu, [...shape], out);
  };
  return [
    ...Object.entries(BINARY).map(([name, op]) => binaryKernel(addon, name, op)),
    ...Object.entries(UNARY).map(([name, op]) => unaryKernel(addon, name, op)),
    ...Object.entries(COMPARE).map(([name, op]) => compareKernel(addon, name, op)),
    { kernelName: AddN, backendName: 'native', kernelFunc: addN },
  ];
}
