/**
 * The native half of the fused GRU op: the addon's `gruForward`/`gruBackward`
 * (native/src/gru.cc) registered as two tfjs kernels, `HpGruForward` and `HpGruBackward`, on
 * the backends that keep tensors in plain TypedArrays in this process ('cpu', and 'native' =
 * the cpu backend plus native kernels). The kernels read their inputs' storage directly and
 * hand freshly written arrays to the backend as outputs, so no tensor is copied.
 *
 * Being real kernels (rather than code inside a customGrad closure) they appear under their
 * own names in tf.profile and in `npm run bench -- --profile`.
 *
 * The addon is optional: when it is not built or does not load, `loadGruAddon()` returns null
 * and the layer uses the tf-ops implementation (gru-fused.ts) instead, silently.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

import * as tf from '@tensorflow/tfjs';

import { nativeAddonPath } from '../backend/native/addon.js';
import { outputArray } from '../backend/native/output-recycler.js';
import { type CpuBackend, f32, output } from '../backend/native/util.js';

/** The GRU functions of the addon. Shapes: see native/src/gru.cc; all arrays float32. */
export interface GruAddon {
  gruForward(
    batch: number, time: number, features: number, units: number, sequences: boolean,
    x: Float32Array, wIh: Float32Array, wHh: Float32Array, bIh: Float32Array, bHh: Float32Array,
    out: Float32Array, saved: Float32Array,
  ): void;
  gruBackward(
    batch: number, time: number, features: number, units: number, sequences: boolean,
    dy: Float32Array, x: Float32Array, wIh: Float32Array, wHh: Float32Array, saved: Float32Array,
    dx: Float32Array, dWIh: Float32Array, dWHh: Float32Array, dBIh: Float32Array, dBHh: Float32Array,
  ): void;
  /** "avx2-fma" or "generic". */
  gruKernelName(): string;
}

/** Backends whose tensor storage is a TypedArray of this thread, readable by the addon. */
export const NATIVE_GRU_BACKENDS: readonly string[] = ['native', 'cpu'];

export const GRU_FORWARD_KERNEL = 'HpGruForward';
export const GRU_BACKWARD_KERNEL = 'HpGruBackward';

function isGruAddon(mod: unknown): mod is GruAddon {
  if (typeof mod !== 'object' || mod === null) return false;
  const m = mod as Record<string, unknown>;
  return typeof m['gruForward'] === 'function' && typeof m['gruBackward'] === 'function' && typeof m['gruKernelName'] === 'function';
}

let addon: GruAddon | null | undefined;

/** The addon's GRU functions, or null when the addon is missing, fails to load or predates them. */
export function loadGruAddon(): GruAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  // The same file as the 'native' backend's (require caches it: one module instance per thread).
  const path = nativeAddonPath();
  if (existsSync(path)) {
    try {
      const mod: unknown = createRequire(import.meta.url)(path);
      if (isGruAddon(mod)) addon = mod;
    } catch {
      // A stale or foreign build: the tf-ops implementation takes over.
    }
  }
  return addon;
}

/** The native path applies on the active backend (addon loaded, TypedArray storage). */
export function nativeGruUsable(): boolean {
  return loadGruAddon() !== null && NATIVE_GRU_BACKENDS.includes(tf.getBackend());
}

/**
 * Inputs are read in place (as every native kernel does: not through readSync, which would pin
 * the array against reuse), and outputs come from the backend's output recycler
 * (src/backend/native/output-recycler.ts): the addon overwrites every element, and a fresh
 * array per step costs a page fault per 4 KiB on first write — the saved gates alone are 15 MB
 * per layer at the seed-best size, ~0.7 ms per MB.
 */
/** A float32 array without zero-filling, for a scratch the addon overwrites entirely. */
function uninitialised(length: number): Float32Array {
  const bytes = Buffer.allocUnsafeSlow(length * Float32Array.BYTES_PER_ELEMENT);
  return new Float32Array(bytes.buffer, bytes.byteOffset, length);
}

function input(backend: CpuBackend, t: tf.TensorInfo, what: string): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`${GRU_FORWARD_KERNEL}: '${what}' is not float32 (dtype ${t.dtype})`);
  return f32(backend, t);
}

function sequencesAttr(attrs: tf.NamedAttrMap | undefined): boolean {
  return attrs?.['returnSequences'] === true;
}

/**
 * Rows per call of the addon in inference. A forward pass writes the gates the backward pass
 * needs ([B, T, 5H]); in inference nothing keeps them, yet at the validation batch (256) of the
 * seed's best CNN-GRU they are 245 MB per layer. Rows of a GRU are independent, so inference
 * runs the batch in slices of this many rows over one scratch of their gates (31 MB there),
 * with the same numbers (test/models/gru-fused.test.ts compares them bit for bit).
 */
export const INFERENCE_ROWS = 32;

