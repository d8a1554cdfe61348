/**
 * Study-level data preparation (main thread, once per study) and trial-level opening (worker
 * threads, once per trial).
 *
 * `prepareStudyData` loads or generates the data, validates it, splits it, and builds the SMOTE
 * neighbour table (cached on disk). It returns a `DataRef`: everything a worker needs, made of
 * SharedArrayBuffer views and strings only, so `postMessage`/`workerData` passes it to any
 * number of worker threads without copying a byte of signal. A dataset whose signals fit
 * `memory_budget` is held once in a SharedArrayBuffer; a larger one stays in its HDF5 file and
 * each worker reads its batches lazily.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname, isAbsolute, join, resolve } from 'node:path';
import type { DataSettings } from '../config/settings.js';
import { importCsv } from './csv.js';
import { DataError } from './errors.js';
import { LazyHdf5Dataset } from './hdf5/lazy-dataset.js';
import { Hdf5DatasetWriter } from './hdf5/writer.js';
import { classCounts, multiClassLabels, multiLabelLabels, newClassIndex, type ClassIndex, type LabelSet } from './labels.js';
import { stratumRanks, type StratumRanks } from './stratum-ranks.js';
import { buildSmoteNeighbourTable, cachedSmoteNeighbourTable, smoteRefusal, smoteTableKey, SmoteNeighbourTable, SMOTE_K_NEIGHBORS } from './smote.js';
import { allocateSharedSignals, InMemorySignalSource, signalBytes, type SharedSignals, type SignalSource } from './source.js';
import { splitIndices, SplitError, type SplitIndices } from './splits.js';
import { generateSyntheticBlocks, syntheticClasses, BEAT_LENGTH } from './synthetic.js';
import { BalancedTrainingData, BalancingError, dataInfoOf } from './training-data.js';
import type { DataInfo, TrainingData, TrainingDataOptions } from './types.js';
import { checkClassesToLearn, checkIgnoredClasses, checkSmoteClassSizes, checkValidationClasses } from './split-checks.js';
import { foldRows, foldSplit } from './folds.js';
import { FingerprintHasher, cacheFingerprint, cachedFingerprint } from './fingerprint.js';
import { DEFAULT_MEMORY_BUDGET } from '../config/defaults.js';

/** Bumped whenever the synthetic generator's output changes, to invalidate caches. */
export const SYNTHETIC_GENERATOR_VERSION = 1;

/** How a worker reaches the signals. */
export type SignalRef =
  | { readonly kind: 'shared'; readonly signals: SharedSignals }
  | { readonly kind: 'hdf5'; readonly path: string; readonly count: number; readonly length: number; readonly channels: number };

/**
 * What the main thread sends to a worker for a study. Every typed array is a view on a
 * SharedArrayBuffer, which structured clone shares instead of copying.
 */
export interface DataRef {
  readonly version: 1;
  /** Hash of the data's identity (source, size/mtime or generator parameters). */
  readonly identity: string;
  /** Human-readable source, for logs and error messages. */
  readonly description: string;
  readonly info: DataInfo;
  readonly signals: SignalRef;
  /** Multi-class: class index per sample. Multi-label: empty. */
  readonly classIndex: ClassIndex;
  /** Multi-label: [N, K] 0/1. Multi-class: empty. */
  readonly multiHot: Uint8Array;
  readonly split: SplitIndices;
  /** Where each stratum's members are among the training rows (random oversampling's), once for all workers. */
  readonly trainRanks: StratumRanks;
  /** SMOTE neighbour table, or why SMOTE is unavailable. */
  readonly smote: SmoteRef;
  /**
   * Cross-validation (`data.cv`): each fold's split (train on the other folds, validate on
   * this one, test as `split`) and its own SMOTE table, since SMOTE may only interpolate
   * between training samples. `split` and `smote` are then fold 0's. See `foldRef`.
   */
  readonly folds?: readonly { readonly split: SplitIndices; readonly trainRanks: StratumRanks; readonly smote: SmoteRef }[];
}

export type SmoteRef = { readonly table: SharedArrayBuffer; readonly file: string; readonly k: number } | { readonly refused: string };

/** The study's data as fold `f` of its cross-validation sees them: a DataRef without folds. */
export function foldRef(ref: DataRef, f: number): DataRef {
  const fold = ref.folds?.[f];
  if (fold === undefined) throw new RangeError(`fold ${f} of a study with ${ref.folds?.length ?? 0} folds`);
  const { folds: _folds, ...rest } = ref;
  return { ...rest, split: fold.split, trainRanks: fold.trainRanks, smote: fold.smote };
}

