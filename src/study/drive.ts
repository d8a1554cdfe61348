import { join } from 'node:path';
import type { StudySettings } from '../config/settings.js';
import type { RunObserver } from '../core/events.js';
import type { TrialTask } from '../worker/task.js';
import type { Trainer } from '../worker/trainer.js';
import type { EpochDecision } from '../train/options.js';
import type { FrozenTrial, Metrics } from '../core/trial.js';
import { scalarMetrics } from '../core/trial.js';
import { DatabaseFileError } from '../storage/errors.js';
import { errorReason, type AskedTrial, type Study } from './study.js';
import { FolderNotWritableError, folderProblem } from './paths.js';
import { keepModel } from './kept-models.js';
import { keepModelsOf } from '../config/defaults.js';

export interface DriveContext {
  readonly study: Study;
  readonly settings: StudySettings;
  readonly observer: RunObserver;
  /** Folder holding one checkpoint folder per trial (beside the database). */
  readonly checkpointRoot: string;
  /** Backend name recorded on each trial. */
  readonly backend: string;
  readonly heartbeatMs: number;
  /**
   * Told when the environment fails under a trial (the database file cannot be written,
   * the checkpoint folder cannot be written): the run must stop, since every other trial
   * would meet the same failure.
   */
  readonly onFatal: (err: Error) => void;
}

/** How one trial of a run ended, for the scheduler's bookkeeping. */
export interface TrialEnd {
  readonly trial: FrozenTrial | null;
  /** Handed back to WAITING by an interrupt: resumable from its checkpoint. */
  readonly released: boolean;
  /** Its trainer did not stop before `abandon`: the driver stopped waiting for it. */
  readonly abandoned: boolean;
  readonly busyS: number;
}

const ABANDONED = Symbol('abandoned');

/** `work`'s outcome, or ABANDONED as soon as `abandon` is aborted (`work` then goes on unheeded). */
function unlessAbandoned<T>(work: Promise<T>, abandon: AbortSignal | undefined): Promise<T | typeof ABANDONED> {
  if (abandon === undefined) return work;
  return new Promise((resolve, reject) => {
    const giveUp = (): void => resolve(ABANDONED);
    if (abandon.aborted) giveUp();
    else abandon.addEventListener('abort', giveUp, { once: true });
    work.then(
      (value) => {
        abandon.removeEventListener('abort', giveUp);
        resolve(value);
      },
      (err: unknown) => {
        abandon.removeEventListener('abort', giveUp);
        reject(err);
      },
    );
  });
}

export function checkpointDirOf(root: string, number: number): string {
  return join(root, `trial-${String(number).padStart(5, '0')}`);
}

export function taskOf(ctx: Pick<DriveContext, 'settings' | 'checkpointRoot'>, trial: Pick<AskedTrial, 'id' | 'number' | 'params' | 'seed'>): TrialTask {
  const s = ctx.settings;
  return {
    trialId: trial.id,
    number: trial.number,
    params: trial.params,
    seed: trial.seed,
    checkpointDir: checkpointDirOf(ctx.checkpointRoot, trial.number),
    settings: { model: s.model, budget: s.budget, early_stopping: s.early_stopping, lr_schedule: s.lr_schedule, defaults: s.defaults, data: s.data },
  };
}

/** The objective of an epoch; a missing or non-numeric metric counts as NaN (and is pruned). */
export function objectiveOf(metrics: Metrics | null, metric: string): number {
  const v = metrics?.[metric];
  return typeof v === 'number' ? v : Number.NaN;
}

/** A failure of the machine rather than of the trial: recording it as the trial's FAIL would be wrong. */
export function isEnvironmentFailure(err: unknown): err is DatabaseFileError | FolderNotWritableError {
  return err instanceof DatabaseFileError || err instanceof FolderNotWritableError;
}

/**
 * Runs one asked trial to its end: reports each epoch to storage and the pruner, keeps its
 * heartbeat, and records how it finished, whatever the trainer (threads or processes): the
 * study process is the only one that writes.
 *
 * An environment failure (see isEnvironmentFailure; for a failed trial, the checkpoint
 * folder is probed to tell a broken disk from a broken trial) is not the trial's fault:
 * the trial is handed back as WAITING when the database still takes that write, else left
 * RUNNING for a later run to take over as an orphan, and `ctx.onFatal` stops the run.
 *
 * `signal` asks the trainer to stop (the trial then goes back to WAITING). `abandon` gives
 * up on a trainer that does not: the trial is handed back at once, its heartbeat stops,
 * and nothing the trainer does afterwards is recorded.
 */
