/**
 * HDF5 access through h5wasm (the HDF5 C library compiled to WebAssembly; its `h5wasm/node`
 * build reads files straight from disk through Emscripten's NODERAWFS, so opening a file does
 * not load it into memory).
 *
 * - `LazyHdf5Dataset` finds the datasets of SPEC.md's layout (signals `X`/`x`/`signals`/
 *   `tracings` of [N, L] or [N, L, C]; labels `y`/`labels` of [N] or [N, K]; optional groups
 *   `groups`/`patient_id`/`record`; attribute `classes`), validates them and reads rows in
 *   batches with reads ordered to follow the file's chunks.
 * - `Hdf5DatasetWriter` writes that layout incrementally, chunked and gzip-compressed.
 *
 * Every failure on a user's file becomes a `DataError` naming the file and the dataset path.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import h5wasm, { ready as h5ready, type Dataset, type File as H5File, type Metadata } from 'h5wasm/node';
import { DataError } from './errors.js';
import { multiClassLabels, multiLabelLabels, numberedClasses, type LabelSet } from './labels.js';
import type { SignalSource } from './source.js';

export const SIGNAL_ALIASES = ['X', 'x', 'signals', 'tracings'] as const;
export const LABEL_ALIASES = ['y', 'labels'] as const;
export const GROUP_ALIASES = ['groups', 'patient_id', 'record'] as const;

let loaded: Promise<void> | null = null;

/**
 * Waits for the h5wasm module and switches HDF5's error stack to the throwing handler, so that
 * a failed H5Fopen or read raises an exception instead of printing HDF5-DIAG to stderr and
 * returning an invalid id.
 */
export function loadH5wasm(): Promise<void> {
  loaded ??= h5ready.then((module) => {
    module.activate_throwing_error_handler();
  });
  return loaded;
}

/** The most specific message of an HDF5-DIAG error stack ("file signature not found", ...). */
export function hdf5Reason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const frames = [...text.matchAll(/#\d+: .*? in ([A-Za-z0-9_]+)\(\): (.*)$/gm)];
  const last = frames.at(-1);
  if (last) return last[2]!.trim();
  const first = text.split('\n').find((l) => l.trim() !== '');
  return first?.trim() ?? 'unknown HDF5 error';
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Checks that `path` is an HDF5 file and is not truncated, before h5wasm opens it.
 *
 * The superblock sits at offset 0, 512, 1024, 2048, ... (after an optional user block) and
 * records the end-of-file address (HDF5 File Format Specification, "Superblock", versions 0–3);
 * a file shorter than that address was cut short (interrupted copy or download).
 */
export function checkHdf5File(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(path, null, 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(path, null, 'file not found');
  }
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const got = readSync(fd, head, 0, head.length, offset);
      if (got < 8 || !head.subarray(0, 8).equals(HDF5_SIGNATURE)) continue;
      const version = head[8]!;
      let sizeOfOffsets: number;
      let addressesAt: number;
      let eofIndex: number;
      if (version === 0 || version === 1) {
        sizeOfOffsets = head[13]!;
        addressesAt = version === 0 ? 24 : 28;
        eofIndex = 2; // base, free-space, end-of-file, driver
      } else if (version === 2 || version === 3) {
        sizeOfOffsets = head[9]!;
        addressesAt = 12;
        eofIndex = 2; // base, superblock extension, end-of-file, root object header
      } else {
        throw new DataError(path, null, `unsupported HDF5 superblock version ${version}`);
      }
      if (![2, 4, 8].includes(sizeOfOffsets) || addressesAt + 3 * sizeOfOffsets > got) {
        throw new DataError(path, null, 'corrupt HDF5 superblock');
      }
      const readAddress = (i: number): bigint => {
        let v = 0n;
        for (let b = sizeOfOffsets - 1; b >= 0; b--) v = (v << 8n) | BigInt(head[addressesAt + i * sizeOfOffsets + b]!);
        return v;
      };
      const base = readAddress(0);
      const eof = readAddress(eofIndex);
      const undefinedAddress = (1n << BigInt(8 * sizeOfOffsets)) - 1n;
      if (eof !== undefinedAddress && base + eof > BigInt(size)) {
        throw new DataError(path, null, `truncated HDF5 file: ${size} bytes on disk, the superblock expects ${base + eof}`);
      }
      return;
    }
  } finally {
    closeSync(fd);
  }
  throw new DataError(path, null, 'not an HDF5 file (no HDF5 signature found)');
}

