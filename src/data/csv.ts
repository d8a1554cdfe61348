/**
 * Kaggle heartbeat CSVs (Kachuee et al. 2018: `mitbih_train.csv`, `mitbih_test.csv`,
 * `ptbdb_normal.csv`, `ptbdb_abnormal.csv`): no header, 187 signal values then the label.
 *
 * Files are streamed line by line (`readline` over a read stream) and handed on in blocks, so
 * memory is one block whatever the file size. Every row must have the width of the first one;
 * a ragged row, a cell that is not a finite number, or a label that is not a class index is a
 * `DataError` at `file:line:column`.
 */
import { createReadStream, rmSync, renameSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { DataError } from './errors.js';
import { Hdf5DatasetWriter } from './hdf5/writer.js';
import { numberedClasses } from './labels.js';
import { MITBIH_CLASSES } from './synthetic.js';

export const KAGGLE_SIGNAL_LENGTH = 187;
export const PTBDB_CLASSES = ['normal', 'abnormal'] as const;

export interface CsvBlock {
  /** float32 [rows, width − 1]. */
  readonly signals: Float32Array;
  readonly labels: Int32Array;
  readonly rows: number;
}

export interface CsvReadOptions {
  /** Rows per block handed to `onBlock` (default 4096). */
  readonly blockRows?: number;
  /** Columns every row must have (default: the first row's). */
  readonly width?: number;
}

/**
 * The classes a Kaggle file's name promises (docs/data.md, "Kaggle heartbeat CSV":
 * `mitbih_*.csv` labels 0..4 = N, S, V, F, Q; `ptbdb_*.csv` 0/1 = normal, abnormal), or null
 * for any other name, whose labels may be any class index.
 */
export function kaggleClassesByName(file: string): { readonly set: string; readonly classes: readonly string[] } | null {
  const name = basename(file).toLowerCase();
  if (name.includes('mitbih')) return { set: 'MIT-BIH', classes: MITBIH_CLASSES };
  if (name.includes('ptbdb')) return { set: 'PTB-DB', classes: PTBDB_CLASSES };
  return null;
}

function checkReadable(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new DataError(file, null, 'file not found');
  }
  // A named pipe streams like a file (a producer feeding `hpsearch predict` as it records).
  if (!st.isFile() && !st.isFIFO()) throw new DataError(file, null, 'not a regular file');
}

/**
 * Streams one Kaggle-format CSV, calling `onBlock` with parsed blocks. Returns the row width.
 */
export async function readKaggleCsv(file: string, onBlock: (block: CsvBlock) => void | Promise<void>, opts: CsvReadOptions = {}): Promise<{ width: number; rows: number }> {
  checkReadable(file);
  const named = kaggleClassesByName(file);
  const blockRows = opts.blockRows ?? 4096;
  let width = opts.width ?? 0;
  let signals = new Float32Array(0);
  let labels = new Int32Array(blockRows);
  let inBlock = 0;
  let rows = 0;
  let lineNo = 0;
  const flush = async () => {
    if (inBlock === 0) return;
    await onBlock({ signals: signals.subarray(0, inBlock * (width - 1)), labels: labels.subarray(0, inBlock), rows: inBlock });
    // The consumer may keep the arrays; start fresh ones.
    signals = new Float32Array(blockRows * (width - 1));
    labels = new Int32Array(blockRows);
    inBlock = 0;
  };
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const raw of lines) {
      lineNo++;
      const line = raw.trim();
      if (line === '') continue;
      const cells = line.split(',');
      if (width === 0) {
        width = cells.length;
        if (width < 2) throw new DataError(file, `${lineNo}:1`, `expected ${KAGGLE_SIGNAL_LENGTH} signal values and a label separated by commas, found ${width} column`);
      }
      if (signals.length === 0) signals = new Float32Array(blockRows * (width - 1));
      if (cells.length !== width) {
        throw new DataError(file, `${lineNo}:${Math.min(cells.length, width) + 1}`, `expected ${width} columns (${width - 1} signal values and the label, as in the first row), found ${cells.length}`);
      }
      const base = inBlock * (width - 1);
      for (let c = 0; c < width; c++) {
        const cell = cells[c]!;
        const v = cell.trim() === '' ? NaN : Number(cell);
        if (!Number.isFinite(v)) {
          const hint = rows === 0 && lineNo === 1 && Number.isNaN(v) ? ' (Kaggle heartbeat CSVs have no header row)' : '';
          throw new DataError(file, `${lineNo}:${c + 1}`, `expected a finite number, found "${cell.length > 40 ? `${cell.slice(0, 40)}...` : cell}"${hint}`);
        }
        if (c < width - 1) {
          signals[base + c] = v;
        } else {
          if (!Number.isInteger(v) || v < 0 || v > 10_000) throw new DataError(file, `${lineNo}:${c + 1}`, `the label must be a class index (an integer >= 0), found ${cell}`);
          if (named && v >= named.classes.length) {
            throw new DataError(file, `${lineNo}:${c + 1}`, `label ${v} is out of range for ${named.set} (0..${named.classes.length - 1} = ${named.classes.join(', ')})`);
          }
          labels[inBlock] = v;
        }
      }
      inBlock++;
      rows++;
      if (inBlock === blockRows) await flush();
    }
    await flush();
  } finally {
    lines.close();
    stream.destroy();
  }
  if (rows === 0) throw new DataError(file, null, 'no data rows');
  return { width, rows };
}

