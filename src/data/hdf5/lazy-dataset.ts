/**
 * An HDF5 file in the layout of docs/data.md ("HDF5"), read lazily by `LazyHdf5Dataset`:
 * layout detected and validated on open, rows read in batches with reads ordered to follow
 * the file's chunks, and a cache of decompressed chunks.
 *
 * Every failure on a user's file becomes a `DataError` naming the file and the dataset path.
 */
import h5wasm, { type Dataset, type File as H5File } from 'h5wasm/node';
import { DataError } from '../errors.js';
import { multiClassLabels, multiLabelLabels, newClassIndex, numberedClasses, type ClassIndex, type LabelSet } from '../labels.js';
import type { SignalSource } from '../source.js';
import { hdf5Reason, openHdf5 } from './h5wasm.js';
import { detectLayout, type Hdf5Layout } from './layout.js';

/** Converts whatever h5wasm returns for a numeric dataset to float64 (int64 arrives as BigInt64Array). */
function toFloat64(v: unknown): Float64Array {
  if (v instanceof Float64Array) return v;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, (x) => Number(x));
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Float64Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === 'number') return Float64Array.of(v);
  if (typeof v === 'boolean') return Float64Array.of(v ? 1 : 0);
  if (Array.isArray(v)) return Float64Array.from(v, (x) => (typeof x === 'boolean' ? (x ? 1 : 0) : Number(x)));
  throw new TypeError('not numeric data');
}

/**
 * Groups sorted, de-duplicated chunk indices into runs of consecutive chunks; each run is read
 * with one `dataset.slice` (one H5Dread: HDF5 decompresses each chunk once, and the fixed cost
 * of a read — opening the dataset, a hyperslab selection — is paid once per run).
 */
export function chunkRuns(sortedChunks: ArrayLike<number>): Array<[first: number, end: number]> {
  const runs: Array<[number, number]> = [];
  for (let r = 0; r < sortedChunks.length; r++) {
    const c = sortedChunks[r]!;
    const last = runs[runs.length - 1];
    if (last && last[1] === c) last[1] = c + 1;
    else runs.push([c, c + 1]);
  }
  return runs;
}

/** Rows per read of a per-sample dataset (labels, groups): at most 2 MiB of int64 / float64. */
const BLOCK_ROWS = 1 << 18;

export interface LazyHdf5Options {
  /**
   * Bytes of decompressed chunks kept in a least-recently-used cache (default 32 MiB).
   * h5wasm opens and closes the dataset on every read, which drops HDF5's own chunk cache, so
   * without this every row would decompress its chunk again.
   */
  readonly cacheBytes?: number;
}

/**
 * An HDF5 file in the layout of `layout.ts`, read lazily: only the rows asked for are read, in runs that
 * follow the file's chunks (`chunkRuns`, with a cache of decompressed chunks), then scattered
 * into the batch in request order.
 */
export class LazyHdf5Dataset implements SignalSource {
  readonly file: string;
  readonly layout: Hdf5Layout;
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  /** Rows per read unit (and per cache entry): the chunk's first dimension, see the constructor. */
  readonly unitRows: number;
  private readonly h5: H5File;
  private readonly signals: Dataset;
  private readonly rowSize: number;
  private readonly cache = new Map<number, Float32Array>();
  private readonly cacheCapacity: number;
  private closed = false;
  /** Rows read from disk, for measurements. */
  rowsRead = 0;
  /** `dataset.slice` calls, for measurements. */
  sliceCalls = 0;

  private constructor(file: string, h5: H5File, signals: Dataset, layout: Hdf5Layout, opts: LazyHdf5Options) {
    this.file = file;
    this.h5 = h5;
    this.signals = signals;
    this.layout = layout;
    this.count = layout.count;
    this.length = layout.length;
    this.channels = layout.channels;
    this.rowSize = layout.length * layout.channels;
    // A read unit is one chunk's rows (contiguous storage: ~16 KiB), capped at ~4 MiB so that a
    // file chunked along the wrong axis (say [N/8, 1]) does not turn each request into a huge read.
    const rowBytes = this.rowSize * 4;
    const chunkRows = layout.signals.chunks ? layout.signals.chunks[0]! : Math.round(16384 / rowBytes);
    this.unitRows = Math.max(1, Math.min(chunkRows, Math.floor((4 * 1024 * 1024) / rowBytes)));
    this.cacheCapacity = Math.floor((opts.cacheBytes ?? 32 * 1024 * 1024) / (this.unitRows * this.rowSize * 4));
  }

  /** Opens and validates the layout (shapes, dtypes, lengths); does not read signals. */
  static async open(file: string, opts: LazyHdf5Options = {}): Promise<LazyHdf5Dataset> {
    const h5 = await openHdf5(file);
    try {
      const { layout, signals } = detectLayout(file, h5);
      return new LazyHdf5Dataset(file, h5, signals, layout, opts);
    } catch (e) {
      h5.close();
      throw e;
    }
  }

