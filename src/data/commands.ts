/**
 * The work behind `hpsearch data synth | import | inspect` (README.md, "Commands"), for the CLI
 * to wire up.
 * Each returns a `DataFileSummary`; bad input raises `DataError` (exit code 2).
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { printable } from '../core/printable.js';
import { importCsv, inspectCsv } from './csv.js';
import { DataError } from './errors.js';
import { LazyHdf5Dataset } from './hdf5/lazy-dataset.js';
import type { DatasetDescription } from './hdf5/layout.js';
import { Hdf5DatasetWriter } from './hdf5/writer.js';
import { groupClassCounts } from './group-counts.js';
import { classCounts } from './labels.js';
import { BEAT_LENGTH, generateSyntheticBlocks, syntheticClasses } from './synthetic.js';
import { importWfdb, isWfdbInput, type WfdbRecordResult } from './wfdb/import.js';

export interface DataFileSummary {
  readonly file: string;
  readonly format: 'hdf5' | 'csv';
  readonly bytesOnDisk: number;
  /** Samples N. */
  readonly count: number;
  /** Samples per signal L. */
  readonly length: number;
  /** Channels C. */
  readonly channels: number;
  readonly multilabel: boolean;
  readonly classes: readonly string[];
  /** Samples per class (multi-label: positive samples per label), by class name. */
  readonly classCounts: Readonly<Record<string, number>>;
  /** Distinct groups (patients / records), or null without a groups dataset. */
  readonly groups: number | null;
  /** HDF5 with groups: samples per class (by class name) of each group, in order of first appearance. */
  readonly groupClassCounts?: ReadonlyArray<{ readonly group: string; readonly count: number; readonly classCounts: Readonly<Record<string, number>> }>;
  /** WFDB import: what each record gave. */
  readonly records?: readonly WfdbRecordResult[];
  /** HDF5: the datasets found (path, shape, dtype, chunks, filters). */
  readonly datasets?: {
    readonly signals: DatasetDescription;
    readonly labels: DatasetDescription;
    readonly groups: DatasetDescription | null;
  };
  /** CSV: columns per row. */
  readonly columns?: number;
}

function countsByName(classes: readonly string[], counts: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  classes.forEach((c, i) => (out[c] = (out[c] ?? 0) + (counts[i] ?? 0)));
  return out;
}

/** Shapes, dtypes, class counts, groups, chunking and compression of an .h5 or .csv file. */
export async function inspectFile(path: string): Promise<DataFileSummary> {
  let bytesOnDisk: number;
  try {
    bytesOnDisk = statSync(path).size;
  } catch {
    throw new DataError(path, null, 'file not found');
  }
  if (extname(path).toLowerCase() === '.csv') {
    const s = await inspectCsv(path);
    return {
      file: path,
      format: 'csv',
      bytesOnDisk,
      count: s.rows,
      length: s.length,
      channels: 1,
      multilabel: false,
      classes: s.classes,
      classCounts: countsByName(s.classes, s.classCounts),
      groups: null,
      columns: s.columns,
    };
  }
  const ds = await LazyHdf5Dataset.open(path);
  try {
    const labels = ds.readLabels();
    const named = ds.readGroupsNamed();
    const groups = named?.ids ?? null;
    const { layout } = ds;
    const perGroup = named ? groupClassCounts(named, labels) : null;
    return {
      file: path,
      format: 'hdf5',
      bytesOnDisk,
      count: ds.count,
      length: ds.length,
      channels: ds.channels,
      multilabel: labels.multilabel,
      classes: labels.classes,
      classCounts: countsByName(labels.classes, classCounts(labels)),
      groups: groups ? new Set(groups).size : null,
      ...(perGroup ? { groupClassCounts: perGroup.map((g) => ({ group: g.group, count: g.count, classCounts: countsByName(labels.classes, g.classCounts) })) } : {}),
      datasets: { signals: layout.signals, labels: layout.labels, groups: layout.groups },
    };
  } finally {
    ds.close();
  }
}

export interface SynthCommandOptions {
  readonly out: string;
  /** Beats (default 6000, the quick-start size). */
  readonly n?: number;
  readonly seed?: number;
  readonly multilabel?: boolean;
}

