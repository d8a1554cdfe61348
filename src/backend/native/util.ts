/**
 * What the native kernels need of the backend they run on: the 'native' backend is tfjs' cpu
 * backend (MathBackendCPU), which keeps every tensor as a TypedArray in `data`, so the addon
 * reads inputs and writes outputs in place, without copies.
 *
 * Typed structurally rather than by importing MathBackendCPU: @tensorflow/tfjs-backend-cpu is
 * a dependency of @tensorflow/tfjs, not of ours, and these three members are all we use.
 */
import { getKernel, type BackendValues, type DataId, type DataType, type KernelBackend, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';

export interface CpuBackend extends KernelBackend {
  readonly data: { get(dataId: DataId): { values?: BackendValues } };
  makeTensorInfo(shape: number[], dtype: DataType, values?: BackendValues | string[]): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

/** The float32 values of `t`, in place (a copy only if the backend holds another array type). */
export function f32(backend: CpuBackend, t: TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  if (values instanceof Float32Array) return values;
  // A float32 tensor cast from int32 or bool shares its input's Int32Array/Uint8Array (the cpu
  // backend's Cast is an identity there): convert (typed-array copy, fast in V8).
  if (ArrayBuffer.isView(values) && !(values instanceof DataView)) return new Float32Array(values as unknown as ArrayLike<number>);
  if (values === undefined || Array.isArray(values)) throw new Error(`native kernel: tensor of dtype ${t.dtype} has no numeric values`);
  return Float32Array.from(values as ArrayLike<number>);
}

/** A new float32 tensor on `backend` holding `values` (which it takes ownership of). */
export function output(backend: CpuBackend, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/**
 * Runs the cpu backend's kernel `name` (as registered under 'cpu'), for the cases a native
 * kernel leaves to it (NCHW layouts, activations other than ReLU, non-float32 dtypes).
 */
export function runCpuKernel(backend: CpuBackend, name: string, inputs: Record<string, TensorInfo | undefined>, attrs: object | undefined): TensorInfo {
  const kernel = getKernel(name, 'cpu');
  if (kernel === undefined) throw new Error(`cpu kernel '${name}' is not registered`);
  const out = kernel.kernelFunc({ inputs: inputs as Record<string, TensorInfo>, attrs: (attrs ?? {}) as NamedAttrMap, backend });
  if (Array.isArray(out)) throw new Error(`cpu kernel '${name}' returned ${out.length} outputs, expected one`);
  return out;
}

/** Every tensor is float32 (the only dtype the addon computes in). */
export function allFloat32(...ts: (TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}
