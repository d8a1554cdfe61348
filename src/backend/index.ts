/**
 * Backend selection for training: native TensorFlow (GPU, then CPU) when its optional package is
 * installed, else our C++ kernels on tfjs' cpu backend ('native', when the addon in native/ is
 * built), else WebAssembly (XNNPACK, SIMD) with the training kernels tfjs-backend-wasm lacks,
 * else the pure-JS cpu backend.
 *
 * Native packages are imported dynamically so that a machine without them (they are
 * optionalDependencies and often cannot build) still loads this module.
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

import * as tf from '@tensorflow/tfjs';

import type { BackendName } from '../config/settings.js';
import { prepareNativeBackend } from './native/index.js';
import { clearRecycler } from './native/output-recycler.js';
import { registerWasmTrainingKernels } from './wasm-kernels/index.js';

export type ResolvedBackendName = Exclude<BackendName, 'auto'>;

/** The order in which `auto` tries backends. */
export const AUTO_ORDER: readonly ResolvedBackendName[] = ['tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'];

const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;

// PROD: no debug-mode checks and no console banners (the cpu backend, which the native
// backend extends, otherwise advertises tfjs-node on first use in every worker).
tf.env().set('PROD', true);

const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

export interface BackendInfo {
  /** The backend this process trains on (what a trial records). */
  readonly name: ResolvedBackendName;
  /** The name tfjs registered it under ('tensorflow' for both native packages). */
  readonly tfjsBackend: string;
  /**
   * A native TensorFlow backend. Such a process should run a single trial: libtensorflow
   * keeps process-wide state that worker threads share badly (tfjs issue #8388).
   */
  readonly native: boolean;
  /** Threads one trial's kernels use (wasm in Node: 1; native: TensorFlow's intra-op pool). */
  readonly threads: number;
  /** WebAssembly SIMD in use (wasm only; null for the other backends). */
  readonly simd: boolean | null;
  /** Version of the package providing the backend. */
  readonly version: string;
  /** Backends `auto` tried before this one, and why each was skipped. */
  readonly skipped: readonly { readonly name: ResolvedBackendName; readonly reason: string }[];
}

/** A backend that was asked for by name cannot be used here. The CLI maps it to exit code 2. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';

  constructor(
    readonly backend: ResolvedBackendName,
    readonly reason: string,
  ) {
    super(`backend '${backend}' is not available: ${reason}`);
  }
}

const require = createRequire(import.meta.url);

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n', 1)[0] ?? text;
}

function packageVersion(pkg: string): string {
  try {
    const json: unknown = require(`${pkg}/package.json`);
    if (typeof json === 'object' && json !== null && 'version' in json && typeof json.version === 'string') {
      return json.version;
    }
  } catch {
    // fall through: the version is informative only
  }
  return 'unknown';
}

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

async function activate(name: ResolvedBackendName, tfjsBackend: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(tfjsBackend);
  } catch (err) {
    throw new BackendUnavailableError(name, `tfjs could not initialise it: ${firstLine(err)}`);
  }
  if (!ok) throw new BackendUnavailableError(name, 'tfjs could not initialise it (see the warning above)');
  await tf.ready();
}

async function initNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<BackendInfo> {
  const pkg = NATIVE_PACKAGES[name];
  if (!isInstalled(pkg)) {
    throw new BackendUnavailableError(name, `${pkg} is not installed (npm install ${pkg}); use --backend wasm or auto`);
  }
  try {
    // A variable specifier: the package is optional and has no types here.
    const specifier: string = pkg;
    await import(specifier);
  } catch (err) {
    throw new BackendUnavailableError(name, `${pkg} failed to load: ${firstLine(err)}`);
  }
  await activate(name, 'tensorflow');
  const intra = Number.parseInt(process.env['TF_NUM_INTRAOP_THREADS'] ?? '', 10);
  return {
    name,
    tfjsBackend: 'tensorflow',
    native: true,
    threads: Number.isInteger(intra) && intra > 0 ? intra : os.availableParallelism(),
    simd: null,
    version: packageVersion(pkg),
    skipped: [],
  };
}

let wasmPathsSet = false;

async function initWasm(): Promise<BackendInfo> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import(WASM_PACKAGE);
  } catch (err) {
    throw new BackendUnavailableError('wasm', `${WASM_PACKAGE} failed to load: ${firstLine(err)}`);
  }
  if (!wasmPathsSet) {
    // The .wasm binaries sit beside the package's Node entry point. Giving the folder
    // explicitly makes loading independent of the cwd and of how this file was bundled.
    // (Not guarded with tf.findBackend: that call itself starts initialising the backend.)
    try {
      wasm.setWasmPaths(`${dirname(require.resolve(WASM_PACKAGE))}/`);
    } catch (err) {
      throw new BackendUnavailableError('wasm', firstLine(err));
    }
    wasmPathsSet = true;
  }
  // Registered before the backend is activated so no training op can run without them.
  registerWasmTrainingKernels();
  await activate('wasm', 'wasm');
  return {
    name: 'wasm',
    tfjsBackend: 'wasm',
    native: false,
    // tfjs-backend-wasm never loads its multi-threaded binary under Node (it reports no
    // thread support there), so XNNPACK runs on the calling thread: one core per trial,
    // which is what running one trial per worker thread wants anyway.
    threads: wasm.getThreadsCount(),
    simd: (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true,
    version: wasm.version_wasm,
    skipped: [],
  };
}

async function initCpu(): Promise<BackendInfo> {
  await activate('cpu', 'cpu');
  return { name: 'cpu', tfjsBackend: 'cpu', native: false, threads: 1, simd: null, version: tf.version.tfjs, skipped: [] };
}

/**
 * Our C++ kernels (native/, built by `npm install`) on tfjs' cpu backend. Not `native` in
 * BackendInfo's sense: the addon keeps no process-wide state, so trials may share a process.
 * When it is not built, `auto` records why in `skipped` and quietly moves on (the install
 * script already printed its one line).
 */
