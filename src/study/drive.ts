import { join } from 'node:path';
import type { StudySettings } from '../config/settings.js';
import type { RunObserver } from '../core/events.js';
import type { TrialTask } from '../worker/task.js';
import type { Trainer } from '../worker/trainer.js';
import type { EpochDecision } from '../train/options.js';
import type { FrozenTrial, Metrics } from '../core/trial.js';
import { scalarMetrics } from '../core/trial.js';
import { CV_RUNNING_OBJECTIVE } from '../train/epoch-metrics.js';
import type { Lease } from '../storage/types.js';
import { DatabaseFileError, LeaseLostError, StorageUnavailableError } from '../storage/errors.js';
import { errorReason, type AskedTrial, type Study } from './study.js';
import { FolderNotWritableError, folderProblem } from './paths.js';
import { keepModel } from './kept-models.js';
import { StoredCheckpoint } from './stored-checkpoint.js';
import { keepModelsOf } from '../config/defaults.js';

export interface DriveContext {
  readonly study: Study;
  readonly settings: StudySettings;
  readonly observer: RunObserver;
  /**
   * Folder holding one checkpoint folder per trial: this machine's cache of the checkpoints
   * kept in the storage (stored-checkpoint.ts).
   */
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
  /** Another process took the trial over (this one's lease was refused): stopped here, nothing written. */
  readonly lost: LeaseLostError | null;
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
    settings: { model: s.model, budget: s.budget, early_stopping: s.early_stopping, lr_schedule: s.lr_schedule, defaults: s.defaults, data: s.data, metrics: s.metrics, objective: s.objective },
  };
}

/** The objective of an epoch; a missing or non-numeric metric counts as NaN (and is pruned). */
export function objectiveOf(metrics: Metrics | null, metric: string): number {
  const v = metrics?.[metric];
  return typeof v === 'number' ? v : Number.NaN;
}

/**
 * A failure of the machine rather than of the trial (a full disk, a folder that cannot be
 * written, a database server out of reach for longer than the outage limit): recording it
 * as the trial's FAIL would be wrong.
 */
export function isEnvironmentFailure(err: unknown): err is DatabaseFileError | FolderNotWritableError | StorageUnavailableError {
  return err instanceof DatabaseFileError || err instanceof FolderNotWritableError || err instanceof StorageUnavailableError;
}

