/**
 * `TrainingData` over any `SignalSource` (shared memory, lazy HDF5, or plain arrays): batches
 * are assembled from a balanced set of slots (`oversample.ts`, `smote.ts`), SMOTE samples are
 * interpolated when their batch is built, and augmentation is applied per batch.
 */
import { augmentBatch, augmentationEnabled, checkAugmentStrengths } from './augment.js';
import { multiClassLabels, numberedClasses, writeTarget, type ClassIndex, type LabelSet } from './labels.js';
import type { StratumRanks } from './stratum-ranks.js';
import { EpochOrder } from './epoch-order.js';
import { NaturalSet, RandomOversampledSet, type BalancedSet, type SlotRecipe } from './oversample.js';
import { randomStream } from './rng.js';
import { buildSmoteNeighbourTable, smoteRefusal, SmoteBalancedSet, type SmoteNeighbourTable } from './smote.js';
import { InMemorySignalSource, type SignalSource } from './source.js';
import { splitIndices, type SplitIndices } from './splits.js';
import type { Batch, DataInfo, TrainingData, TrainingDataOptions } from './types.js';
import type { SplitSettings } from '../config/settings.js';

/** A balancing mode that cannot be used with this data (SMOTE on multi-label data). */
export class BalancingError extends Error {
  override readonly name = 'BalancingError';
}

export interface TrainingDataParts {
  readonly source: SignalSource;
  readonly labels: LabelSet;
  readonly split: SplitIndices;
  /** `stratumRanks(labels, split.train)`, shared by every trial of a study (computed here if absent). */
  readonly trainRanks?: StratumRanks;
  /** Needed for balancing 'smote'; shared by every trial of a study. */
  readonly smoteTable: SmoteNeighbourTable | null;
  /** Close the source with the training data (default true). */
  readonly ownsSource?: boolean;
}

export function dataInfoOf(labels: LabelSet, length: number, channels: number): DataInfo {
  return { length, channels, numClasses: labels.numClasses, multilabel: labels.multilabel, classes: labels.classes };
}

export class BalancedTrainingData implements TrainingData {
  readonly info: DataInfo;
  readonly trainSize: number;
  readonly valSize: number;
  readonly testSize: number;
  /** The balanced training set (index tables only). */
  readonly balanced: BalancedSet;
  /** Training samples per epoch. */
  readonly epochSize: number;
  private readonly source: SignalSource;
  private readonly labels: LabelSet;
  private readonly split: SplitIndices;
  private readonly options: TrainingDataOptions;
  private readonly ownsSource: boolean;
  private closed = false;

  constructor(parts: TrainingDataParts, options: TrainingDataOptions) {
    const { source, labels, split } = parts;
    if (labels.count !== source.count) throw new RangeError(`${labels.count} labels for ${source.count} signals`);
    if (!Number.isInteger(options.seed)) throw new RangeError(`seed must be an integer, got ${options.seed}`);
    checkAugmentStrengths(options.augment);
    this.source = source;
    this.labels = labels;
    this.split = split;
    this.options = options;
    this.ownsSource = parts.ownsSource ?? true;
    this.info = dataInfoOf(labels, source.length, source.channels);
    this.trainSize = split.train.length;
    this.valSize = split.val.length;
    this.testSize = split.test.length;
    if (this.trainSize === 0) throw new RangeError('the training split is empty');
    switch (options.balancing) {
      case 'none':
        this.balanced = new NaturalSet(labels, split.train);
        break;
      case 'oversampled':
        this.balanced = new RandomOversampledSet(labels, split.train, options.seed, parts.trainRanks);
        break;
      case 'smote': {
        const refusal = smoteRefusal(labels);
        if (refusal) throw new BalancingError(refusal);
        if (!parts.smoteTable) throw new BalancingError('balancing "smote" needs the study\'s SMOTE neighbour table, and none was prepared');
        this.balanced = new SmoteBalancedSet(labels, split.train, parts.smoteTable, options.seed);
        break;
      }
      default:
        throw new BalancingError(`unknown balancing "${String(options.balancing)}" (expected smote, oversampled or none)`);
    }
    const e = options.epochSize ?? this.trainSize;
    if (!Number.isInteger(e) || e < 1) throw new RangeError(`epoch size must be a positive integer, got ${e}`);
    this.epochSize = e;
  }

  private checkBatchSize(batchSize: number): void {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    if (this.closed) throw new Error('training data is closed');
  }

  /** Builds the batch of the given slots (SMOTE samples interpolated here). */
  private buildBatch(set: BalancedSet, slots: Int32Array, augmentSeed: readonly number[] | null): Batch {
    const size = slots.length;
    const { length, channels, numClasses, multilabel } = this.info;
    const rowSize = length * channels;
    const recipe: SlotRecipe = { row: 0, neighbour: -1, gap: 0, label: -1 };
    const rows: number[] = new Array<number>(size);
    const synthetic: number[] = [];
    const gaps: number[] = [];
    const y = new Float32Array(size * numClasses);
    const labels = multilabel ? new Int32Array(0) : new Int32Array(size);
    for (let r = 0; r < size; r++) {
      set.resolve(slots[r]!, recipe);
      rows[r] = recipe.row;
      if (recipe.neighbour >= 0) {
        synthetic.push(r);
        gaps.push(recipe.gap);
        rows.push(recipe.neighbour);
      }
      if (recipe.label >= 0) {
        y[r * numClasses + recipe.label] = 1;
        labels[r] = recipe.label;
      } else {
        writeTarget(this.labels, recipe.row, y, r * numClasses);
      }
    }
    // One gather for the base rows and the SMOTE neighbours: a lazy source sorts them all and
    // reads each chunk once.
    const all = new Float32Array(rows.length * rowSize);
    this.source.gather(rows, all);
    for (let s = 0; s < synthetic.length; s++) {
      const r = synthetic[s]!;
      const u = gaps[s]!;
      const xi = r * rowSize;
      const xn = (size + s) * rowSize;
      for (let t = 0; t < rowSize; t++) all[xi + t] = all[xi + t]! + u * (all[xn + t]! - all[xi + t]!);
    }
    const x = synthetic.length > 0 ? all.slice(0, size * rowSize) : all;
    if (augmentSeed && augmentationEnabled(this.options.augment)) {
      augmentBatch(x, y, { size, length, channels, numClasses }, this.options.augment!, randomStream('augment', ...augmentSeed));
    }
    return { x, y, labels, size };
  }