export async function driveTrial(ctx: DriveContext, trial: AskedTrial, trainer: Trainer, signal: AbortSignal, abandon?: AbortSignal): Promise<TrialEnd> {
  const { study, observer } = ctx;
  const storage = study.storage;
  const metric = study.config.metric;
  const started = performance.now();
  // A holder, not a `let`: it is set inside callbacks, which control-flow analysis cannot see.
  const failed: { environment: Error | null } = { environment: null };
  const stopRun = (err: Error): void => {
    failed.environment ??= err;
    ctx.onFatal(err);
  };
  const beat = setInterval(() => {
    storage.heartbeat(trial.id).catch(() => {});
  }, ctx.heartbeatMs);
  beat.unref();
  const onEpoch = async (epoch: number, metrics: Metrics): Promise<EpochDecision> => {
    // Handed back already: the trial may be someone else's by now.
    if (abandon?.aborted === true) return 'continue';
    const value = objectiveOf(metrics, metric);
    let prune: boolean;
    try {
      prune = await trial.report(epoch, value, metrics);
    } catch (err) {
      if (!isEnvironmentFailure(err)) throw err;
      // The run stops (the trainer is told through the abort signal); the epoch was not
      // stored, and a resume redoes it from the previous checkpoint or reports it again.
      stopRun(err);
      return 'continue';
    }
    const decision: EpochDecision = prune ? 'prune' : 'continue';
    observer.emit({ event: 'epoch', trial: trial.number, epoch: epoch - 1, epochs: ctx.settings.budget.epochs, value, metrics: scalarMetrics(metrics), decision });
    return decision;
  };
  let finished: FrozenTrial | null = null;
  let released = false;
  let reason: string | undefined;
  let keptWeights: Uint8Array | null = null;
  try {
    const existing = await storage.getTrialById(trial.id);
    const resumedFrom = existing?.intermediate.at(-1)?.step ?? 0;
    await storage.setTrialBackend(trial.id, ctx.backend);
    await storage.heartbeat(trial.id);
    observer.emit({ event: 'trial_start', trial: trial.number, params: trial.params, seed: trial.seed, resumed_from_epoch: resumedFrom });
    const result = await unlessAbandoned(trainer.train(taskOf(ctx, trial), onEpoch, signal), abandon);
    if (result === ABANDONED) {
      // Handed back like an interrupted trial. Its last epoch checkpoint stays; should the
      // trainer still write one before it is closed, that is the same trajectory's next.
      return { trial: null, released: await releaseQuietly(study, trial.id), abandoned: true, busyS: (performance.now() - started) / 1000 };
    }
    if (failed.environment !== null) throw failed.environment;
    await storage.setSystemAttr(trial.id, 'train', {
      best_epoch: result.bestEpoch,
      stopped_early: result.stoppedEarly,
      num_params: result.numParams,
      resumed_from_epoch: result.resumedFromEpoch,
    });
    if (result.backend) await storage.setTrialBackend(trial.id, result.backend);
    switch (result.state) {
      case 'COMPLETE': {
        keptWeights = result.model;
        const value = objectiveOf(result.bestMetrics, metric);
        const metrics: Metrics = { ...(result.testMetrics ?? {}) };
        finished = await study.tell(trial.number, Number.isFinite(value) ? { state: 'complete', value, metrics } : { state: 'failed', reason: `objective ${metric} is ${value}` });
        break;
      }
      case 'PRUNED':
        finished = await study.tell(trial.number, { state: 'pruned' });
        break;
      case 'FAIL':
        reason = result.failReason ?? 'failed';
        finished = await study.tell(trial.number, { state: 'failed', reason });
        break;
      case 'INTERRUPTED':
        await storage.releaseTrial(trial.id);
        released = true;
        break;
    }
  } catch (err) {
    let environment = isEnvironmentFailure(err) ? err : failed.environment ?? folderProblem(checkpointDirOf(ctx.checkpointRoot, trial.number), 'checkpoint folder');
    if (environment === null) {
      reason = errorReason(err);
      try {
        finished = await study.tell(trial.number, { state: 'failed', reason });
      } catch (tellErr) {
        if (!isEnvironmentFailure(tellErr)) throw tellErr;
        environment = tellErr;
      }
    }
    if (environment !== null) {
      stopRun(environment);
      released = await releaseQuietly(study, trial.id);
    }
  } finally {
    clearInterval(beat);
  }
  if (finished?.state === 'COMPLETE' && keptWeights !== null) await keepWeights(ctx, finished.id, keptWeights, stopRun);
  const busyS = (performance.now() - started) / 1000;
  if (finished) {
    observer.emit({
      event: 'trial_end',
      trial: trial.number,
      state: finished.state,
      value: finished.value,
      epochs: finished.intermediate.length,
      duration_s: busyS,
      ...(reason ? { reason } : {}),
    });
  }
  return { trial: finished, released, abandoned: false, busyS };
}

/**
 * Keeps a completed trial's weights under the study's `keep_models` (kept-models.ts). A
 * storage that cannot take them is an environment failure and stops the run; the trial
 * stays COMPLETE, and `export-model` can retrain it.
 */
async function keepWeights(ctx: DriveContext, trialId: number, weights: Uint8Array, stopRun: (err: Error) => void): Promise<void> {
  try {
    await keepModel(ctx.study.storage, ctx.study.id, trialId, weights, keepModelsOf(ctx.settings));
  } catch (err) {
    if (!isEnvironmentFailure(err)) throw err;
    stopRun(err);
  }
}

/**
 * Hands a trial back as WAITING after an environment failure or when its trainer was
 * abandoned; true when that worked. On a full disk the release itself may fail: the trial
 * then stays RUNNING under this process, whose death makes it an orphan that the next run
 * takes over from its checkpoint.
 */
async function releaseQuietly(study: Study, trialId: number): Promise<boolean> {
  try {
    await study.storage.releaseTrial(trialId);
    return true;
  } catch {
    return false;
  }
}