  private dataset(path: string): Dataset {
    const d = this.h5.get(path);
    if (!(d instanceof h5wasm.Dataset)) throw new DataError(this.file, path, 'dataset disappeared');
    return d;
  }

  /**
   * Reads the rows of a per-sample dataset (labels, groups) in blocks of `BLOCK_ROWS`, handing
   * each to `visit` with its first row. Not in one read: h5wasm copies a read into its wasm
   * heap, which never shrinks, so a whole read of 11 M int64 labels would keep 88 MB there
   * (and as many again in the JS copies) for the life of the process.
   */
  private readBlocks(path: string, visit: (values: unknown, first: number, rows: number) => void): void {
    const d = this.dataset(path);
    for (let a = 0; a < this.count; a += BLOCK_ROWS) {
      const b = Math.min(this.count, a + BLOCK_ROWS);
      let v: unknown;
      try {
        v = d.slice([[a, b]]);
      } catch (e) {
        throw new DataError(this.file, path, `read failed: ${hdf5Reason(e)}`, { cause: e });
      }
      visit(v, a, b - a);
    }
  }

  /** Reads and validates the labels (integers in range, or 0/1 multi-hot). */
  readLabels(): LabelSet {
    const { labels: desc, count, multilabel } = this.layout;
    if (multilabel) {
      const k = desc.shape[1]!;
      const hot = new Uint8Array(count * k);
      this.readBlocks(desc.path, (block, first) => {
        const values = toFloat64(block);
        const at = first * k;
        for (let j = 0; j < values.length; j++) {
          const v = values[j]!;
          const i = at + j;
          if (v !== 0 && v !== 1) {
            throw new DataError(this.file, desc.path, `multi-hot labels must be 0 or 1; row ${Math.floor(i / k)}, label ${i % k} holds ${v}`);
          }
          hot[i] = v;
        }
      });
      return multiLabelLabels(hot, this.layout.classes ?? numberedClasses(k));
    }
    // Shared from the start: the study's DataRef hands this very array to every worker thread.
    // One byte a label (labels.ts, ClassIndex) until a label above 255 calls for four.
    let idx: ClassIndex = newClassIndex(count, this.layout.classes?.length ?? 256, (b) => new SharedArrayBuffer(b));
    let max = -1;
    this.readBlocks(desc.path, (block, first) => {
      const values = toFloat64(block);
      for (let j = 0; j < values.length; j++) {
        const v = values[j]!;
        if (!Number.isInteger(v) || v < 0) {
          throw new DataError(this.file, desc.path, `class labels must be integers >= 0; row ${first + j} holds ${v}`);
        }
        if (v > max) {
          max = v;
          if (max > 255 && idx instanceof Uint8Array) {
            const wide = newClassIndex(count, max + 1, (b) => new SharedArrayBuffer(b));
            wide.set(idx.subarray(0, first + j));
            idx = wide;
          }
        }
        idx[first + j] = v;
      }
    });
    const classes = this.layout.classes;
    if (classes && max >= classes.length) {
      const row = idx.findIndex((v) => v >= classes.length);
      throw new DataError(this.file, desc.path, `label ${max} at row ${row} is out of range for the ${classes.length} classes of attribute classes (${classes.join(', ')})`);
    }
    if (!classes && max > 10_000) {
      throw new DataError(this.file, desc.path, `label ${max} is implausibly large for a class index`);
    }
    return multiClassLabels(idx, classes ?? numberedClasses(max + 1));
  }

  /** Reads the groups (patient / record ids, numbers or strings) as dense ids 0..G-1, or null. */
  readGroups(): Int32Array | null {
    return this.readGroupsNamed()?.ids ?? null;
  }

  /**
   * The groups as dense ids and the name of each id: its value in the file as text, or, in a
   * file written by the WFDB import (src/data/wfdb/import.ts), the record name that the root
   * attribute `records` holds at that position. Names are not yet made printable.
   */
  readGroupsNamed(): { readonly ids: Int32Array; readonly names: readonly string[] } | null {
    const desc = this.layout.groups;
    if (!desc) return null;
    const ids = new Int32Array(this.count);
    const seen = new Map<string | number, number>();
    this.readBlocks(desc.path, (raw, first, rows) => {
      const values: ArrayLike<unknown> = Array.isArray(raw) ? raw : ArrayBuffer.isView(raw) ? (toFloat64(raw) as ArrayLike<number>) : [];
      if (values.length !== rows) throw new DataError(this.file, desc.path, 'unreadable group ids');
      for (let j = 0; j < rows; j++) {
        const v = values[j];
        const i = first + j;
        const key = typeof v === 'number' || typeof v === 'string' ? v : String(v);
        if (typeof key === 'number' && !Number.isFinite(key)) throw new DataError(this.file, desc.path, `row ${i} holds a non-finite group id`);
        let id = seen.get(key);
        if (id === undefined) {
          id = seen.size;
          seen.set(key, id);
        }
        ids[i] = id;
      }
    });
    const recordsAttr: unknown = 'records' in this.h5.attrs ? this.h5.attrs['records']!.value : null;
    const records = typeof recordsAttr === 'string' ? recordsAttr.split(',') : null;
    const names = Array.from(seen.keys(), (k) => (records && typeof k === 'number' && Number.isInteger(k) && k >= 0 && k < records.length ? records[k]! : String(k)));
    return { ids, names };
  }