async function initNativeKernels(): Promise<BackendInfo> {
  const prepared = prepareNativeBackend();
  if (!prepared.ok) throw new BackendUnavailableError('native', prepared.reason);
  await activate('native', 'native');
  return { name: 'native', tfjsBackend: 'native', native: false, threads: 1, simd: null, version: `${tf.version.tfjs}+${prepared.kernel}`, skipped: [] };
}

function initNamed(name: ResolvedBackendName): Promise<BackendInfo> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return initNative(name);
    case 'wasm':
      return initWasm();
    case 'cpu':
      return initCpu();
    case 'native':
      return initNativeKernels();
  }
}

/**
 * Makes `name` the active tfjs backend of this thread and describes it. `auto` takes the first
 * of AUTO_ORDER that loads; a backend named explicitly that cannot load throws
 * BackendUnavailableError with a one-line reason. Safe to call again (e.g. once per trial).
 */
export async function initBackend(name: BackendName): Promise<BackendInfo> {
  if (name !== 'auto') return initNamed(name);
  const skipped: { name: ResolvedBackendName; reason: string }[] = [];
  for (const candidate of AUTO_ORDER) {
    try {
      const info = await initNamed(candidate);
      return { ...info, skipped };
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      skipped.push({ name: candidate, reason: err.reason });
    }
  }
  // Unreachable in practice: the cpu backend ships with @tensorflow/tfjs.
  throw new BackendUnavailableError('cpu', skipped.map((s) => `${s.name}: ${s.reason}`).join('; '));
}

/** One line for logs and trial records, e.g. "wasm 4.22.0 (SIMD, 1 thread)". */
export function describeBackend(info: BackendInfo): string {
  const details = [info.native ? 'native' : null, info.simd === true ? 'SIMD' : null, `${info.threads} thread${info.threads === 1 ? '' : 's'}`];
  return `${info.name} ${info.version} (${details.filter((d) => d !== null).join(', ')})`;
}

/**
 * Frees what the active backend keeps between steps for reuse (the native backend's output
 * arrays, src/backend/native/output-recycler.ts): called when a trial ends, so that an idle
 * worker holds no trial's buffers and the next trial's model sizes the pool afresh.
 */
export function releaseBackendMemory(): void {
  clearRecycler(tf.backend());
}

export { registerWasmTrainingKernels } from './wasm-kernels/index.js';
/** Threads this thread's kernels may use (the 'native' backend's; results do not depend on it). */
export { setNativeThreads as setKernelThreads } from './native/index.js';