/** The named inputs, all present (tfjs types every input of a kernel as optional). */
function required<K extends string>(inputs: tf.NamedTensorInfoMap, names: readonly K[]): Record<K, tf.TensorInfo> {
  const out = {} as Record<K, tf.TensorInfo>;
  for (const name of names) {
    const t = inputs[name];
    if (t === undefined) throw new Error(`GRU kernel: input '${name}' is missing`);
    out[name] = t;
  }
  return out;
}

/** Inputs x [B, T, I], kernel [I, 3H], recurrentKernel [H, 3H], bias, recurrentBias [3H] → [out, saved [B, T, 5H]]. */
function forwardKernel(gru: GruAddon): tf.KernelFunc {
  return ({ inputs, backend: b, attrs }) => {
    const backend = b as CpuBackend;
    const { x, kernel, recurrentKernel, bias, recurrentBias } = required(inputs, ['x', 'kernel', 'recurrentKernel', 'bias', 'recurrentBias']);
    const [B, T, I] = x.shape;
    const H = recurrentKernel.shape[0];
    const sequences = sequencesAttr(attrs);
    const outShape = sequences ? [B, T, H] : [B, H];
    const out = outputArray(backend, B * (sequences ? T : 1) * H);
    const weights = [input(backend, kernel, 'kernel'), input(backend, recurrentKernel, 'recurrentKernel'), input(backend, bias, 'bias'), input(backend, recurrentBias, 'recurrentBias')] as const;
    const xs = input(backend, x, 'x');
    if (attrs?.['inference'] === true) {
      // No gates to save: slices of rows over one scratch, and an empty `saved` (see INFERENCE_ROWS).
      const rows = Math.min(B, INFERENCE_ROWS);
      // Not from the recycler: it never becomes a tensor, so the recycler would count it live forever.
      const scratch = uninitialised(rows * T * 5 * H);
      const outRow = (sequences ? T : 1) * H;
      for (let b0 = 0; b0 < B; b0 += rows) {
        const n = Math.min(rows, B - b0);
        gru.gruForward(n, T, I, H, sequences, xs.subarray(b0 * T * I, (b0 + n) * T * I), ...weights, out.subarray(b0 * outRow, (b0 + n) * outRow), scratch.subarray(0, n * T * 5 * H));
      }
      return [output(backend, outShape, out), output(backend, [B, T, 0], new Float32Array(0))];
    }
    const saved = outputArray(backend, B * T * 5 * H);
    gru.gruForward(B, T, I, H, sequences, xs, ...weights, out, saved);
    return [output(backend, outShape, out), output(backend, [B, T, 5 * H], saved)];
  };
}

/** Inputs dy, x, kernel, recurrentKernel, saved → [dx, dKernel, dRecurrentKernel, dBias, dRecurrentBias]. */
function backwardKernel(gru: GruAddon): tf.KernelFunc {
  return ({ inputs, backend: b, attrs }) => {
    const backend = b as CpuBackend;
    const { dy, x, kernel, recurrentKernel, saved } = required(inputs, ['dy', 'x', 'kernel', 'recurrentKernel', 'saved']);
    const [B, T, I] = x.shape;
    const H = recurrentKernel.shape[0];
    const dx = outputArray(backend, B * T * I);
    const dKernel = outputArray(backend, I * 3 * H);
    const dRecurrent = outputArray(backend, H * 3 * H);
    const dBias = outputArray(backend, 3 * H);
    const dRecurrentBias = outputArray(backend, 3 * H);
    gru.gruBackward(
      B, T, I, H, sequencesAttr(attrs),
      input(backend, dy, 'dy'), input(backend, x, 'x'), input(backend, kernel, 'kernel'),
      input(backend, recurrentKernel, 'recurrentKernel'), input(backend, saved, 'saved'),
      dx, dKernel, dRecurrent, dBias, dRecurrentBias,
    );
    return [
      output(backend, [B, T, I], dx),
      output(backend, [I, 3 * H], dKernel),
      output(backend, [H, 3 * H], dRecurrent),
      output(backend, [3 * H], dBias),
      output(backend, [3 * H], dRecurrentBias),
    ];
  };
}

/** Registers both kernels on every backend of NATIVE_GRU_BACKENDS (once; later calls do nothing). */
export function registerNativeGruKernels(): boolean {
  const gru = loadGruAddon();
  if (gru === null) return false;
  for (const backendName of NATIVE_GRU_BACKENDS) {
    if (tf.getKernel(GRU_FORWARD_KERNEL, backendName) == null) {
      tf.registerKernel({ kernelName: GRU_FORWARD_KERNEL, backendName, kernelFunc: forwardKernel(gru) });
    }
    if (tf.getKernel(GRU_BACKWARD_KERNEL, backendName) == null) {
      tf.registerKernel({ kernelName: GRU_BACKWARD_KERNEL, backendName, kernelFunc: backwardKernel(gru) });
    }
  }
  return true;
}
