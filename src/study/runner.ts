import { hostname } from 'node:os';
import type { StudySettings } from '../config/settings.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import type { RunObserver } from '../core/events.js';
import type { Trainer } from '../worker/trainer.js';
import { FINISHED_STATES, type FrozenTrial } from '../core/trial.js';
import { expectedBackend } from '../backend/probe.js';
import { configFromRecord } from './api.js';
import { Study, type AskedTrial } from './study.js';
import { driveTrial, type TrialEnd } from './drive.js';
import { cacheDir, checkpointRootOf, ensureWritableFolder } from './paths.js';

export interface RunStudyOptions {
  readonly storage: Storage;
  readonly dbPath: string;
  readonly record: StudyRecord;
  readonly settings: StudySettings;
  readonly observer: RunObserver;
  /** Trains the trials (threads or processes); owned by the caller, who closes it. */
  readonly trainer: Trainer;
  /**
   * Aborting it interrupts the run: no new trial starts, running ones are asked to stop
   * (mid-epoch; their last epoch checkpoint stays) and go back to WAITING.
   */
  readonly signal: AbortSignal;
  /** Class names of the study's data, stored on the study (reports name classes by them). */
  readonly classes: readonly string[];
  readonly heartbeatMs?: number;
  /**
   * How long a stop waits for the running trials (default 8000 ms, within the 9 s after which
   * `hpsearch run` exits anyway). A trial still training then is handed back as WAITING and
   * no longer heeded, and runStudy returns.
   */
  readonly stopWaitMs?: number;
  /** Messages about preparation (data, recovery), not trial events. */
  readonly log?: (message: string) => void;
}