/**
 * Runs one asked trial to its end: restores its stored checkpoint, stores each epoch's
 * checkpoint and reports the epoch to storage and the pruner, keeps its heartbeat, and
 * records how it finished, whatever the trainer (threads or processes): the study process
 * is the only one that writes. Every write goes with the trial's lease: once one is
 * refused (another process took the trial over after this one's heartbeat went stale), the
 * trainer is stopped and nothing more is written, not even a release.
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
  const lease = trial.lease;
  const dir = checkpointDirOf(ctx.checkpointRoot, trial.number);
  const checkpoint = new StoredCheckpoint(study, trial.id, dir, ctx.settings.data.cv === undefined ? null : ctx.settings.budget.epochs);
  const started = performance.now();
  // A holder, not a `let`: it is set inside callbacks, which control-flow analysis cannot see.
  const failed: { environment: Error | null; lost: LeaseLostError | null } = { environment: null, lost: null };
  const stopRun = (err: Error): void => {
    failed.environment ??= err;
    ctx.onFatal(err);
  };
  // Lost: the trainer stops (as on an interrupt) and its outcome is not recorded.
  const lost = new AbortController();
  const loseTrial = (err: LeaseLostError): void => {
    failed.lost ??= err;
    lost.abort();
  };
  const trainSignal = AbortSignal.any([signal, lost.signal]);
  const beat = setInterval(() => {
    storage.heartbeat(trial.id, lease).catch((err: unknown) => {
      if (err instanceof LeaseLostError) loseTrial(err);
    });
  }, ctx.heartbeatMs);
  beat.unref();
  const onEpoch = async (epoch: number, metrics: Metrics): Promise<EpochDecision> => {
    // Handed back already, or taken over: the trial may be someone else's by now.
    if (abandon?.aborted === true || lost.signal.aborted) return 'continue';
    // A cross-validated trial is judged by the running mean of its folds (src/worker/cross-validated.ts).
    const value = objectiveOf(metrics, CV_RUNNING_OBJECTIVE in metrics ? CV_RUNNING_OBJECTIVE : metric);
    let prune: boolean;
    try {
      await checkpoint.store(epoch, lease);
      prune = await trial.report(epoch, value, metrics);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        loseTrial(err);
        return 'continue';
      }
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
  const busy = (): number => (performance.now() - started) / 1000;
  let keptWeights: Uint8Array | null = null;
  try {
    await checkpoint.restore();
    const existing = await storage.getTrialById(trial.id);
    const resumedFrom = existing?.intermediate.at(-1)?.step ?? 0;
    await storage.setTrialBackend(trial.id, ctx.backend, lease);
    await storage.heartbeat(trial.id, lease);
    observer.emit({ event: 'trial_start', trial: trial.number, params: trial.params, seed: trial.seed, resumed_from_epoch: resumedFrom });
    const result = await unlessAbandoned(trainer.train(taskOf(ctx, trial), onEpoch, trainSignal), abandon);
    if (result === ABANDONED) {
      // Handed back like an interrupted trial. Its last epoch checkpoint stays; should the
      // trainer still write one before it is closed, that is the same trajectory's next.
      return { trial: null, released: await releaseQuietly(study, trial.id, lease), abandoned: true, lost: null, busyS: busy() };
    }
    if (failed.lost !== null) throw failed.lost;
    if (failed.environment !== null) throw failed.environment;
    await storage.setSystemAttr(
      trial.id,
      'train',
      {
        best_epoch: result.bestEpoch,
        stopped_early: result.stoppedEarly,
        num_params: result.numParams,
        resumed_from_epoch: result.resumedFromEpoch,
      },
      lease,
    );
    if (result.cv) await storage.setSystemAttr(trial.id, 'cv', result.cv, lease);
    if (result.backend) await storage.setTrialBackend(trial.id, result.backend, lease);
    switch (result.state) {
      case 'COMPLETE': {
        keptWeights = result.model;
        const value = objectiveOf(result.bestMetrics, metric);
        const metrics: Metrics = { ...(result.testMetrics ?? {}) };
        finished = await study.tell(trial.number, Number.isFinite(value) ? { state: 'complete', value, metrics } : { state: 'failed', reason: `objective ${metric} is ${value}` }, lease);
        break;
      }
      case 'PRUNED':
        finished = await study.tell(trial.number, { state: 'pruned' }, lease);
        break;
      case 'FAIL':
        reason = result.failReason ?? 'failed';
        finished = await study.tell(trial.number, { state: 'failed', reason }, lease);
        break;
      case 'INTERRUPTED':
        await storage.releaseTrial(trial.id, lease);
        released = true;
        break;
    }
  } catch (err) {
    if (err instanceof LeaseLostError) return lostEnd(ctx, trial.number, err, busy(), beat);
    let environment = isEnvironmentFailure(err) ? err : failed.environment ?? folderProblem(dir, 'checkpoint folder');
    if (environment === null) {
      reason = errorReason(err);
      try {
        finished = await study.tell(trial.number, { state: 'failed', reason }, lease);
      } catch (tellErr) {
        if (tellErr instanceof LeaseLostError) return lostEnd(ctx, trial.number, tellErr, busy(), beat);
        if (!isEnvironmentFailure(tellErr)) throw tellErr;
        environment = tellErr;
      }
    }
    if (environment !== null) {
      stopRun(environment);
      released = await releaseQuietly(study, trial.id, lease);
    }
  } finally {
    clearInterval(beat);
  }
  if (finished?.state === 'COMPLETE' && keptWeights !== null) await keepWeights(ctx, finished.id, keptWeights, stopRun);
  const busyS = busy();
  if (finished) {
    // Only now: deleted before the finish, a crash in between would leave a RUNNING trial
    // without its checkpoint, to be trained again from epoch 0. A crash after the finish
    // leaves a checkpoint nobody needs, which the next run of the study deletes.
    await deleteQuietly(checkpoint);
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
  return { trial: finished, released, abandoned: false, lost: null, busyS };
}

/** How a trial taken over by another process ends here: told to the observer, nothing written. */
function lostEnd(ctx: DriveContext, number: number, err: LeaseLostError, busyS: number, beat: NodeJS.Timeout): TrialEnd {
  clearInterval(beat);
  const h = err.holder;
  const holder = h.host !== null ? `${h.host} (pid ${h.pid}, retry ${h.retries})` : `nobody (${err.state})`;
  ctx.observer.emit({
    event: 'trial_lost',
    trial: number,
    holder: h,
    message: `trial ${number}: taken over by ${holder} after this process's heartbeat went stale; stopped here without writing to it`,
  });
  return { trial: null, released: false, abandoned: false, lost: err, busyS };
}

/** Deletes a finished trial's stored checkpoint; a failure only leaves it for the next run's sweep. */
async function deleteQuietly(checkpoint: StoredCheckpoint): Promise<void> {
  try {
    await checkpoint.delete();
  } catch {
    // swept by the next run (runner.ts, sweepCheckpoints)
  }
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
async function releaseQuietly(study: Study, trialId: number, lease: Lease): Promise<boolean> {
  try {
    await study.storage.releaseTrial(trialId, lease);
    return true;
  } catch {
    return false;
  }
}
