/** What one training run is given: the trial's configuration, its data, and how it reports and stops. */
import type { TrainingData } from '../data/types.js';
import type { EarlyStoppingSettings, LrScheduleSettings, ModelName } from '../config/settings.js';
import type { Params } from '../core/search-space.js';
import type { Metrics } from '../core/trial.js';

/** The study's answer to an epoch report. */
export type EpochDecision = 'continue' | 'prune';

/** Batch size of validation and test passes when `evalBatchSize` is not given. */
export const DEFAULT_EVAL_BATCH_SIZE = 256;

export interface TrainTrialOptions {
  readonly model: ModelName;
  readonly params: Params;
  /** The study's fixed hyperparameters (`StudySettings.defaults`) for names absent from params. */
  readonly defaults?: Params;
  readonly seed: number;
  /** Owned by the caller (not closed here). */
  readonly data: TrainingData;
  readonly epochs: number;
  readonly earlyStopping?: EarlyStoppingSettings | null;
  /** ReduceLROnPlateau; its factor is replaced by the `lr_factor` parameter when there is one. */
  readonly lrSchedule?: LrScheduleSettings | null;
  /** Folder of this trial's checkpoint (written after every epoch), or null for none. */
  readonly checkpointDir: string | null;
  /**
   * Called after every epoch, once the epoch's checkpoint is on disk; 'prune' ends the
   * trial as PRUNED. After a resume it is called again for the last checkpointed epoch
   * (the previous process may have died before delivering it), so treat a repeated epoch
   * number as the same report.
   */
  readonly onEpoch?: (epoch: number, metrics: Metrics) => EpochDecision | Promise<EpochDecision>;
  /** Continue from the checkpoint in checkpointDir when there is one (else start afresh). */
  readonly resume?: boolean;
  /** When aborted, the trial stops after the current epoch (checkpoint written) as INTERRUPTED. */
  readonly signal?: AbortSignal;
  /**
   * With `signal`: stop at the next step instead of the end of the epoch. The partial epoch
   * is discarded (its checkpoint is never written) and a resume redoes it from the previous
   * checkpoint, so results stay identical; use it when an epoch is too long to wait for.
   */
  readonly stopWithinEpoch?: boolean;
  /** Class indices the macro averages leave out (`metrics.ignore_classes`); default none. */
  readonly ignoreClasses?: readonly number[];
  /** Batch size of validation and test passes (inference only; default DEFAULT_EVAL_BATCH_SIZE). */
  readonly evalBatchSize?: number;
}