/** Opens an existing HDF5 file read-only, with `checkHdf5File` first. */
export async function openHdf5(path: string): Promise<H5File> {
  await loadH5wasm();
  checkHdf5File(path);
  try {
    return new h5wasm.File(path, 'r');
  } catch (e) {
    throw new DataError(path, null, `cannot open HDF5 file: ${hdf5Reason(e)}`, { cause: e });
  }
}

export interface DatasetDescription {
  /** Absolute path in the file, e.g. `/X`. */
  readonly path: string;
  readonly shape: readonly number[];
  /** `float32`, `float64`, `int64`, `uint8`, `string`, `bool`, ... */
  readonly dtype: string;
  /** Chunk shape, or null for contiguous storage. */
  readonly chunks: readonly number[] | null;
  /** Filter pipeline in order (`shuffle`, `gzip(4)`, ...). */
  readonly filters: readonly string[];
}

export function describeDtype(m: Metadata): string {
  switch (m.type) {
    case 0:
      return `${m.signed ? 'int' : 'uint'}${8 * m.size}`;
    case 1:
      return `float${8 * m.size}`;
    case 3:
      return 'string';
    case 8:
      return m.size === 1 ? 'bool' : `enum${8 * m.size}`;
    default:
      return `hdf5-class-${m.type}`;
  }
}

function describeDataset(d: Dataset): DatasetDescription {
  const m = d.metadata;
  return {
    path: d.path,
    shape: m.shape ?? [],
    dtype: describeDtype(m),
    chunks: m.chunks ?? null,
    filters: d.filters.map((f) => (f.id === 1 ? `gzip(${f.cd_values[0] ?? ''})` : f.name)),
  };
}

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

