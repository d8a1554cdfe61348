/** The training side of a trial: the loop, its optimisers, callbacks, metrics and checkpoints. */
export {
  DEFAULT_BATCH_SIZE,
  DEFAULT_EVAL_BATCH_SIZE,
  epochMetricNames,
  type EpochDecision,
  type EpochRecord,
  resolveTrainingHyper,
  type TrainingHyper,
  trainTrial,
  type TrainTrialOptions,
  type TrialOutcome,
  type TrialResult,
} from './loop.js';
export { AdamW, type AdamWArgs, clipByGlobalNorm, createOptimizer, type OptimizerName, type OptimizerSettings, optimizerSettings } from './optimizers.js';
export { EarlyStopping, type EarlyStoppingOptions, metricMode, type Mode, ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './callbacks.js';
export { CHECKPOINT_FILE, checkpointPath, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
export * from './metrics.js';