/** Class names for labels 0..max read from files with these names (MIT-BIH, PTB-DB or numbers). */
export function kaggleClassNames(files: readonly string[], maxLabel: number): string[] {
  const names = files.map((f) => basename(f).toLowerCase());
  if (names.every((n) => n.includes('mitbih')) && maxLabel < MITBIH_CLASSES.length) return [...MITBIH_CLASSES];
  if (names.every((n) => n.includes('ptbdb')) && maxLabel < PTBDB_CLASSES.length) return [...PTBDB_CLASSES];
  return numberedClasses(maxLabel + 1);
}

export interface CsvImportResult {
  readonly out: string;
  readonly rows: number;
  readonly length: number;
  readonly classes: readonly string[];
  readonly classCounts: readonly number[];
  /** Rows contributed by each input file, in order. */
  readonly rowsPerFile: readonly number[];
}

/**
 * Converts Kaggle heartbeat CSVs (concatenated in the order given) into one HDF5 file in the
 * layout of docs/data.md ("HDF5"): `X` float32 [N, L] chunked and gzip-compressed, `y` int32
 * [N], attribute `classes`, attribute `source_files`. Written to a temporary file renamed on
 * success, so a failed import leaves no partial output.
 */
export async function importCsv(files: readonly string[], out: string, opts: { blockRows?: number } = {}): Promise<CsvImportResult> {
  if (files.length === 0) throw new DataError(out, null, 'no CSV files to import');
  for (const f of files) checkReadable(f);
  const tmp = `${out}.${process.pid}.partial`;
  let writer: Hdf5DatasetWriter | null = null;
  let width = 0;
  const counts: number[] = [];
  const rowsPerFile: number[] = [];
  let done = false;
  try {
    for (const file of files) {
      const { rows } = await readKaggleCsv(
        file,
        async (block) => {
          if (!writer) {
            writer = await Hdf5DatasetWriter.create(tmp, {
              length: block.signals.length / block.rows,
              channels: 1,
              classes: [],
              multilabel: false,
              withGroups: false,
              attributes: { source_files: files.map((f) => basename(f)).join(',') },
            });
          }
          for (const l of block.labels) {
            while (counts.length <= l) counts.push(0);
            counts[l]!++;
          }
          writer.append(block.signals, block.labels);
        },
        { blockRows: opts.blockRows, width: width || undefined },
      ).then((r) => {
        width = r.width;
        return r;
      });
      rowsPerFile.push(rows);
    }
    const classes = kaggleClassNames(files, counts.length - 1);
    (writer as Hdf5DatasetWriter | null)?.close(classes);
    writer = null;
    renameSync(tmp, out);
    done = true;
    return { out, rows: rowsPerFile.reduce((a, b) => a + b, 0), length: width - 1, classes, classCounts: counts, rowsPerFile };
  } finally {
    if (!done) {
      try {
        (writer as Hdf5DatasetWriter | null)?.close();
      } catch {
        // Already failing; the partial file is removed below.
      }
      rmSync(tmp, { force: true });
    }
  }
}

export interface CsvSummary {
  readonly rows: number;
  readonly columns: number;
  readonly length: number;
  readonly classes: readonly string[];
  readonly classCounts: readonly number[];
}

/** Streams a CSV once, validating it as `importCsv` would, and counts rows and classes. */
export async function inspectCsv(file: string): Promise<CsvSummary> {
  const counts: number[] = [];
  const { width, rows } = await readKaggleCsv(file, (block) => {
    for (const l of block.labels) {
      while (counts.length <= l) counts.push(0);
      counts[l]!++;
    }
  });
  return { rows, columns: width, length: width - 1, classes: kaggleClassNames([file], counts.length - 1), classCounts: counts };
}