export interface Hdf5Layout {
  readonly file: string;
  readonly signals: DatasetDescription;
  readonly labels: DatasetDescription;
  readonly groups: DatasetDescription | null;
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  readonly multilabel: boolean;
  /** The `classes` attribute (root, else the label dataset), or null if the file has none. */
  readonly classes: readonly string[] | null;
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

export interface LazyHdf5Options {
  /**
   * Bytes of decompressed chunks kept in a least-recently-used cache (default 32 MiB).
   * h5wasm opens and closes the dataset on every read, which drops HDF5's own chunk cache, so
   * without this every row would decompress its chunk again.
   */
  readonly cacheBytes?: number;
}

/**
 * An HDF5 file in SPEC.md's layout, read lazily: only the rows asked for are read, in runs that
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
      const { layout, signals } = LazyHdf5Dataset.detectLayout(file, h5);
      return new LazyHdf5Dataset(file, h5, signals, layout, opts);
    } catch (e) {
      h5.close();
      throw e;
    }
  }

  private static detectLayout(file: string, h5: H5File): { layout: Hdf5Layout; signals: Dataset } {
    let keys: string[];
    try {
      keys = h5.keys();
    } catch (e) {
      throw new DataError(file, '/', `cannot list datasets: ${hdf5Reason(e)}`, { cause: e });
    }
    const find = (aliases: readonly string[]): Dataset | null => {
      for (const name of aliases) {
        if (!keys.includes(name)) continue;
        const obj = h5.get(name);
        if (obj instanceof h5wasm.Dataset) return obj;
        throw new DataError(file, `/${name}`, 'expected a dataset, found a group or link');
      }
      return null;
    };
    const sig = find(SIGNAL_ALIASES);
    if (!sig) throw new DataError(file, '/', `no signal dataset: expected one of ${SIGNAL_ALIASES.map((a) => `/${a}`).join(', ')} (found ${keys.length ? keys.map((k) => `/${k}`).join(', ') : 'nothing'})`);
    const lab = find(LABEL_ALIASES);
    if (!lab) throw new DataError(file, '/', `no label dataset: expected one of ${LABEL_ALIASES.map((a) => `/${a}`).join(', ')}`);
    const grp = find(GROUP_ALIASES);

    const signals = describeDataset(sig);
    const labels = describeDataset(lab);
    const groups = grp ? describeDataset(grp) : null;
    const sm = sig.metadata;
    if (sm.type !== 1 || (sm.size !== 4 && sm.size !== 8)) {
      throw new DataError(file, signals.path, `expected float32 or float64 signals, found ${signals.dtype}`);
    }
    const s = signals.shape;
    if (s.length !== 2 && s.length !== 3) {
      throw new DataError(file, signals.path, `expected shape [N, L] or [N, L, C], found [${s.join(', ')}]`);
    }
    const [count, length] = [s[0]!, s[1]!];
    const channels = s.length === 3 ? s[2]! : 1;
    if (count === 0 || length === 0 || channels === 0) throw new DataError(file, signals.path, `empty signal dataset of shape [${s.join(', ')}]`);

    const lm = lab.metadata;
    if (lm.type !== 0 && lm.type !== 1 && lm.type !== 8) {
      throw new DataError(file, labels.path, `expected integer, float or bool labels, found ${labels.dtype}`);
    }
    const ls = labels.shape;
    if (ls.length !== 1 && ls.length !== 2) {
      throw new DataError(file, labels.path, `expected shape [N] (class index) or [N, K] (multi-hot), found [${ls.join(', ')}]`);
    }
    if (ls[0] !== count) throw new DataError(file, labels.path, `has ${ls[0]} rows but ${signals.path} has ${count}`);
    // [N, 1] is a column vector of class indices (a common h5py habit), not one multi-hot label.
    const multilabel = ls.length === 2 && ls[1]! > 1;
    if (groups) {
      if (groups.shape.length !== 1 && !(groups.shape.length === 2 && groups.shape[1] === 1)) {
        throw new DataError(file, groups.path, `expected shape [N], found [${groups.shape.join(', ')}]`);
      }
      if (groups.shape[0] !== count) throw new DataError(file, groups.path, `has ${groups.shape[0]} rows but ${signals.path} has ${count}`);
    }

    let classes: string[] | null = null;
    const readClasses = (owner: { attrs: Record<string, unknown>; get_attribute(n: string, j: true): unknown }, where: string): string[] | null => {
      if (!('classes' in owner.attrs)) return null;
      let v: unknown;
      try {
        v = owner.get_attribute('classes', true);
      } catch (e) {
        throw new DataError(file, `${where} attribute classes`, `unreadable: ${hdf5Reason(e)}`, { cause: e });
      }
      if (typeof v === 'string') return [v];
      if (Array.isArray(v) && v.every((c) => typeof c === 'string' || typeof c === 'number')) return v.map(String);
      throw new DataError(file, `${where} attribute classes`, 'expected a list of class names');
    };
    classes = readClasses(h5, '/') ?? readClasses(lab, labels.path);
    if (multilabel && classes && classes.length !== ls[1]) {
      throw new DataError(file, `${labels.path}`, `has ${ls[1]} labels per row but attribute classes names ${classes.length}`);
    }

    return {
      signals: sig,
      layout: { file, signals, labels, groups, count, length, channels, multilabel, classes },
    };
  }

  private dataset(path: string): Dataset {
    const d = this.h5.get(path);
    if (!(d instanceof h5wasm.Dataset)) throw new DataError(this.file, path, 'dataset disappeared');
    return d;
  }

  private readWhole(path: string): unknown {
    try {
      return this.dataset(path).value;
    } catch (e) {
      if (e instanceof DataError) throw e;
      throw new DataError(this.file, path, `read failed: ${hdf5Reason(e)}`, { cause: e });
    }
  }

  /** Reads and validates the labels (integers in range, or 0/1 multi-hot). */
  readLabels(): LabelSet {
    const { labels: desc, count, multilabel } = this.layout;
    const values = toFloat64(this.readWhole(desc.path));
    if (multilabel) {
      const k = desc.shape[1]!;
      const hot = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v !== 0 && v !== 1) {
          throw new DataError(this.file, desc.path, `multi-hot labels must be 0 or 1; row ${Math.floor(i / k)}, label ${i % k} holds ${v}`);
        }
        hot[i] = v;
      }
      return multiLabelLabels(hot, this.layout.classes ?? numberedClasses(k));
    }
    const idx = new Int32Array(count);
    let max = -1;
    for (let i = 0; i < count; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < 0) {
        throw new DataError(this.file, desc.path, `class labels must be integers >= 0; row ${i} holds ${v}`);
      }
      if (v > max) max = v;
      idx[i] = v;
    }
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
    const desc = this.layout.groups;
    if (!desc) return null;
    const raw = this.readWhole(desc.path);
    const ids = new Int32Array(this.count);
    const seen = new Map<string | number, number>();
    const values: ArrayLike<unknown> = Array.isArray(raw) ? raw : ArrayBuffer.isView(raw) ? (toFloat64(raw) as ArrayLike<number>) : [];
    if (values.length !== this.count) throw new DataError(this.file, desc.path, 'unreadable group ids');
    for (let i = 0; i < this.count; i++) {
      const v = values[i];
      const key = typeof v === 'number' || typeof v === 'string' ? v : String(v);
      if (typeof key === 'number' && !Number.isFinite(key)) throw new DataError(this.file, desc.path, `row ${i} holds a non-finite group id`);
      let id = seen.get(key);
      if (id === undefined) {
        id = seen.size;
        seen.set(key, id);
      }
      ids[i] = id;
    }
    return ids;
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

