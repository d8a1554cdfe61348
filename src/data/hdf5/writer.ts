/**
 * Writing the layout of docs/data.md ("HDF5"): `Hdf5DatasetWriter` block by block, and
 * `writeHdf5` for whole arrays in memory.
 */
import h5wasm, { type Dataset, type File as H5File } from 'h5wasm/node';
import { DataError } from '../errors.js';
import type { DatasetArrays } from '../types.js';
import { hdf5Reason, loadH5wasm } from './h5wasm.js';

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
 * Writes the layout of `layout.ts` block by block: resizable (maxshape None), chunked,
 * gzip-compressed datasets `X` (float32), `y` (int32 class index, or uint8 [N, K] multi-hot),
 * optional `groups` (int32), and the root attribute `classes`. Memory use is one block,
 * whatever N.
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
   * Appends `n` rows: signals float32 [n, L, C]; class indices [n] (written as int32) or multi-hot uint8 [n, K]; groups int32 [n].
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
    // Class indices are stored as int32 whatever their width in memory (labels.ts, ClassIndex).
    this.y.write_slice([[a, b]], this.opts.multilabel || labels instanceof Int32Array ? labels : Int32Array.from(labels));
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
/** Writes whole arrays to `path` in the layout of `layout.ts` (chunked, gzip), block by block. */
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
