/**
 * Helpers for kernels that compose other wasm kernels.
 *
 * A kernel calls the registered kernel functions directly rather than tf ops: ops would go
 * through the engine (scopes, tensor tracking, profiler entries for every inner step), while a
 * kernel function just returns a TensorInfo whose memory the caller frees with `disposeData`.
 */
import { getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Runs the wasm kernel `name` and returns its single output (the caller owns it). */
export function runWasmKernel(
  backend: BackendWasm,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm kernel '${name}' is not registered`);
  const out = kernel.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`wasm kernel '${name}' returned ${out.length} outputs, expected one`);
  return out;
}

/** Frees every tensor in `infos` (and empties the array, so a second call is harmless). */
export function disposeAll(backend: BackendWasm, infos: TensorInfo[]): void {
  for (const t of infos.splice(0)) backend.disposeData(t.dataId);
}