export interface Hdf5WriterOptions {
  readonly length: number;
  readonly channels: number;
  /** Write signals as [N, L] when channels is 1 (the Kaggle layout); default true. */
  readonly squeezeChannels?: boolean;
  /** Class (or label) names; for multi-label data their number is K. May be empty for a
   * multi-class import whose classes are known only at `close`. */
  readonly classes: readonly string[];
  readonly multilabel: boolean;
  readonly withGroups: boolean;
  /** Rows per chunk of the signal dataset; default about 16 KiB per chunk. */
  readonly chunkRows?: number;
  /** gzip level 1..9, or 0 for no compression; default 4. */
  readonly gzipLevel?: number;
  /** Extra string attributes on the root. */
  readonly attributes?: Readonly<Record<string, string>>;
}

/**
 * Writes SPEC.md's layout block by block: resizable (maxshape None), chunked, gzip-compressed
 * datasets `X` (float32), `y` (int32 class index, or uint8 [N, K] multi-hot), optional
 * `groups` (int32), and the root attribute `classes`. Memory use is one block, whatever N.
 */
export class Hdf5DatasetWriter {
  readonly path: string;
  private readonly h5: H5File;
  private readonly x: Dataset;
  private readonly y: Dataset;
  private readonly groups: Dataset | null;
  private readonly opts: Hdf5WriterOptions;
  private readonly rank3: boolean;
  private rows = 0;

  private constructor(path: string, h5: H5File, opts: Hdf5WriterOptions) {
    this.path = path;
    this.h5 = h5;
    this.opts = opts;
    const { length: l, channels: c } = opts;
    const k = opts.classes.length;
    this.rank3 = c > 1 || opts.squeezeChannels === false;
    const rowBytes = l * c * 4;
    // ~16 KiB chunks: small enough that a random row costs little to decompress when read
    // lazily, large enough for gzip to compress well (h5py's advice: 10 KiB to 1 MiB).
    const chunkRows = Math.max(1, opts.chunkRows ?? Math.min(1024, Math.max(4, Math.round((16 * 1024) / rowBytes))));
    // gzip level 0 = chunked without a compression filter.
    const level = opts.gzipLevel ?? 4;
    const gzip = level > 0 ? { compression: 'gzip' as const, compression_opts: level } : {};
    this.x = h5.create_dataset({
      name: 'X',
      data: new Float32Array(0),
      shape: this.rank3 ? [0, l, c] : [0, l],
      maxshape: this.rank3 ? [null, l, c] : [null, l],
      dtype: '<f',
      chunks: this.rank3 ? [chunkRows, l, c] : [chunkRows, l],
      ...gzip,
    });
    this.y = opts.multilabel
      ? h5.create_dataset({ name: 'y', data: new Uint8Array(0), shape: [0, k], maxshape: [null, k], dtype: '<B', chunks: [Math.max(1, Math.floor(65536 / k)), k], ...gzip })
      : h5.create_dataset({ name: 'y', data: new Int32Array(0), shape: [0], maxshape: [null], dtype: '<i', chunks: [16384], ...gzip });
    this.groups = opts.withGroups
      ? h5.create_dataset({ name: 'groups', data: new Int32Array(0), shape: [0], maxshape: [null], dtype: '<i', chunks: [16384], ...gzip })
      : null;
    for (const [name, value] of Object.entries(opts.attributes ?? {})) h5.create_attribute(name, value);
  }

