/**
 * The contract between the data layer and the training loop.
 *
 * One copy of the signals exists per process group: either a SharedArrayBuffer that every
 * worker thread maps without copying, or the HDF5 file itself read lazily in batches.
 * Balancing (random oversampling, SMOTE) and augmentation are index tables and per-batch
 * arithmetic; nothing is ever materialised as a second copy of the set.
 */
import type { LabelSet } from './labels.js';
import type { AugmentSettings } from '../config/settings.js';

export interface DataInfo {
  /** Samples per signal (187 for Kaggle beats). */
  readonly length: number;
  /** Leads / channels (1 for single-lead beats). */
  readonly channels: number;
  /** Classes (multi-class) or labels K (multi-label). */
  readonly numClasses: number;
  readonly multilabel: boolean;
  readonly classes: readonly string[];
}

export interface Batch {
  /** Row-major [size, length, channels]. */
  readonly x: Float32Array;
  /** Row-major [size, numClasses]: one-hot (multi-class) or multi-hot (multi-label). */
  readonly y: Float32Array;
  /** Class index per row (multi-class) for metrics; empty for multi-label. */
  readonly labels: Int32Array;
  readonly size: number;
}

import type { BalancingMode } from '../config/hyperparams.js';
export type { BalancingMode };

export interface TrainingDataOptions {
  readonly balancing: BalancingMode;
  /** Trial seed: shuffling, oversampling draws, SMOTE gaps and augmentation derive from it and the epoch. */
  readonly seed: number;
  /** Per-batch augmentation strengths; 0 disables one. */
  readonly augment?: Partial<AugmentSettings>;
  /** Training samples per epoch; default: the natural training-set size. */
  readonly epochSize?: number | null;
}

/**
 * What one trial trains on. `trainBatches(epoch, ...)` is a pure function of (seed, epoch,
 * batch size): a trial resumed at epoch k sees exactly the batches an uninterrupted run
 * would have seen, with no RNG state to carry.
 */
export interface TrainingData {
  readonly info: DataInfo;
  readonly trainSize: number;
  readonly valSize: number;
  readonly testSize: number;
  trainBatches(epoch: number, batchSize: number): AsyncIterable<Batch>;
  evalBatches(split: 'val' | 'test', batchSize: number): AsyncIterable<Batch>;
  close(): Promise<void>;
}

/** In-memory arrays of a whole dataset: what `generateSynthetic` returns and `writeHdf5` writes. */
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
