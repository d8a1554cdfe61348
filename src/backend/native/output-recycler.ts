/**
 * Reuses the output arrays of the native kernels once tfjs disposes their tensors.
 *
 * Why: a fresh multi-megabyte Float32Array is zero pages that fault in on first write; for the
 * [64, 11, 17, 64] activations of cnn2d-small that costs ~1.8 ms per kernel output, ten times
 * the 0.17 ms the element-wise kernel itself takes, and a training step produces ~100 of them.
 *
 * Safety: the cpu backend hands out the very array it stores (`dataSync()` returns it, a
 * simple Slice returns a view of its input's buffer), so an array is recycled only if it is
 * provably unreachable: it was allocated here, it was never read out (readSync/read), no other
 * tensor's data shares its buffer, and the one tensor that held it has just been deleted.
 * Anything else is "pinned" and left to the garbage collector as before.
 */
import os from 'node:os';

import type { DataId } from '@tensorflow/tfjs';

import type { CpuBackend } from './util.js';

/**
 * Upper bound on the bytes a recycler keeps for reuse (per backend, i.e. per worker thread): 1 GiB,
 * or 1/16 of the machine's memory if less. A training step keeps every output alive until it
 * ends (the gradient tape), so what a step allocates is also its peak footprint (cnn2d-small:
 * ~260 MB, cnngru-seed-best: ~530 MB); the recycler holds that between steps instead of returning
 * it to the allocator, plus at most the cap in sizes no longer used (evicted oldest first).
 */
export const DEFAULT_RECYCLER_BYTES = Math.min(1024 * 1024 * 1024, Math.floor(os.totalmem() / 16));

interface Storage {
  has(dataId: DataId): boolean;
  get(dataId: DataId): { values?: unknown };
  set(dataId: DataId, value: { values?: unknown }): void;
}

export class OutputRecycler {
  /** Free arrays by length; Map order is least recently taken first (eviction order). */
  private readonly free = new Map<number, Float32Array[]>();
  /** Buffers allocated here and not pinned, with the one data id that holds each (once stored). */
  private readonly holder = new WeakMap<ArrayBufferLike, DataId | null>();
  private keptBytes = 0;
  /** take() calls served from kept arrays and freshly allocated (diagnostics). */
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes = DEFAULT_RECYCLER_BYTES) {}

  /** An array of `length` floats with arbitrary contents: the caller must write every element. */
  take(length: number): Float32Array {
    const list = this.free.get(length);
    const reused = list?.pop();
    if (list !== undefined) {
      // Most recently used length last.
      this.free.delete(length);
      this.free.set(length, list);
    }
    if (reused !== undefined) {
      this.hits++;
      this.keptBytes -= reused.byteLength;
      this.holder.set(reused.buffer, null);
      return reused;
    }
    this.misses++;
    const fresh = new Float32Array(length);
    this.holder.set(fresh.buffer, null);
    return fresh;
  }

  /** The backend stored `values` under `dataId`; a second holder of the same buffer pins it. */
  stored(values: unknown, dataId: DataId): void {
    const buffer = bufferOf(values);
    if (buffer === null || !this.holder.has(buffer)) return;
    const current = this.holder.get(buffer);
    if (current === null && isWhole(values)) {
      this.holder.set(buffer, dataId);
    } else if (current !== dataId) {
      this.holder.delete(buffer);
    }
  }

  /** `values` left the backend (read by user code or another backend): never reuse its buffer. */
  pin(values: unknown): void {
    const buffer = bufferOf(values);
    if (buffer !== null) this.holder.delete(buffer);
  }

  /** The backend deleted `dataId`, which held `values`: keep the array if it was exclusively ours. */
  released(values: unknown, dataId: DataId): void {
    const buffer = bufferOf(values);
    if (buffer === null || this.holder.get(buffer) !== dataId || !(values instanceof Float32Array)) return;
    this.holder.delete(buffer);
    if (values.byteLength > this.maxBytes) return;
    this.evict(this.keptBytes + values.byteLength - this.maxBytes, values.length);
    if (this.keptBytes + values.byteLength > this.maxBytes) return;
    const list = this.free.get(values.length);
    if (list === undefined) this.free.set(values.length, [values]);
    else list.push(values);
    this.keptBytes += values.byteLength;
    // Owned again (by the recycler) so that take() can hand it out.
    this.holder.set(buffer, null);
  }

  /** Drops free arrays of the least recently taken lengths (not `keep`) until `bytes` are freed. */
  private evict(bytes: number, keep: number): void {
    for (const [length, list] of this.free) {
      if (bytes <= 0) return;
      if (length === keep) continue;
      while (list.length > 0 && bytes > 0) {
        const dropped = list.pop() as Float32Array;
        this.holder.delete(dropped.buffer);
        this.keptBytes -= dropped.byteLength;
        bytes -= dropped.byteLength;
      }
      if (list.length === 0) this.free.delete(length);
    }
  }

  /** Bytes currently kept for reuse. */
  get bytes(): number {
    return this.keptBytes;
  }
}

function bufferOf(values: unknown): ArrayBufferLike | null {
  return ArrayBuffer.isView(values) ? values.buffer : null;
}

function isWhole(values: unknown): boolean {
  return ArrayBuffer.isView(values) && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength;
}

const recyclers = new WeakMap<object, OutputRecycler>();

/**
 * Hooks `backend` (a fresh MathBackendCPU for 'native') so that `recycler` learns which arrays are
 * stored, read out and deleted. Only this backend instance is touched, not the cpu class.
 */
export function attachRecycler(backend: CpuBackend, recycler: OutputRecycler): void {
  const storage = backend.data as unknown as Storage;
  const set = storage.set.bind(storage);
  storage.set = (dataId, value) => {
    recycler.stored(value.values, dataId);
    set(dataId, value);
  };
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    const values = readSync(dataId);
    recycler.pin(values);
    return values;
  };
  // The cpu backend's read() is readSync(); hooked as well in case that changes.
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    const values = await read(dataId);
    recycler.pin(values);
    return values;
  };
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId, force) => {
    const values = storage.has(dataId) ? storage.get(dataId).values : undefined;
    const result = disposeData(dataId, force);
    if (values !== undefined && !storage.has(dataId)) recycler.released(values, dataId);
    return result;
  };
  recyclers.set(backend, recycler);
}

/** An output array for a native kernel on `backend`: recycled when the backend has a recycler. */
export function outputArray(backend: CpuBackend, length: number): Float32Array {
  return recyclers.get(backend)?.take(length) ?? new Float32Array(length);
}

/** The recycler attached to `backend`, if any (for tests and diagnostics). */
export function recyclerOf(backend: object): OutputRecycler | undefined {
  return recyclers.get(backend);
}