  static async create(path: string, opts: Hdf5WriterOptions): Promise<Hdf5DatasetWriter> {
    await loadH5wasm();
    let h5: H5File;
    try {
      h5 = new h5wasm.File(path, 'w');
    } catch (e) {
      throw new DataError(path, null, `cannot create HDF5 file: ${hdf5Reason(e)}`, { cause: e });
    }
    return new Hdf5DatasetWriter(path, h5, opts);
  }

  get rowCount(): number {
    return this.rows;
  }

  /**
   * Appends `n` rows: signals float32 [n, L, C]; labels int32 [n] or uint8 [n, K]; groups int32 [n].
   */
  append(signals: Float32Array, labels: Int32Array | Uint8Array, groups?: Int32Array): void {
    const { length: l, channels: c } = this.opts;
    const n = signals.length / (l * c);
    if (!Number.isInteger(n)) throw new RangeError('signal block is not a whole number of rows');
    if (n === 0) return;
    const k = this.opts.classes.length;
    if (labels.length !== (this.opts.multilabel ? n * k : n)) throw new RangeError('label block does not match the signal block');
    const a = this.rows;
    const b = a + n;
    this.x.resize(this.rank3 ? [b, l, c] : [b, l]);
    this.x.write_slice([[a, b]], signals);
    this.y.resize(this.opts.multilabel ? [b, k] : [b]);
    this.y.write_slice([[a, b]], labels);
    if (this.groups) {
      if (!groups || groups.length !== n) throw new RangeError('group block does not match the signal block');
      this.groups.resize([b]);
      this.groups.write_slice([[a, b]], groups);
    }
    this.rows = b;
  }

  /**
   * Writes the `classes` attribute (given at creation, or `classes` here when they are known
   * only at the end, as for a CSV import) and closes the file.
   */
  close(classes?: readonly string[]): void {
    try {
      const names = classes ?? this.opts.classes;
      if (names.length > 0) this.h5.create_attribute('classes', [...names]);
    } finally {
      this.h5.close();
    }
  }
}

/** In-memory arrays of a whole dataset, as `generateSynthetic` returns them. */
export interface DatasetArrays {
  /** float32 row-major [count, length, channels]. */
  readonly signals: Float32Array;
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  readonly labels: LabelSet;
  /** Group (patient) id per sample, or null. */
  readonly groups: Int32Array | null;
}

/** Writes whole arrays to `path` in SPEC.md's layout (chunked, gzip), block by block. */
export async function writeHdf5(path: string, data: DatasetArrays, opts: { chunkRows?: number; gzipLevel?: number; attributes?: Record<string, string> } = {}): Promise<void> {
  const w = await Hdf5DatasetWriter.create(path, {
    length: data.length,
    channels: data.channels,
    classes: data.labels.classes,
    multilabel: data.labels.multilabel,
    withGroups: data.groups !== null,
    ...opts,
  });
  try {
    const rowSize = data.length * data.channels;
    const k = data.labels.numClasses;
    const block = 8192;
    for (let a = 0; a < data.count; a += block) {
      const b = Math.min(data.count, a + block);
      w.append(
        data.signals.subarray(a * rowSize, b * rowSize),
        data.labels.multilabel ? data.labels.multiHot.subarray(a * k, b * k) : data.labels.classIndex.subarray(a, b),
        data.groups ? data.groups.subarray(a, b) : undefined,
      );
    }
  } finally {
    w.close();
  }
}