export interface PrepareOptions {
  /** Folder for the SMOTE neighbour tables, imported CSVs and over-budget synthetic sets. */
  readonly cacheDir: string;
  /** Folder that a relative `source` path is resolved against (default: the working directory). */
  readonly baseDir?: string;
  /** Build the SMOTE neighbour table (default true; pass false when no trial can use SMOTE). */
  readonly smote?: boolean;
  /**
   * A class of a data file with fewer than k + 1 training samples: 'refuse' it as bad input
   * (imbalanced-learn's rule; the CLI's choice, for files users bring), or let the neighbour
   * table use fewer neighbours (the default; see `smote.ts`). The built-in synthetic set
   * always uses fewer neighbours.
   */
  readonly smoteSmallClasses?: 'refuse' | 'fewer-neighbours';
  /** SMOTE k_neighbors (default 5). */
  readonly smoteK?: number;
  /** Worker threads for the neighbour search (default: cores, at most 4). */
  readonly threads?: number;
  /** Progress messages. */
  readonly log?: (message: string) => void;
  /**
   * Check that every class has validation samples in the split (in each fold with
   * cross-validation), except these (`metrics.ignore_classes`), whose names must be classes
   * of the data. Undefined: no check (a worker preparing the study's data again).
   */
  readonly ignoreClasses?: readonly string[];
}

export interface PreparedData {
  readonly ref: DataRef;
  readonly info: DataInfo;
  /** 'shared' = one SharedArrayBuffer; 'lazy' = read from `ref.signals.path` batch by batch. */
  readonly storage: 'shared' | 'lazy';
  readonly signalBytes: number;
  readonly sizes: { readonly train: number; readonly val: number; readonly test: number };
  /** Samples per class (multi-label: positives per label) in each split. */
  readonly classCounts: { readonly train: readonly number[]; readonly val: readonly number[]; readonly test: readonly number[] };
  /** Cross-validation: the same for each fold. */
  readonly folds?: readonly { readonly sizes: PreparedData['sizes']; readonly classCounts: PreparedData['classCounts'] }[];
  readonly smote: { readonly file: string; readonly cached: boolean; readonly buildMs: number; readonly bytes: number } | null;
  /** The content hash of the signals, labels and groups (fingerprint.ts): equal for the same data anywhere. */
  readonly fingerprint: string;
}

