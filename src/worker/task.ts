import type { DataRef } from '../data/prepare.js';
import type { BalancingMode, TrainingDataOptions } from '../data/types.js';
import { openTrainingData } from '../data/prepare.js';
import { AUGMENT_NAMES, type StudySettings } from '../config/settings.js';
import { resolveHyperparams } from '../config/hyperparams.js';
import type { Params } from '../core/search-space.js';
import type { Metrics } from '../core/trial.js';
import { epochLogger, injectFault } from './faults.js';
import { resumedStep, trainCrossValidated } from './cross-validated.js';
import { DEFAULT_OBJECTIVE_METRIC } from '../config/defaults.js';
import { trainTrial } from '../train/loop.js';
import { readCheckpointBytes } from '../train/checkpoint.js';
import { runCheckpointEpoch } from '../train/run-checkpoint.js';
import type { EpochDecision } from '../train/options.js';
import type { TrialResult } from '../train/result.js';

/** Everything a worker needs to train one trial; plain data, so it crosses threads and processes. */
export interface TrialTask {
  readonly trialId: number;
  readonly number: number;
  readonly params: Params;
  readonly seed: number;
  readonly checkpointDir: string;
  readonly settings: Pick<StudySettings, 'model' | 'budget' | 'early_stopping' | 'lr_schedule' | 'defaults' | 'data' | 'metrics'> & {
    /** The objective's metric: a cross-validated trial reports its running mean (absent in tasks of older callers). */
    readonly objective?: StudySettings['objective'];
  };
}

/**
 * The data options of a trial: balancing from the `dataset` parameter (smote | oversampled |
 * none), augmentation strengths from the YAML's `data.augment`, each overridable by a tuned
 * parameter of the same name.
 */
export function trainingDataOptions(task: TrialTask): TrainingDataOptions {
  const { params, settings } = task;
  const balancing: BalancingMode = resolveHyperparams(settings.model, params, settings.defaults).dataset;
  const augment: Record<string, number> = {};
  for (const a of AUGMENT_NAMES) {
    const v = a in params ? params[a] : settings.data.augment[a];
    if (typeof v === 'number' && v > 0) augment[a] = v;
  }
  return { balancing, seed: task.seed, augment, epochSize: settings.data.epoch_size };
}

/**
 * `onEpoch` that logs each epoch once the study has recorded it: its decision came back and no
 * stop came with it (the study stops a trial whose epoch it could not record, protocol.ts).
 */
function logged(
  onEpoch: (epoch: number, metrics: Metrics) => EpochDecision | Promise<EpochDecision>,
  log: (epoch: number) => void,
  signal: AbortSignal | undefined,
): (epoch: number, metrics: Metrics) => Promise<EpochDecision> {
  return async (epoch, metrics) => {
    const decision = await onEpoch(epoch, metrics);
    if (signal?.aborted !== true) log(epoch);
    return decision;
  };
}

/** Trains one trial on the study's data; the same code runs in a worker thread, a child process or `rerun`. */
export async function runTrialTask(
  task: TrialTask,
  dataRef: DataRef,
  onEpoch: (epoch: number, metrics: Metrics) => EpochDecision | Promise<EpochDecision>,
  signal?: AbortSignal,
  opts: { checkpoint?: boolean } = {},
): Promise<TrialResult> {
  injectFault(task.number);
  const checkpointDir = opts.checkpoint === false ? null : task.checkpointDir;
  const s = task.settings;
  const logEpoch = await epochLogger(task.number, checkpointDir, async (dir) => {
    if (dataRef.folds !== undefined) return resumedStep(dir, s.budget.epochs);
    const bytes = await readCheckpointBytes(dir);
    return bytes === null ? 0 : runCheckpointEpoch(bytes, dir);
  });
  const ignored = s.metrics?.ignore_classes ?? [];
  const train = {
    model: s.model,
    params: task.params,
    defaults: s.defaults,
    seed: task.seed,
    epochs: s.budget.epochs,
    earlyStopping: s.early_stopping,
    lrSchedule: s.lr_schedule,
    signal,
    // An interrupt must not wait for the end of a long epoch: the partial epoch is dropped
    // and the trial resumes from the last epoch checkpoint.
    stopWithinEpoch: true,
    ignoreClasses: dataRef.info.classes.flatMap((c, i) => (ignored.includes(c) ? [i] : [])),
  };
  const report = logEpoch === null ? onEpoch : logged(onEpoch, logEpoch, signal);
  if (dataRef.folds !== undefined) {
    return trainCrossValidated(dataRef, { train, dataOptions: trainingDataOptions(task), checkpointDir, objective: s.objective?.metric ?? DEFAULT_OBJECTIVE_METRIC, onEpoch: report });
  }
  const data = await openTrainingData(dataRef, trainingDataOptions(task));
  try {
    return await trainTrial({ ...train, data, checkpointDir, resume: checkpointDir !== null, onEpoch: report });
  } finally {
    await data.close();
  }
}