/** `hpsearch data synth`: writes the built-in synthetic set (chunked, gzip), block by block. */
export async function synthCommand(opts: SynthCommandOptions): Promise<DataFileSummary> {
  const n = opts.n ?? 6000;
  const seed = opts.seed ?? 0;
  const multilabel = opts.multilabel ?? false;
  if (!Number.isInteger(n) || n < 1) throw new DataError(opts.out, null, `--n must be a positive integer, got ${n}`);
  if (!Number.isInteger(seed)) throw new DataError(opts.out, null, `--seed must be an integer, got ${seed}`);
  const classes = syntheticClasses(multilabel);
  const tmp = `${opts.out}.${process.pid}.partial`;
  const w = await Hdf5DatasetWriter.create(tmp, {
    length: BEAT_LENGTH,
    channels: multilabel ? 3 : 1,
    classes,
    multilabel,
    withGroups: true,
    attributes: { generator: `hpsearch synthetic ECG (ECGSYN waves), n=${n}, seed=${seed}${multilabel ? ', multi-label' : ''}`, sample_rate_hz: '125' },
  });
  try {
    await generateSyntheticBlocks({ n, seed, multilabel }, 4096, (block) => {
      w.append(block.signals, multilabel ? block.labels.multiHot : block.labels.classIndex, block.groups!);
    });
    w.close();
  } catch (e) {
    try {
      w.close();
    } finally {
      rmSync(tmp, { force: true });
    }
    throw e;
  }
  renameSync(tmp, opts.out);
  return inspectFile(opts.out);
}

export interface ImportCommandOptions {
  readonly files: readonly string[];
  readonly out: string;
  /** WFDB records: the lead to read (default MLII). */
  readonly lead?: string;
  /** WFDB records: one line per record read with a fallback lead. */
  readonly warn?: (message: string) => void;
}

/**
 * `hpsearch data import`: Kaggle heartbeat CSVs, or PhysioNet WFDB records (`.hea` files or
 * folders of them), to one HDF5 file.
 */
export async function importCommand(opts: ImportCommandOptions): Promise<DataFileSummary> {
  const wfdb = opts.files.filter(isWfdbInput);
  if (wfdb.length > 0 && wfdb.length < opts.files.length) {
    const other = opts.files.find((f) => !isWfdbInput(f))!;
    throw new DataError(other, null, 'cannot import CSV files and WFDB records (.hea files or folders) into one file');
  }
  if (wfdb.length > 0) {
    const records = await importWfdb(opts.files, opts.out, { lead: opts.lead, warn: opts.warn });
    return { ...(await inspectFile(opts.out)), records };
  }
  if (opts.lead !== undefined) throw new DataError(opts.files[0] ?? opts.out, null, '--lead applies to WFDB records (.hea files or folders), not to CSV files');
  await importCsv(opts.files, opts.out);
  return inspectFile(opts.out);
}

/** Groups shown by `formatDataSummary`; `--json` has them all. */
const SHOWN_GROUPS = 40;

/** A few lines of text for `hpsearch data inspect` (the CLI may print JSON instead). */
export function formatDataSummary(s: DataFileSummary): string {
  const lines: string[] = [];
  lines.push(`${s.file}: ${s.format.toUpperCase()}, ${(s.bytesOnDisk / 1024 ** 2).toFixed(1)} MiB`);
  lines.push(`  signals  ${s.count} × ${s.length}${s.channels > 1 ? ` × ${s.channels}` : ''}`);
  if (s.datasets) {
    const d = s.datasets;
    const describe = (x: DatasetDescription) =>
      `${x.path} [${x.shape.join(', ')}] ${x.dtype}${x.chunks ? `, chunks [${x.chunks.join(', ')}]` : ', contiguous'}${x.filters.length ? `, ${x.filters.join(' + ')}` : ''}`;
    lines.push(`  datasets ${describe(d.signals)}`);
    lines.push(`           ${describe(d.labels)}`);
    if (d.groups) lines.push(`           ${describe(d.groups)}`);
  }
  if (s.columns !== undefined) lines.push(`  columns  ${s.columns} (${s.columns - 1} signal values + label)`);
  lines.push(`  ${s.multilabel ? 'labels ' : 'classes'}  ${Object.entries(s.classCounts).map(([c, n]) => `${printable(c)} ${n} (${((100 * n) / s.count).toFixed(1)} %)`).join(', ')}`);
  lines.push(`  groups   ${s.groups === null ? 'none' : s.groups}`);
  const perGroup = s.groupClassCounts ?? [];
  if (perGroup.length > 0) {
    const names = perGroup.slice(0, SHOWN_GROUPS).map((g) => printable(g.group));
    const width = Math.max(...names.map((n) => n.length));
    perGroup.slice(0, SHOWN_GROUPS).forEach((g, i) => {
      const counts = Object.entries(g.classCounts).map(([c, n]) => `${printable(c)} ${n}`).join(', ');
      lines.push(`    ${names[i]!.padEnd(width)}  ${String(g.count).padStart(6)}: ${counts}`);
    });
    if (perGroup.length > SHOWN_GROUPS) lines.push(`    ... ${perGroup.length - SHOWN_GROUPS} more groups (--json lists them all)`);
  }
  for (const r of s.records ?? []) {
    if (r.dropped > 0) lines.push(`  record ${printable(r.record)}: ${r.dropped} annotated beat${r.dropped === 1 ? '' : 's'} in windows with fewer than two beats, not written`);
  }
  return lines.join('\n');
}