  private sliceRows(start: number, end: number): Float32Array | Float64Array {
    this.sliceCalls++;
    this.rowsRead += end - start;
    let v: unknown;
    try {
      v = this.signals.slice([[start, end]]);
    } catch (e) {
      throw new DataError(this.file, this.layout.signals.path, `read of rows ${start}..${end - 1} failed: ${hdf5Reason(e)}`, { cause: e });
    }
    if (v instanceof Float32Array || v instanceof Float64Array) return v;
    throw new DataError(this.file, this.layout.signals.path, 'unexpected data type returned by HDF5');
  }

  private checkFinite(rows: Float32Array | Float64Array, firstRow: number, rowNumbers?: ArrayLike<number>): void {
    for (let i = 0; i < rows.length; i++) {
      if (!Number.isFinite(rows[i]!)) {
        const rowSize = this.length * this.channels;
        const r = Math.floor(i / rowSize);
        const row = rowNumbers ? rowNumbers[r]! : firstRow + r;
        const within = i % rowSize;
        throw new DataError(
          this.file,
          this.layout.signals.path,
          `row ${row} holds a non-finite value (${rows[i]}) at sample ${Math.floor(within / this.channels)}, channel ${within % this.channels}`,
        );
      }
    }
  }

  /** Rows [start, end) as float32, checked finite. */
  readRange(start: number, end: number): Float32Array {
    if (start < 0 || end > this.count || start > end) throw new RangeError(`rows [${start}, ${end}) out of range [0, ${this.count})`);
    const v = this.sliceRows(start, end);
    this.checkFinite(v, start);
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }

  /** Chunk `c` from the cache (refreshing its recency), or undefined. */
  private cached(c: number): Float32Array | undefined {
    const v = this.cache.get(c);
    if (v) {
      this.cache.delete(c);
      this.cache.set(c, v);
    }
    return v;
  }

  private remember(c: number, rows: Float32Array): void {
    if (this.cacheCapacity < 1) return;
    this.cache.set(c, rows);
    while (this.cache.size > this.cacheCapacity) this.cache.delete(this.cache.keys().next().value!);
  }

  /**
   * Copies rows `indices` (any order, repeats allowed) to `out`. The requests are sorted, the
   * chunks they fall in are taken from the cache or read in runs of consecutive chunks (one
   * slice per run), and each row is scattered to its place in the batch.
   */
  gather(indices: ArrayLike<number>, out: Float32Array): void {
    if (this.closed) throw new Error(`${this.file} is closed`);
    const n = indices.length;
    if (n === 0) return;
    const R = this.unitRows;
    const rowSize = this.rowSize;
    const order = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const i = indices[r]!;
      if (!(Number.isInteger(i) && i >= 0 && i < this.count)) throw new RangeError(`row ${i} out of range [0, ${this.count})`);
      order[r] = r;
    }
    order.sort((a, b) => indices[a]! - indices[b]! || a - b);
    // Chunks needed, ascending; those not cached are read in runs.
    const needed: number[] = [];
    for (let r = 0; r < n; r++) {
      const c = Math.floor(indices[order[r]!]! / R);
      if (needed.length === 0 || needed[needed.length - 1] !== c) needed.push(c);
    }
    const pinned = new Map<number, Float32Array>();
    const missing: number[] = [];
    for (const c of needed) {
      const hit = this.cached(c);
      if (hit) pinned.set(c, hit);
      else missing.push(c);
    }
    for (const [first, end] of chunkRuns(missing)) {
      const a = first * R;
      const b = Math.min(this.count, end * R);
      const block = this.readRange(a, b);
      for (let c = first; c < end; c++) {
        const from = (c * R - a) * rowSize;
        const to = (Math.min(this.count, (c + 1) * R) - a) * rowSize;
        // A cached chunk must not keep a whole multi-chunk run alive: copy it out of the run.
        const rows = end - first === 1 ? block : block.slice(from, to);
        pinned.set(c, rows);
        this.remember(c, rows);
      }
    }
    for (let r = 0; r < n; r++) {
      const dest = order[r]!;
      const i = indices[dest]!;
      const chunk = pinned.get(Math.floor(i / R))!;
      const at = (i % R) * rowSize;
      out.set(chunk.subarray(at, at + rowSize), dest * rowSize);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.h5.close();
  }
}
