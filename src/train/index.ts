/** The training side of a trial: the loop, its optimisers, callbacks, metrics and checkpoints. */
export { trainTrial } from './loop.js';
export { DEFAULT_EVAL_BATCH_SIZE, type EpochDecision, type TrainTrialOptions } from './options.js';
export type { EpochRecord, TrialOutcome, TrialResult } from './result.js';
export { epochMetricNames } from './epoch-metrics.js';
export { DEFAULT_BATCH_SIZE, resolveTrainingHyper, type TrainingHyper } from './training-hyper.js';
export { AdamW, type AdamWArgs, clipByGlobalNorm, createOptimizer, type OptimizerName, type OptimizerSettings, optimizerSettings } from './optimizers.js';
export { EarlyStopping, type EarlyStoppingOptions, metricMode, type Mode, ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './callbacks.js';
export { CHECKPOINT_FILE, checkpointPath, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
export * from './metrics.js';
