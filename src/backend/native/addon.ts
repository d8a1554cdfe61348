/**
 * Loads the C++ kernels (native/, built by node-gyp during `npm install`) for this thread.
 *
 * The addon is a plain N-API module: every worker thread that loads it gets its own module
 * instance (N-API registers per environment), its packing buffers are thread_local, and it has
 * no other mutable global state, so trials in several worker threads of one process can use it
 * at once. A missing or broken build is not an error here: the caller gets a one-line reason
 * and `auto` moves on to the wasm backend.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The functions of native/src/{gemm,conv,elementwise,max-pool,adam,dropout,parallel}.cc that the backend uses. */
export interface NativeAddon {
  /** C[M,N] = alpha·op(A)·op(B) + beta·C, row-major with leading dimensions (hp::sgemm). */
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    beta: number,
    C: Float32Array,
    ldc: number,
  ): void;
  /**
   * The same product through hp::PackedB (op(B) packed once, then `repeat` products into C),
   * for the tests and the GEMM benchmark; the backend itself does not use it.
   */
  sgemmPrepacked?(...args: [...Parameters<NativeAddon['sgemm']>, repeat: number]): void;
  /** The micro-kernel chosen for this CPU: "avx2-fma" or "generic". */
  sgemmKernel(): string;
  /**
   * NHWC convolution into `y`; `geometry` is [N, IH, IW, C, OH, OW, OC, KH, KW, SH, SW, DH, DW,
   * padTop, padLeft]; `activation` 0 = linear, 1 = ReLU, applied after the optional bias.
   */
  conv2d(x: Float32Array, w: Float32Array, y: Float32Array, geometry: Int32Array, bias: Float32Array | null, activation: number): void;
  /** dx of the convolution with that geometry (dx is overwritten). */
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /** dw ([KH, KW, C, OC]) of the convolution with that geometry (dw is overwritten). */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  /**
   * out = a op b; op 0 add, 1 sub, 2 mul, 3 div, 4 squared difference, 5 max, 6 min; mode 0 same
   * length, 1 b scalar, 2 a scalar, 3 b repeats with period `inner`, 4 a repeats.
   */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, mode: number, inner: number): void;
  /** out = Σ inputs (all of out's length). */
  addN(inputs: Float32Array[], out: Float32Array): void;
  /** op 0 relu, 1 step (x > 0 ? 1 : alpha), 2 square, 3 neg, 4 sqrt, 5 rsqrt, 6 abs, 7 reciprocal. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** x as [outer, mid, inner] reduced over mid into out [outer, inner]; op 0 sum, 1 mean, 2 max. */
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, mid: number, inner: number): void;
  /** out = x of `shape` tiled `reps` times along each axis. */
  tile(x: Float32Array, out: Float32Array, shape: Int32Array, reps: Int32Array): void;
  /** out = offset + (x − mean)·scale/√(variance + eps), parameters per channel (last axis) or single. */
  batchNorm(
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    offset: Float32Array | null,
    scale: Float32Array | null,
    out: Float32Array,
    channels: number,
    epsilon: number,
  ): void;
  /**
   * Every gradient of y = (x − mean)·scale/√(variance + eps) + offset with per-channel
   * parameters (scale null = 1), written into dx (like x) and the four per-channel arrays.
   */
  batchNormGrad(
    dy: Float32Array,
    x: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    scale: Float32Array | null,
    channels: number,
    epsilon: number,
    dx: Float32Array,
    dmean: Float32Array,
    dvariance: Float32Array,
    dscale: Float32Array,
    doffset: Float32Array,
  ): void;
  /** out = a op b as 0/1; op 0 >, 1 >=, 2 <, 3 <=, 4 ==, 5 !=; broadcast modes as binary(). */
  compare(op: number, a: Float32Array, b: Float32Array, out: Uint8Array, mode: number, inner: number): void;
  /** NHWC max pool; geometry [N, IH, IW, C, OH, OW, FH, FW, SH, SW, DH, DW, padTop, padLeft]. */
  maxPool(x: Float32Array, y: Float32Array, geometry: Int32Array): void;
  /** dx of that max pool (dx is overwritten). */
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  /**
   * One Adam/AdamW step of a variable into wOut, mOut, vOut; scalars [β1, 1−β1, β2, 1−β2, 1−β1ᵗ,
   * 1−β2ᵗ, ε, lr, λ]; clip: the one-element clip factor, or null (native/src/adam.cc).
   */
  adamUpdate(
    w: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    wOut: Float32Array,
    mOut: Float32Array,
    vOut: Float32Array,
    scalars: Float64Array,
    clip: Float32Array | null,
  ): void;
  /** y = x·mask, mask = (Alea draw ≥ rate) · scale from state [c, s0, s1, s2] (native/src/dropout.cc). */
  seededDropout(x: Float32Array, y: Float32Array, mask: Float32Array, state: Float64Array, rate: number, scale: number): void;
  /** Threads (this one included) the calling thread's kernels may use from now on; returns the count in effect (parallel.cc). */
  setThreads(threads: number): number;
}

export type AddonLoad = { readonly ok: true; readonly addon: NativeAddon; readonly path: string } | { readonly ok: false; readonly reason: string };

const REQUIRED: readonly (keyof NativeAddon)[] = [
  'sgemm',
  'sgemmKernel',
  'conv2d',
  'conv2dBackpropInput',
  'conv2dBackpropFilter',
  'binary',
  'addN',
  'unary',
  'reduce',
  'tile',
  'batchNorm',
  'batchNormGrad',
  'compare',
  'maxPool',
  'maxPoolGrad',
  'adamUpdate',
  'seededDropout',
  'setThreads',
];

/**
 * Where the addon is: $HPSEARCH_NATIVE_ADDON if set (to try another build), else
 * native/build/Release/hpsearch_native.node of this package (this file is
 * dist/src/backend/native/addon.js).
 */
export function nativeAddonPath(): string {
  const override = process.env['HPSEARCH_NATIVE_ADDON'];
  if (override !== undefined && override !== '') return override;
  return fileURLToPath(new URL('../../../../native/build/Release/hpsearch_native.node', import.meta.url));
}

function isAddon(value: unknown): value is NativeAddon {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return REQUIRED.every((name) => typeof record[name] === 'function');
}

let cached: AddonLoad | null = null;

/** Loads the addon once per thread; later calls return the same result. */
export function loadNativeAddon(): AddonLoad {
  if (cached !== null) return cached;
  const path = nativeAddonPath();
  if (!existsSync(path)) {
    cached = { ok: false, reason: `the native kernels are not built (${path} is missing; run npm install or npm rebuild hpsearch)` };
    return cached;
  }
  let loaded: unknown;
  try {
    loaded = createRequire(import.meta.url)(path);
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    cached = { ok: false, reason: `the native kernels failed to load: ${text.split('\n', 1)[0]}` };
    return cached;
  }
  if (!isAddon(loaded)) {
    const missing = REQUIRED.filter((name) => typeof (loaded as Record<string, unknown> | null)?.[name] !== 'function');
    cached = { ok: false, reason: `the native kernels at ${path} are out of date (missing ${missing.join(', ')}; rebuild with npm rebuild hpsearch)` };
    return cached;
  }
  cached = { ok: true, addon: loaded, path };
  return cached;
}
