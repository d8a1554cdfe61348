/** What one training run returns: how it ended, its epoch history and its test metrics. */
import type { Metrics } from '../core/trial.js';

/** COMPLETE, PRUNED and FAIL as in the study; INTERRUPTED = stopped by the abort signal, resumable. */
export type TrialOutcome = 'COMPLETE' | 'PRUNED' | 'FAIL' | 'INTERRUPTED';

export interface EpochRecord {
  readonly epoch: number;
  readonly metrics: Metrics;
  /** Wall time of the epoch (training and validation). Not a metric: it is not reproducible. */
  readonly durationS: number;
}

export interface TrialResult {
  readonly state: TrialOutcome;
  /** Why a FAIL failed, e.g. "loss became NaN at epoch 3 step 17". */
  readonly failReason: string | null;
  /** Completed epochs, including those before a resume. */
  readonly epochsRun: number;
  readonly history: readonly EpochRecord[];
  /** The early-stopping monitor's best epoch (without early stopping: the last epoch). */
  readonly bestEpoch: number | null;
  /** Validation metrics of bestEpoch. */
  readonly bestMetrics: Metrics | null;
  /** Test-split metrics of the final weights (the best ones with restore_best_weights); COMPLETE only. */
  readonly testMetrics: Metrics | null;
  /**
   * COMPLETE only: the weights the test metrics were measured with (the restored best epoch's
   * with restore_best_weights), in the format of model-weights.ts; what the study keeps.
   */
  readonly model: Uint8Array | null;
  readonly stoppedEarly: boolean;
  /** The checkpointed epoch this run continued from, or null for a fresh start. */
  readonly resumedFromEpoch: number | null;
  /** tfjs backend the trial ran on. */
  readonly backend: string;
  readonly numParams: number;
  /** Wall time of this call. */
  readonly durationS: number;
  /**
   * The largest share of the cores the study gave this trial's kernels while it ran
   * (src/worker/kernel-threads.ts); set by its worker. Speed only: results do not depend on it.
   */
  readonly kernelThreads?: number;
  /** A cross-validated trial (src/worker/cross-validated.ts): what each fold gave. */
  readonly cv?: CrossValidation;
}

/** The folds of a cross-validated trial, as stored in its system attribute `cv`. */
export interface CrossValidation {
  /** Each fold's objective at its best epoch, in fold order (the folds finished so far). */
  readonly values: readonly number[];
  /** Their mean: the trial's value. */
  readonly mean: number;
  /** Their sample standard deviation (n − 1). */
  readonly std: number;
  /** Each fold's best epoch (1-based, within the fold). */
  readonly best_epochs: readonly (number | null)[];
  /** Validation scalars averaged over the folds, each at its fold's best epoch. */
  readonly metrics: Metrics;
}