function fileIdentity(path: string): string {
  const st = statSync(path);
  return `${realpathSync(path)}|${st.size}|${Math.round(st.mtimeMs)}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** `a` on a SharedArrayBuffer: itself when it already is one (the labels of an HDF5 file), else a copy. */
function onSharedMemory<A extends Int32Array | Uint8Array>(a: A): A {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) return a;
  const v = new (a.constructor as new (buffer: SharedArrayBuffer) => A)(new SharedArrayBuffer(a.byteLength));
  v.set(a);
  return v;
}

/** A zeroed Int32Array of `n` on a SharedArrayBuffer. */
function newSharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

interface LoadedData {
  readonly identity: string;
  readonly description: string;
  /** File the data came from, for error messages. */
  readonly file: string;
  /**
   * Where the labels are in `file` (the HDF5 dataset path; null for a CSV, whose labels are
   * a column), or undefined for the built-in synthetic set, which is not the user's file.
   */
  readonly labelPlace?: string | null;
  readonly labels: LabelSet;
  readonly groups: Int32Array | null;
  /** The name of each group id (record names for a WFDB import); null = the ids as text. */
  readonly groupNames: readonly string[] | null;
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  /** Signals in shared memory, or null when they stay in `hdf5Path`. */
  readonly shared: SharedSignals | null;
  readonly hdf5Path: string | null;
  readonly fingerprint: string;
}

/** Reads an HDF5 file: labels, groups, and the signals into shared memory when they fit. */
async function loadHdf5(path: string, identity: string, description: string, budget: number, cacheDir: string, log: (m: string) => void): Promise<LoadedData> {
  const ds = await LazyHdf5Dataset.open(path);
  try {
    const labels = ds.readLabels();
    const named = ds.readGroupsNamed();
    const groups = named?.ids ?? null;
    const { count, length, channels } = ds;
    const bytes = signalBytes(count, length, channels);
    // Whole-file pass in blocks: loads into shared memory, or (over budget) only checks that
    // every value is finite, so a bad file fails here and not in the middle of a trial.
    const fits = bytes <= budget;
    const target = fits ? allocateSharedSignals(count, length, channels) : null;
    const rowSize = length * channels;
    const chunkRows = ds.layout.signals.chunks?.[0] ?? 1;
    // ~2 MiB per read, whole chunks: h5wasm allocates a fresh buffer per read (and its wasm heap
    // never shrinks), so small blocks keep the peak memory of this pass low.
    const blockRows = Math.max(chunkRows, Math.floor((2 * 1024 * 1024) / (rowSize * 4) / chunkRows) * chunkRows);
    // A file already checked (same path, size and mtime) is not scanned again: every worker
    // process of a study calls prepareStudyData, and the scan of a large file takes seconds.
    const checkedMarker = join(cacheDir, `checked-${hash(identity)}`);
    // The fingerprint is hashed in the same pass, once per file identity.
    let fingerprint = cachedFingerprint(cacheDir, hash(identity));
    if (fits || !existsSync(checkedMarker) || fingerprint === null) {
      log(`${fits ? 'loading' : 'checking'} ${count} signals of ${path} (${(bytes / 1024 ** 2).toFixed(1)} MiB as float32, budget ${(budget / 1024 ** 2).toFixed(0)} MiB)`);
      const hasher = fingerprint === null ? new FingerprintHasher({ count, length, channels }) : null;
      for (let a = 0; a < count; a += blockRows) {
        const b = Math.min(count, a + blockRows);
        const rows = ds.readRange(a, b);
        target?.view.set(rows, a * rowSize);
        hasher?.addSignals(rows);
      }
      if (hasher !== null) {
        fingerprint = hasher.digest(labels, groups);
        cacheFingerprint(cacheDir, hash(identity), fingerprint);
      }
      if (!fits) {
        mkdirSync(cacheDir, { recursive: true });
        writeFileSync(checkedMarker, `${identity}\n`);
      }
    }
    return { identity, description, file: path, labelPlace: ds.layout.labels.path, labels, groups, groupNames: named?.names ?? null, count, length, channels, shared: target?.shared ?? null, hdf5Path: fits ? null : path, fingerprint: fingerprint! };
  } finally {
    ds.close();
  }
}

async function loadSynthetic(settings: DataSettings, budget: number, cacheDir: string, log: (m: string) => void): Promise<LoadedData> {
  const { n, seed, multilabel } = settings;
  const identity = `synthetic|v${SYNTHETIC_GENERATOR_VERSION}|n=${n}|seed=${seed}|multilabel=${multilabel}`;
  const description = `synthetic ECG set (n=${n}, seed=${seed}${multilabel ? ', multi-label' : ''})`;
  const classes = syntheticClasses(multilabel);
  const channels = multilabel ? 3 : 1;
  const bytes = signalBytes(n, BEAT_LENGTH, channels);
  const groups = new Int32Array(n);
  const classIndex = newClassIndex(multilabel ? 0 : n, classes.length);
  const multiHot = multilabel ? new Uint8Array(n * classes.length) : new Uint8Array(0);
  const k = classes.length;
  const collect = (block: { labels: LabelSet; groups: Int32Array | null; count: number }, start: number) => {
    groups.set(block.groups!, start);
    if (multilabel) multiHot.set(block.labels.multiHot, start * k);
    else classIndex.set(block.labels.classIndex, start);
  };
  const labelsOf = () => (multilabel ? multiLabelLabels(multiHot, classes) : multiClassLabels(classIndex, classes));
  if (bytes <= budget) {
    log(`generating ${description} in shared memory`);
    const { shared, view } = allocateSharedSignals(n, BEAT_LENGTH, channels);
    const known = cachedFingerprint(cacheDir, hash(identity));
    const hasher = known === null ? new FingerprintHasher({ count: n, length: BEAT_LENGTH, channels }) : null;
    await generateSyntheticBlocks({ n, seed, multilabel }, 4096, (block, start) => {
      view.set(block.signals, start * BEAT_LENGTH * channels);
      hasher?.addSignals(block.signals);
      collect(block, start);
    });
    const labels = labelsOf();
    const fingerprint = known ?? hasher!.digest(labels, groups);
    if (known === null) cacheFingerprint(cacheDir, hash(identity), fingerprint);
    return { identity, description, file: description, labels, groups, groupNames: null, count: n, length: BEAT_LENGTH, channels, shared, hdf5Path: null, fingerprint };
  }
  // Over budget: write the set to an HDF5 file in the cache once, then read it lazily.
  mkdirSync(cacheDir, { recursive: true });
  const path = join(cacheDir, `synthetic-${hash(identity)}.h5`);
  if (!existsSync(path)) {
    log(`writing ${description} to ${path} (over the memory budget)`);
    const tmp = `${path}.${process.pid}.partial`;
    const w = await Hdf5DatasetWriter.create(tmp, { length: BEAT_LENGTH, channels, classes, multilabel, withGroups: true });
    try {
      await generateSyntheticBlocks({ n, seed, multilabel }, 4096, (block) => {
        w.append(block.signals, multilabel ? block.labels.multiHot : block.labels.classIndex, block.groups!);
      });
    } catch (e) {
      w.close();
      rmSync(tmp, { force: true });
      throw e;
    }
    w.close();
    renameSync(tmp, path);
  }
  const loaded = await loadHdf5(path, identity, description, budget, cacheDir, log);
  return { ...loaded, file: description, labelPlace: undefined };
}

async function loadSource(settings: DataSettings, opts: PrepareOptions, log: (m: string) => void): Promise<LoadedData> {
  const budget = settings.memory_budget ?? DEFAULT_MEMORY_BUDGET;
  const source = settings.source ?? 'synthetic';
  if (source === 'synthetic' || source === '') return loadSynthetic(settings, budget, opts.cacheDir, log);
  const path = isAbsolute(source) ? source : resolve(opts.baseDir ?? process.cwd(), source);
  if (!existsSync(path)) throw new DataError(source, null, 'file not found');
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') {
    const identity = `csv|${fileIdentity(path)}`;
    mkdirSync(opts.cacheDir, { recursive: true });
    const h5 = join(opts.cacheDir, `import-${hash(identity)}.h5`);
    if (!existsSync(h5)) {
      log(`importing ${path} into ${h5}`);
      await importCsv([path], h5);
    }
    const loaded = await loadHdf5(h5, identity, path, budget, opts.cacheDir, log);
    return { ...loaded, file: path, labelPlace: null };
  }
  return loadHdf5(path, `hdf5|${fileIdentity(path)}`, path, budget, opts.cacheDir, log);
}

/**
 * Once per study, in the main thread: load or generate the data, split it (before any
 * balancing), and build the SMOTE neighbour table (cached under `cacheDir`, keyed by the data's
 * identity, the split and k).
 */
export async function prepareStudyData(settings: DataSettings, opts: PrepareOptions): Promise<PreparedData> {
  const log = opts.log ?? (() => {});
  const data = await loadSource(settings, opts, log);
  const { labels } = data;
  const cv = settings.cv;
  let split: SplitIndices;
  let folds: SplitIndices[] | null = null;
  try {
    // With cross-validation the split only sets the test part apart; the folds cut the rest.
    split = splitIndices(labels, data.groups, cv ? { ...settings.split, val: 0 } : settings.split, data.groupNames);
    if (cv) {
      const rest = Int32Array.from([...split.train, ...split.val]).sort();
      const valFolds = foldRows(labels, data.groups, rest, cv);
      folds = valFolds.map((_, f) => foldSplit(valFolds, f, split.test));
      split = folds[0]!;
    }
  } catch (e) {
    if (e instanceof SplitError) throw new DataError(data.file, data.groups ? null : '/', e.message, { cause: e });
    throw e;
  }
  const parts = folds ?? [split];
  if (split.train.length === 0) throw new DataError(data.file, null, 'the training split is empty');
  if (data.labelPlace !== undefined && !labels.multilabel) {
    for (const p of parts) checkClassesToLearn(data, labels, p.train, settings.split.by === 'group' || cv?.by === 'group');
  }
  // Not for the built-in synthetic set (as above): at test and quick-start sizes its rarest
  // class (F, 0.7 %) has a handful of beats by design.
  if (opts.ignoreClasses !== undefined && data.labelPlace !== undefined && !labels.multilabel) {
    checkIgnoredClasses(data, labels.classes, opts.ignoreClasses);
    parts.forEach((p, f) => checkValidationClasses(data, labels, p.val, opts.ignoreClasses!, folds ? `validation fold ${f + 1} of ${folds.length}` : 'validation split'));
  }
  const info = dataInfoOf(labels, data.length, data.channels);

  const k = opts.smoteK ?? SMOTE_K_NEIGHBORS;
  const refusal = smoteRefusal(labels);
  const smoteOf = async (train: Int32Array, description: string): Promise<{ ref: SmoteRef; report: PreparedData['smote'] }> => {
    if (refusal) return { ref: { refused: refusal }, report: null };
    if (opts.smote === false) return { ref: { refused: 'SMOTE was not prepared for this study (no trial uses balancing "smote")' }, report: null };
    if (opts.smoteSmallClasses === 'refuse' && data.labelPlace !== undefined) checkSmoteClassSizes(data, labels, train, k);
    const key = smoteTableKey(data.identity, labels, train, k, description);
    const built = await cachedSmoteNeighbourTable(opts.cacheDir, key, async () => {
      log(`computing the SMOTE neighbour table (k=${k}) for ${train.length} training samples`);
      const source = await openSignalSource(data.shared ? { kind: 'shared', signals: data.shared } : { kind: 'hdf5', path: data.hdf5Path!, count: data.count, length: data.length, channels: data.channels });
      try {
        return await buildSmoteNeighbourTable(source, labels, train, { k, threads: opts.threads });
      } finally {
        source.close();
      }
    });
    return { ref: { table: built.table.buffer, file: built.file, k }, report: { file: built.file, cached: built.cached, buildMs: built.buildMs, bytes: built.table.bytes } };
  };
  const sharedSplit = (p: SplitIndices): SplitIndices => ({ train: onSharedMemory(p.train), val: onSharedMemory(p.val), test: onSharedMemory(p.test) });
  const splitDescription = JSON.stringify(settings.split);
  const sharedParts: { split: SplitIndices; trainRanks: StratumRanks; smote: SmoteRef }[] = [];
  let smoteReport: PreparedData['smote'] = null;
  for (const [f, p] of parts.entries()) {
    const sp = sharedSplit(p);
    const built = await smoteOf(sp.train, folds ? `${splitDescription}|cv=${JSON.stringify(cv)}|fold=${f}` : splitDescription);
    smoteReport ??= built.report;
    sharedParts.push({ split: sp, trainRanks: stratumRanks(labels, sp.train, newSharedInt32), smote: built.ref });
  }
  const shared = sharedParts[0]!.split;
  const smote = sharedParts[0]!.smote;
  const countsOf = (p: SplitIndices) => ({
    sizes: { train: p.train.length, val: p.val.length, test: p.test.length },
    classCounts: { train: classCounts(labels, p.train), val: classCounts(labels, p.val), test: classCounts(labels, p.test) },
  });

  const ref: DataRef = {
    version: 1,
    identity: hash(data.identity),
    description: data.description,
    info,
    signals: data.shared
      ? { kind: 'shared', signals: data.shared }
      : { kind: 'hdf5', path: data.hdf5Path!, count: data.count, length: data.length, channels: data.channels },
    classIndex: labels.multilabel ? new Uint8Array(0) : onSharedMemory(labels.classIndex),
    multiHot: labels.multilabel ? onSharedMemory(labels.multiHot) : new Uint8Array(0),
    split: shared,
    trainRanks: sharedParts[0]!.trainRanks,
    smote,
    ...(folds ? { folds: sharedParts } : {}),
  };
  return {
    ref,
    info,
    storage: data.shared ? 'shared' : 'lazy',
    signalBytes: signalBytes(data.count, data.length, data.channels),
    ...countsOf(split),
    ...(folds ? { folds: folds.map(countsOf) } : {}),
    smote: smoteReport,
    fingerprint: data.fingerprint,
  };
}

async function openSignalSource(ref: SignalRef): Promise<SignalSource> {
  if (ref.kind === 'shared') return InMemorySignalSource.fromShared(ref.signals);
  const ds = await LazyHdf5Dataset.open(ref.path);
  if (ds.count !== ref.count || ds.length !== ref.length || ds.channels !== ref.channels) {
    ds.close();
    throw new DataError(ref.path, ds.layout.signals.path, `changed since the study was prepared: shape [${ds.count}, ${ds.length}, ${ds.channels}], expected [${ref.count}, ${ref.length}, ${ref.channels}]`);
  }
  return ds;
}

/** The labels of a `DataRef` as a `LabelSet` (no copy). */
export function labelsOfRef(ref: DataRef): LabelSet {
  return ref.info.multilabel ? multiLabelLabels(ref.multiHot, ref.info.classes) : multiClassLabels(ref.classIndex, ref.info.classes);
}

/**
 * Once per trial, in a worker thread (or anywhere): the trial's `TrainingData` over the study's
 * shared signals or its HDF5 file, with the trial's balancing, seed, augmentation and epoch size.
 */
export async function openTrainingData(ref: DataRef, options: TrainingDataOptions): Promise<TrainingData> {
  if (ref.version !== 1) throw new Error(`unsupported DataRef version ${String(ref.version)}`);
  if (options.balancing === 'smote' && 'refused' in ref.smote) throw new BalancingError(ref.smote.refused);
  const source = await openSignalSource(ref.signals);
  try {
    const smoteTable = 'table' in ref.smote ? new SmoteNeighbourTable(ref.smote.table) : null;
    return new BalancedTrainingData({ source, labels: labelsOfRef(ref), split: ref.split, trainRanks: ref.trainRanks, smoteTable }, options);
  } catch (e) {
    source.close();
    throw e;
  }
}