  /**
   * Batches of epoch `epoch`: `epochSize` slots of the balanced set in the epoch's order, cut
   * into batches of `batchSize` (the last one may be smaller). A pure function of
   * (seed, epoch, batch size).
   */
  async *trainBatches(epoch: number, batchSize: number): AsyncIterable<Batch> {
    this.checkBatchSize(batchSize);
    // Slots a batch at a time: the epoch's order is never held whole (epoch-order.ts).
    const order = new EpochOrder(this.balanced.size, this.options.seed, this.epochSize);
    for (let b = 0, start = 0; start < this.epochSize; b++, start += batchSize) {
      const slots = order.slots(epoch, start, Math.min(batchSize, this.epochSize - start));
      yield this.buildBatch(this.balanced, slots, [this.options.seed, epoch, batchSize, b]);
    }
  }

  /** Validation or test samples in file order, unbalanced and unaugmented. */
  async *evalBatches(split: 'val' | 'test', batchSize: number): AsyncIterable<Batch> {
    this.checkBatchSize(batchSize);
    const rows = split === 'val' ? this.split.val : split === 'test' ? this.split.test : null;
    if (!rows) throw new RangeError(`split must be "val" or "test", got ${String(split)}`);
    const natural = new NaturalSet(this.labels, rows);
    for (let start = 0; start < rows.length; start += batchSize) {
      const count = Math.min(batchSize, rows.length - start);
      const slots = new Int32Array(count);
      for (let r = 0; r < count; r++) slots[r] = start + r;
      yield this.buildBatch(natural, slots, null);
    }
  }

  /** Bytes of index tables this trial holds for its balanced set (signals excluded). */
  get balancedSetBytes(): number {
    return this.balanced.bytes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsSource) this.source.close();
  }
}

/** In-memory data for `trainingDataFromArrays`. */
export interface ArrayDataset {
  /** float32 row-major [N, length, channels]. */
  readonly signals: Float32Array;
  readonly length: number;
  /** Default 1. */
  readonly channels?: number;
  /** Class index per sample, or a full `LabelSet` (multi-label data). */
  readonly labels: ClassIndex | LabelSet;
  /** Class names when `labels` is a class index (default "0", "1", ...). */
  readonly classes?: readonly string[];
  readonly groups?: Int32Array | null;
  /** Explicit split, or split settings (default stratified, val 0.15, test 0.15, seed 0). */
  readonly split?: SplitIndices | Partial<SplitSettings>;
  /** SMOTE neighbours (default 5). */
  readonly smoteK?: number;
}

function isSplitIndices(s: ArrayDataset['split']): s is SplitIndices {
  return !!s && 'train' in s && s.train instanceof Int32Array;
}

/**
 * A complete `TrainingData` over arrays in memory — the same implementation the study uses,
 * with the split and (for 'smote') the neighbour table computed here. Handy for tests of the
 * training loop and for small experiments.
 */
export async function trainingDataFromArrays(data: ArrayDataset, options: TrainingDataOptions): Promise<BalancedTrainingData> {
  const channels = data.channels ?? 1;
  const count = data.signals.length / (data.length * channels);
  if (!Number.isInteger(count)) throw new RangeError(`signal array of ${data.signals.length} values is not a whole number of [${data.length}, ${channels}] rows`);
  let labels: LabelSet;
  if (data.labels instanceof Int32Array || data.labels instanceof Uint8Array) {
    let max = -1;
    for (const c of data.labels) if (c > max) max = c;
    labels = multiClassLabels(data.labels, data.classes ?? numberedClasses(max + 1));
  } else {
    labels = data.labels;
  }
  if (labels.count !== count) throw new RangeError(`${labels.count} labels for ${count} signals`);
  if (!labels.multilabel) {
    for (const c of labels.classIndex) if (!(c >= 0 && c < labels.numClasses)) throw new RangeError(`class index ${c} out of range [0, ${labels.numClasses})`);
  }
  const split = isSplitIndices(data.split)
    ? data.split
    : splitIndices(labels, data.groups ?? null, { val: 0.15, test: 0.15, by: 'stratified', seed: 0, ...(data.split ?? {}) });
  const source = new InMemorySignalSource(data.signals, count, data.length, channels);
  const smoteTable = options.balancing === 'smote' && !labels.multilabel ? await buildSmoteNeighbourTable(source, labels, split.train, { k: data.smoteK }) : null;
  return new BalancedTrainingData({ source, labels, split, smoteTable }, options);
}
