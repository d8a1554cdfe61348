import { hostName } from '../core/host.js';
import type { StudySettings } from '../config/settings.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import type { RunObserver } from '../core/events.js';
import type { Trainer } from '../worker/trainer.js';
import { ownPeakMemory, type PeakMemory } from '../worker/peak-memory.js';
import { FINISHED_STATES, type FrozenTrial } from '../core/trial.js';
import { expectedBackend } from '../backend/probe.js';
import { configFromRecord } from './api.js';
import { Study, type AskedTrial } from './study.js';
import { driveTrial, type TrialEnd } from './drive.js';
import { isCheckpointArtifact } from './stored-checkpoint.js';
import { leaseOf } from '../storage/lease.js';
import { TrialStateError } from '../storage/errors.js';
import { cacheDir, checkpointRootOf, ensureWritableFolder } from './paths.js';
import { checkDataIdentity, type DataIdentity } from './data-identity.js';

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
  /**
   * The data this process trains on: compared with the study's before anything is written
   * (a different fingerprint is bad input), recorded on a study that has none.
   */
  readonly data?: DataIdentity;
  /**
   * How often a running trial's heartbeat is written, and how often a run with a free worker
   * looks for trials to take over (default: a quarter of `heartbeat_grace_s`, at most 5 s).
   */
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
  /** The most memory the run's training took (this process, and its worker processes if any). */
  readonly peakMemory: PeakMemory;
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
export function isOrphaned(t: FrozenTrial, graceS: number, now = Date.now(), host = hostName()): boolean {
  if (t.state !== 'RUNNING') return false;
  const beat = (t.heartbeatAt ?? t.startedAt)?.getTime() ?? 0;
  if (now - beat > graceS * 1000) return true;
  return t.host === host && t.pid !== null && t.pid !== process.pid && !pidAlive(t.pid);
}

/** The heartbeat period for a grace: four beats may be missed before a trial counts as dead. */
export function heartbeatIntervalMs(graceS: number): number {
  return Math.min(5000, Math.max(100, graceS * 250));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs a study to its target: `budget.trials` trials in all, counted across every process
 * and machine sharing the storage, `settings.workers` at a time on `trainer`. Each time a
 * worker is free: an orphaned RUNNING trial first (its heartbeat older than
 * `heartbeat_grace_s`, or its process gone on this host: taken over with reclaimTrial and
 * retried from its stored checkpoint with the same params and seed, up to `max_retries`),
 * then a WAITING one (enqueued or interrupted), then a new one from the sampler. Once the
 * target is allotted, the run stays while other processes still run trials of the study,
 * looking for orphans every heartbeat period, so that a machine that dies mid-trial is
 * replaced by any live one without a restart.
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
  if (opts.data !== undefined) await checkDataIdentity(storage, opts.record, opts.data);
  const study = new Study(storage, opts.record, configFromRecord(opts.record));
  const target = settings.budget.trials;
  const workers = settings.workers;
  const root = checkpointRootOf(opts.dbPath, opts.record);
  ensureWritableFolder(root, 'checkpoint folder');
  ensureWritableFolder(cacheDir(opts.dbPath), 'data cache folder');

  await sweepCheckpoints(study);
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
  const heartbeatMs = opts.heartbeatMs ?? heartbeatIntervalMs(settings.heartbeat_grace_s);
  const ctx = { study, settings, observer, checkpointRoot: root, backend: backendLabel, heartbeatMs, onFatal };
  const running = new Set<Promise<TrialEnd>>();
  // The trials this run drives: never taken for orphans, whatever their heartbeat says.
  const mine = new Set<number>();
  let busyS = 0;
  let ranHere = 0;
  const next = async (): Promise<AskedTrial | null> => {
    const orphan = await takeOverOrphan(study, settings, mine, log);
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
        // Nothing to start: done, unless trials are still running here or elsewhere (one of
        // those may yet be orphaned and need this run).
        let elsewhere: number;
        try {
          elsewhere = (await storage.countTrials(study.id, ['RUNNING'])) - mine.size;
        } catch (err) {
          onFatal(err instanceof Error ? err : new Error(String(err)));
          break;
        }
        if (running.size === 0 && elsewhere <= 0) break;
        await Promise.race([...running, pause(heartbeatMs, stop.signal)]);
        continue;
      }
      ranHere += 1;
      const number = trial.number;
      const id = trial.id;
      mine.add(id);
      const p: Promise<TrialEnd> = driveTrial(ctx, trial, trainer, stop.signal, abandon.signal).then((end) => {
        busyS += end.busyS;
        running.delete(p);
        mine.delete(id);
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
  return { interrupted: stop.signal.aborted, wallS, utilisation: wallS > 0 ? busyS / (workers * wallS) : 0, ranHere, peakMemory: trainer.peakMemory?.() ?? ownPeakMemory() };
}

async function countsOf(storage: Storage, studyId: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'] as const) out[s] = await storage.countTrials(studyId, [s]);
  return out;
}

/**
 * Takes over one orphaned RUNNING trial of the study (not one this run drives), or null when
 * there is none to take. The reclaim is optimistic, so of several runs that see the same
 * orphan exactly one gets it; the others look at the next. An orphan that has died
 * `max_retries` times is ended as FAIL instead, under its dead owner's lease, so that it is
 * failed at most once and never after another run took it.
 */
async function takeOverOrphan(study: Study, settings: StudySettings, mine: ReadonlySet<number>, log: (m: string) => void): Promise<FrozenTrial | null> {
  const storage = study.storage;
  for (const t of await storage.getTrials(study.id, ['RUNNING'])) {
    if (mine.has(t.id) || !isOrphaned(t, settings.heartbeat_grace_s)) continue;
    if (t.retries >= settings.max_retries) {
      try {
        await storage.finishTrial(t.id, { state: 'FAIL', failReason: `its process died ${t.retries + 1} times (max_retries ${settings.max_retries})` }, leaseOf(t) ?? undefined);
        log(`trial ${t.number}: FAIL after ${t.retries + 1} interrupted attempts`);
      } catch (err) {
        if (!(err instanceof TrialStateError)) throw err;
      }
      continue;
    }
    const claimed = await storage.reclaimTrial(t.id, study.owner, { retries: t.retries });
    if (claimed) {
      const from = t.host !== null ? ` (${t.host}, pid ${t.pid})` : '';
      log(`trial ${t.number}: its process${from} is gone; continuing it from its stored checkpoint (retry ${claimed.retries}/${settings.max_retries})`);
      return claimed;
    }
  }
  return null;
}

/**
 * Deletes the stored checkpoints of finished trials: a run that died between finishing a
 * trial and deleting its checkpoint (drive.ts) leaves one, which nothing will read again.
 */
async function sweepCheckpoints(study: Study): Promise<void> {
  const artifacts = (await study.storage.listTrialArtifacts(study.id)).filter((a) => isCheckpointArtifact(a.key));
  if (artifacts.length === 0) return;
  const finished = new Set((await study.storage.getTrials(study.id, FINISHED_STATES)).map((t) => t.id));
  for (const a of artifacts) if (finished.has(a.trialId)) await study.storage.deleteTrialArtifact(a.trialId, a.key);
}