export interface RunSummary {
  readonly interrupted: boolean;
  readonly wallS: number;
  /** Sum of trial busy time / (workers × wall time). */
  readonly utilisation: number;
  readonly ranHere: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A RUNNING trial nobody is running any more: its process is gone (same host, pid dead) or
 * its heartbeat is older than the grace period (another host, or a reused pid).
 */
export function isOrphaned(t: FrozenTrial, graceS: number, now = Date.now(), host = hostname()): boolean {
  if (t.state !== 'RUNNING') return false;
  const beat = (t.heartbeatAt ?? t.startedAt)?.getTime() ?? 0;
  if (now - beat > graceS * 1000) return true;
  return t.host === host && t.pid !== null && t.pid !== process.pid && !pidAlive(t.pid);
}

/**
 * Runs a study to its target: `budget.trials` trials in all, counted across every process
 * sharing the database, `settings.workers` at a time on `trainer`. Order: orphaned RUNNING
 * trials (retried from their last checkpoint with the same params and seed, up to
 * `max_retries`), then WAITING ones (enqueued or interrupted), then new ones from the
 * sampler.
 *
 * An abort of `signal` stops the run (see RunStudyOptions.signal); it returns within
 * `stopWaitMs` of it, with `interrupted` set.
 *
 * A failure of the environment (a full disk or an I/O error on the database, a checkpoint
 * folder that cannot be written) or of the scheduler itself stops the run the same way
 * and is then rethrown: the trials in flight are handed back, never marked FAIL for it,
 * and a later run continues the study once the cause is fixed. The checkpoint and cache
 * folders are checked before any trial starts.
 */
export async function runStudy(opts: RunStudyOptions): Promise<RunSummary> {
  const { storage, settings, observer, trainer } = opts;
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const study = new Study(storage, opts.record, configFromRecord(opts.record));
  const target = settings.budget.trials;
  const workers = settings.workers;
  const root = checkpointRootOf(opts.dbPath, opts.record);
  ensureWritableFolder(root, 'checkpoint folder');
  ensureWritableFolder(cacheDir(opts.dbPath), 'data cache folder');

  const retry = await recoverOrphans(study, settings, log);
  const backendLabel = await expectedBackend(settings.backend);

  await storage.setStudySystemAttr(study.id, 'classes', opts.classes);
  const finishedBefore = await storage.countTrials(study.id, FINISHED_STATES);
  observer.emit({ event: 'study_start', study: settings.study, target, finished: finishedBefore, workers, backend: backendLabel });

  // Stopped by the caller's signal or by a fatal failure; trials still running `stopWaitMs`
  // after that are abandoned.
  const stopWaitMs = opts.stopWaitMs ?? 8000;
  const stop = new AbortController();
  const abandon = new AbortController();
  let abandonTimer: NodeJS.Timeout | undefined;
  stop.signal.addEventListener(
    'abort',
    () => {
      abandonTimer = setTimeout(() => abandon.abort(), stopWaitMs);
    },
    { once: true },
  );
  const interrupt = (): void => stop.abort();
  if (opts.signal.aborted) interrupt();
  else opts.signal.addEventListener('abort', interrupt, { once: true });

  const failure: { error: Error | null } = { error: null };
  const onFatal = (err: Error): void => {
    failure.error ??= err;
    stop.abort();
  };
  const ctx = { study, settings, observer, checkpointRoot: root, backend: backendLabel, heartbeatMs: opts.heartbeatMs ?? 5000, onFatal };
  const running = new Set<Promise<TrialEnd>>();
  let busyS = 0;
  let ranHere = 0;
  const next = async (): Promise<AskedTrial | null> => {
    const orphan = retry.shift();
    if (orphan) return study.prepare(orphan);
    return study.askWithin(target);
  };
  try {
    while (!stop.signal.aborted) {
      if (running.size >= workers) {
        await Promise.race(running);
        continue;
      }
      let trial: AskedTrial | null;
      try {
        trial = await next();
      } catch (err) {
        // Stop the trials in flight in an orderly way before reporting the error.
        onFatal(err instanceof Error ? err : new Error(String(err)));
        break;
      }
      if (trial === null) {
        if (running.size === 0) break;
        await Promise.race(running);
        continue;
      }
      ranHere += 1;
      const number = trial.number;
      const p: Promise<TrialEnd> = driveTrial(ctx, trial, trainer, stop.signal, abandon.signal).then((end) => {
        busyS += end.busyS;
        running.delete(p);
        if (end.abandoned) log(`trial ${number}: still training ${stopWaitMs} ms after the stop; ${end.released ? 'handed back as WAITING' : 'left RUNNING for a later run to take over'}`);
        return end;
      });
      running.add(p);
    }
    await Promise.all(running);
  } finally {
    opts.signal.removeEventListener('abort', interrupt);
    clearTimeout(abandonTimer);
  }
  if (failure.error !== null) throw failure.error;
  const wallS = (performance.now() - t0) / 1000;
  const counts = await countsOf(storage, study.id);
  await study.refresh();
  const best = study.bestTrial;
  observer.emit({ event: 'study_end', study: settings.study, counts, best: best ? { trial: best.number, value: best.value } : null, wall_s: wallS });
  return { interrupted: stop.signal.aborted, wallS, utilisation: wallS > 0 ? busyS / (workers * wallS) : 0, ranHere };
}

async function countsOf(storage: Storage, studyId: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'] as const) out[s] = await storage.countTrials(studyId, [s]);
  return out;
}

/**
 * Takes over the study's orphaned RUNNING trials: each is claimed for this process with its
 * retry count raised (optimistically, so two resuming processes never take the same one),
 * or ended as FAIL once it has died `max_retries` times.
 */
async function recoverOrphans(study: Study, settings: StudySettings, log: (m: string) => void): Promise<FrozenTrial[]> {
  const storage = study.storage;
  const out: FrozenTrial[] = [];
  for (const t of await storage.getTrials(study.id, ['RUNNING'])) {
    if (!isOrphaned(t, settings.heartbeat_grace_s)) continue;
    if (t.retries >= settings.max_retries) {
      await storage.finishTrial(t.id, { state: 'FAIL', failReason: `its process died ${t.retries + 1} times (max_retries ${settings.max_retries})` });
      log(`trial ${t.number}: FAIL after ${t.retries + 1} interrupted attempts`);
      continue;
    }
    const claimed = await storage.reclaimTrial(t.id, study.owner, { retries: t.retries });
    if (claimed) {
      out.push(claimed);
      log(`trial ${t.number}: its process is gone; retrying it from its last checkpoint (retry ${claimed.retries}/${settings.max_retries})`);
    }
  }
  return out;
}
