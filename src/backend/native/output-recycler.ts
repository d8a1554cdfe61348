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
 * Upper bound on the bytes a recycler keeps for reuse (per backend, i.e. per worker thread),
 * whatever a step needs: 1 GiB, or 1/16 of the machine's memory if less. The working bound is
 * lower: see `OutputRecycler`.
 */
export const DEFAULT_RECYCLER_BYTES = Math.min(1024 * 1024 * 1024, Math.floor(os.totalmem() / 16));

interface Storage {
  has(dataId: DataId): boolean;
  get(dataId: DataId): { values?: unknown };
  set(dataId: DataId, value: { values?: unknown }): void;
}

/** What the recycler may own in all, as a multiple of the most bytes live at once (see OutputRecycler). */
export const HEADROOM = 2;

/** The holder state of a buffer that sits in the recycler's free lists. */
const KEPT: unique symbol = Symbol('kept');

/**
 * Sized by what a step needs: a training step keeps every output alive until it ends (the
 * gradient tape), so the most bytes live at once (the high-water mark of arrays handed out and
 * not yet released) is the step's footprint (cnngru-seed-best at batch 32: ~250 MB). A step's
 * arrays of each size are at most as many as were live at once, but the backward pass frees
 * some and takes others of other sizes, so the arrays a step reuses sum to somewhat more than
 * its footprint (cnngru-seed-best: ~275 MB; bounded by the footprint alone, ~540 of its ~1,200
 * outputs a step would be fresh allocations again). So the recycler owns at most
 * `HEADROOM` × the high-water mark in all (live + kept): arrays released beyond it are left to
 * the garbage collector, after evicting the sizes taken least recently (the last, smaller batch
 * of an epoch, the validation pass). A fixed cap instead (1 GiB per thread, as before) held up
 * to the cap in sizes no longer used. `clear()` (the end of a trial) drops every kept array
 * and starts the high-water mark again, so the next trial's model sizes the pool.
 */
export class OutputRecycler {
  /** Free arrays by length; Map order is least recently taken first (eviction order). */
  private readonly free = new Map<number, Float32Array[]>();
  /**
   * Buffers allocated here and not pinned: the one data id that holds each (once stored), null
   * while handed out and not yet stored, KEPT while in `free`.
   */
  private readonly holder = new WeakMap<ArrayBufferLike, DataId | null | typeof KEPT>();
  private keptBytes = 0;
  private liveBytes = 0;
  private highWater = 0;
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
      if (list.length > 0) this.free.set(length, list);
    }
    let out: Float32Array;
    if (reused !== undefined) {
      this.hits++;
      this.keptBytes -= reused.byteLength;
      out = reused;
    } else {
      this.misses++;
      out = new Float32Array(length);
    }
    this.holder.set(out.buffer, null);
    this.liveBytes += out.byteLength;
    if (this.liveBytes > this.highWater) this.highWater = this.liveBytes;
    return out;
  }

  /** The backend stored `values` under `dataId`; a second holder of the same buffer pins it. */
  stored(values: unknown, dataId: DataId): void {
    const buffer = bufferOf(values);
    if (buffer === null) return;
    const current = this.holder.get(buffer);
    if (current === undefined || current === KEPT) return;
    if (current === null && isWhole(values)) {
      this.holder.set(buffer, dataId);
    } else if (current !== dataId) {
      this.forget(buffer);
    }
  }

  /** `values` left the backend (read by user code or another backend): never reuse its buffer. */
  pin(values: unknown): void {
    const buffer = bufferOf(values);
    if (buffer === null) return;
    const current = this.holder.get(buffer);
    if (current !== undefined && current !== KEPT) this.forget(buffer);
  }

  /** The backend deleted `dataId`, which held `values`: keep the array if it was exclusively ours and fits. */
  released(values: unknown, dataId: DataId): void {
    const buffer = bufferOf(values);
    if (buffer === null || this.holder.get(buffer) !== dataId || !(values instanceof Float32Array)) return;
    this.forget(buffer);
    const bytes = values.byteLength;
    const owned = HEADROOM * this.highWater;
    if (bytes > Math.min(this.maxBytes, owned)) return;
    // Kept and live together stay within the headroom over the high-water mark, kept alone within the cap.
    this.evict(Math.max(this.liveBytes + this.keptBytes + bytes - owned, this.keptBytes + bytes - this.maxBytes), values.length);
    if (this.liveBytes + this.keptBytes + bytes > owned || this.keptBytes + bytes > this.maxBytes) return;
    const list = this.free.get(values.length);
    if (list === undefined) this.free.set(values.length, [values]);
    else list.push(values);
    this.keptBytes += bytes;
    this.holder.set(buffer, KEPT);
  }

  /**
   * Drops every kept array (to the garbage collector) and restarts the high-water mark from
   * what is live now: between trials, whose models need other sizes.
   */
  clear(): void {
    for (const list of this.free.values()) for (const a of list) this.holder.delete(a.buffer);
    this.free.clear();
    this.keptBytes = 0;
    this.highWater = this.liveBytes;
  }

  /** A handed-out buffer leaves the recycler's accounting (pinned, shared, or released). */
  private forget(buffer: ArrayBufferLike): void {
    this.holder.delete(buffer);
    this.liveBytes -= buffer.byteLength;
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

  /** Bytes handed out and not yet released (outputs of live tensors). */
  get live(): number {
    return this.liveBytes;
  }

  /** The most bytes live at once since the last `clear()`; the recycler owns at most HEADROOM times this. */
  get highWaterBytes(): number {
    return this.highWater;
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

/** Drops the arrays `backend`'s recycler keeps (a no-op for a backend without one). */
export function clearRecycler(backend: object): void {
  recyclers.get(backend)?.clear();
}

/** The recycler attached to `backend`, if any (for tests and diagnostics). */
export function recyclerOf(backend: object): OutputRecycler | undefined {
  return recyclers.get(backend);
}
