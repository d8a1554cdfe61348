import { join } from 'node:path';
import type { StudySettings } from '../space/settings.js';
import type { RunObserver } from '../report/progress.js';
import type { TrialTask } from '../worker/task.js';
import type { Trainer } from '../worker/pool.js';
import type { EpochDecision } from '../train/loop.js';
import type { FrozenTrial, Metrics } from './trial.js';
import { scalarMetrics } from '../report/rows.js';
import { errorReason, type AskedTrial, type Study } from './study.js';

export interface DriveContext {
  readonly study: Study;
  readonly settings: StudySettings;
  readonly observer: RunObserver;
  /** Folder holding one checkpoint folder per trial (beside the database). */
  readonly checkpointRoot: string;
  /** Backend name recorded on each trial. */
  readonly backend: string;
  readonly heartbeatMs: number;
}

/** How one trial of a run ended, for the scheduler's bookkeeping. */
export interface TrialEnd {
  readonly trial: FrozenTrial | null;
  /** Handed back to WAITING by an interrupt: resumable from its checkpoint. */
  readonly released: boolean;
  readonly busyS: number;
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

/**
 * Runs one asked trial to its end: reports each epoch to storage and the pruner, keeps its
 * heartbeat, and records how it finished. The same driver runs in the main process (thread
 * pool) and in `hpsearch worker` (one trial per process).
 */
export async function driveTrial(ctx: DriveContext, trial: AskedTrial, trainer: Trainer, signal: AbortSignal): Promise<TrialEnd> {
  const { study, observer } = ctx;
  const storage = study.storage;
  const metric = study.config.metric;
  const started = performance.now();
  const existing = await storage.getTrialById(trial.id);
  const resumedFrom = existing?.intermediate.at(-1)?.step ?? 0;
  await storage.setTrialBackend(trial.id, ctx.backend);
  await storage.heartbeat(trial.id);
  observer.emit({ event: 'trial_start', trial: trial.number, params: trial.params, seed: trial.seed, resumed_from_epoch: resumedFrom });
  const beat = setInterval(() => {
    storage.heartbeat(trial.id).catch(() => {});
  }, ctx.heartbeatMs);
  beat.unref();
  const onEpoch = async (epoch: number, metrics: Metrics): Promise<EpochDecision> => {
    const value = objectiveOf(metrics, metric);
    const prune = await trial.report(epoch, value, metrics);
    const decision: EpochDecision = prune ? 'prune' : 'continue';
    observer.emit({ event: 'epoch', trial: trial.number, epoch: epoch - 1, epochs: ctx.settings.budget.epochs, value, metrics: scalarMetrics(metrics), decision });
    return decision;
  };
  let finished: FrozenTrial | null = null;
  let released = false;
  let reason: string | undefined;
  try {
    const result = await trainer.train(taskOf(ctx, trial), onEpoch, signal);
    await storage.setSystemAttr(trial.id, 'train', {
      best_epoch: result.bestEpoch,
      stopped_early: result.stoppedEarly,
      num_params: result.numParams,
      resumed_from_epoch: result.resumedFromEpoch,
    });
    if (result.backend) await storage.setTrialBackend(trial.id, result.backend);
    switch (result.state) {
      case 'COMPLETE': {
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
    reason = errorReason(err);
    finished = await study.tell(trial.number, { state: 'failed', reason });
  } finally {
    clearInterval(beat);
  }
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
  return { trial: finished, released, busyS };
}
