/**
 * The storage contract: what every implementation of `Storage` (below) guarantees, whatever
 * the number of processes sharing one database (test/storage checks SqliteStorage
 * against it).
 *
 * Atomicity. Every method is one transaction: a write is applied whole or not at all, and a
 * read sees one snapshot, never half of another process's write.
 *
 * Trial numbers. The storage numbers a study's trials inside the transaction that creates
 * each one: 0, 1, 2, ... in creation order, unique and without gaps (no trial is ever
 * deleted). `createTrialWithin` counts and inserts in one transaction, so a study never
 * holds more than the total asked for.
 *
 * Trial states. A trial is created RUNNING or WAITING and changes state only by:
 *  - claimWaitingTrial: the oldest WAITING trial to RUNNING, for exactly one claimer;
 *  - releaseTrial: RUNNING back to WAITING (params, seed, intermediate values kept);
 *  - reclaimTrial: RUNNING to RUNNING under a new owner, retries + 1;
 *  - finishTrial: RUNNING to COMPLETE, PRUNED or FAIL (a WAITING trial cannot be finished).
 *
 * Ownership of RUNNING trials. A RUNNING trial records its owner (host, pid), its retries and
 * its heartbeat. The process that claimed, created or reclaimed it holds its lease (Lease:
 * that owner and those retries). Every write to a trial takes an optional lease; given, the
 * write is applied only while the trial is still RUNNING under exactly that lease, and
 * otherwise refused with LeaseLostError (nothing written). The check is part of the write's
 * transaction: the guard `state = 'RUNNING' AND host = ? AND pid = ? AND retries = ?` on the
 * trial's row. Another process takes a trial over only through reclaimTrial, which is
 * optimistic (it succeeds only if the trial is still RUNNING with the retries the caller
 * saw), so of several processes reclaiming one trial exactly one wins, and its retries + 1
 * ends every earlier lease: a former owner that comes back writes nothing more to the
 * trial (intermediate values, heartbeat, finish, attributes, checkpoint artifact, release).
 * Writes without a lease (the library's ask/tell, tools) are not owner-checked.
 *
 * Finished trials are immutable. Every write to a COMPLETE, PRUNED or FAIL trial throws
 * TrialStateError (params, seed, backend, intermediate values, attributes, finishing or
 * releasing it again); a late heartbeat is ignored and reclaimTrial returns null. So a
 * finished trial, once read, stays valid in every process: that is what lets a storage cache
 * finished trials (finished-trial-cache.ts). Studies are not immutable: their attributes and
 * settings may be written at any time.
 *
 * Values. A COMPLETE trial has a value, a FAIL trial none, a PRUNED one the value given or
 * else its last intermediate value (none if it reported none). NaN is stored and read back as NaN.
 *
 * Returned trials are frozen (the trial and its containers) and may be shared between
 * callers: a caller must copy before changing one.
 *
 * Artifacts. A trial owns named binary artifacts (its checkpoint, its kept model), so that
 * any machine sharing the storage can continue or export it with no shared folder. They
 * are the one exception to immutability: a finished trial's artifacts may still be put
 * (the model kept at the end) and deleted (a model that fell out of the top, a checkpoint no
 * longer needed). A put replaces the artifact of that key whole, in one transaction; a put
 * with a lease is refused like any other leased write once the lease is lost.
 */
import type { Direction, Distribution, Params } from '../core/search-space.js';
import type { FrozenTrial, Metrics, TrialState } from '../core/trial.js';
import type { StudySnapshot } from './study-snapshot.js';

export interface StudyRecord {
  readonly id: number;
  readonly name: string;
  readonly direction: Direction;
  readonly metric: string;
  /** The YAML text the study was created from (null when created through the API). */
  readonly yaml: string | null;
  /** Resolved settings as JSON (StudySettings for CLI studies, a smaller object for API ones). */
  readonly settings: unknown;
  readonly createdAt: Date;
}

export interface NewStudy {
  readonly name: string;
  readonly direction: Direction;
  readonly metric: string;
  readonly yaml: string | null;
  readonly settings: unknown;
  /**
   * Study system attributes written in the same transaction as the study (the data
   * fingerprint: a study is never seen without it, so two processes creating one study at
   * once cannot each record their own data).
   */
  readonly systemAttrs?: Readonly<Record<string, unknown>>;
  /** Configurations to try first, created as WAITING trials in the same transaction as the study. */
  readonly enqueue?: readonly { readonly params: Params; readonly distributions: Readonly<Record<string, Distribution>> }[];
}

export interface StudySummary {
  readonly name: string;
  readonly direction: Direction;
  readonly metric: string;
  readonly model: string | null;
  readonly counts: Readonly<Record<TrialState, number>>;
  readonly bestValue: number | null;
  readonly bestNumber: number | null;
  readonly createdAt: Date;
}

/** Study-level attributes (Optuna's study user / system attrs): JSON values by key. */
export interface StudyAttrs {
  readonly user: Readonly<Record<string, unknown>>;
  readonly system: Readonly<Record<string, unknown>>;
}

export interface Owner {
  readonly host: string;
  readonly pid: number;
}

/**
 * The right to write a RUNNING trial: its owner and its retry count as the writer claimed
 * it (see "Ownership of RUNNING trials" above). `leaseOf` (lease.ts) reads it off a claimed trial.
 */
export interface Lease {
  readonly owner: Owner;
  readonly retries: number;
}

export interface NewTrial {
  readonly state: 'RUNNING' | 'WAITING';
  /**
   * Params already fixed (enqueued configurations); the rest are sampled later. Each one
   * needs its entry in `distributions`: storage keeps the internal representation.
   */
  readonly params?: Params;
  readonly distributions?: Readonly<Record<string, Distribution>>;
  readonly seed?: number | null;
  readonly owner?: Owner;
  readonly userAttrs?: Readonly<Record<string, unknown>>;
  readonly systemAttrs?: Readonly<Record<string, unknown>>;
}

export interface FinishTrial {
  readonly state: 'COMPLETE' | 'PRUNED' | 'FAIL';
  /** Required for COMPLETE; for PRUNED, defaults to the last intermediate value; none for FAIL. */
  readonly value?: number | null;
  /** Final (test) metrics, stored as a user attribute `final_metrics`. */
  readonly metrics?: Metrics;
  readonly failReason?: string | null;
}

export interface LeaderboardQuery {
  readonly top?: number;
  /** Include PRUNED and FAIL trials after the completed ones. */
  readonly all?: boolean;
}

export interface LeaderboardRow {
  readonly rank: number;
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  /** Metrics of the trial's best epoch for the objective (final test metrics under `test_*`). */
  readonly metrics: Metrics;
  readonly params: Params;
  readonly epochs: number;
  readonly durationS: number | null;
  readonly seed: number | null;
}

export interface TrialArtifact {
  readonly trialId: number;
  readonly number: number;
  readonly key: string;
  readonly size: number;
  readonly updatedAt: Date;
}

/**
 * Everything hpsearch keeps, behind one interface (Optuna's BaseStorage), under the
 * contract at the top of this file. SQLite is the first implementation (sqlite/); a server
 * database is planned as a second, hence async. Nothing outside `storage/` writes SQL.
 */
export interface Storage {
  createStudy(study: NewStudy): Promise<StudyRecord>;
  /** null when no study of that name exists. */
  getStudy(name: string): Promise<StudyRecord | null>;
  listStudies(): Promise<StudySummary[]>;
  setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void>;
  setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void>;
  getStudyAttrs(studyId: number): Promise<StudyAttrs>;
  /** Replaces a study's resolved settings (run / resume flags that override the stored ones). */
  updateStudySettings(studyId: number, settings: unknown): Promise<void>;

  createTrial(studyId: number, trial: NewTrial): Promise<FrozenTrial>;
  /**
   * createTrial, but only while the study holds fewer than `total` trials (every state
   * counted); null once it holds `total`. Count and insert are one transaction, so
   * processes sharing a study never overshoot its target.
   */
  createTrialWithin(studyId: number, trial: NewTrial, total: number): Promise<FrozenTrial | null>;
  /**
   * Atomically moves the oldest WAITING trial to RUNNING under `owner` (and starts its
   * clock); null when none waits.
   */
  claimWaitingTrial(studyId: number, owner: Owner): Promise<FrozenTrial | null>;
  /**
   * Atomically takes a RUNNING trial whose owner is gone (the caller decides, e.g. from a
   * stale heartbeat) back to RUNNING under `owner`, incrementing its retry count; used by
   * resume. Optimistic: null unless the trial is still RUNNING with `expect.retries`
   * retries, so of two processes reclaiming the same trial only one wins.
   */
  reclaimTrial(trialId: number, owner: Owner, expect: { retries: number }): Promise<FrozenTrial | null>;
  /**
   * Hands a RUNNING trial back after an orderly interruption: WAITING again, without owner
   * or start time, keeping its params, seed and intermediate values, so a later
   * claimWaitingTrial (oldest first) resumes it. A no-op for a WAITING trial;
   * TrialStateError for a finished one.
   */
  releaseTrial(trialId: number, lease?: Lease): Promise<void>;
  setTrialParams(trialId: number, params: Params, distributions: Readonly<Record<string, Distribution>>, lease?: Lease): Promise<void>;
  setTrialSeed(trialId: number, seed: number, lease?: Lease): Promise<void>;
  setTrialBackend(trialId: number, backend: string, lease?: Lease): Promise<void>;
  /**
   * Upserts the value of `step` (a resumed trial may report a step again).
   * A finished trial is immutable, as in Optuna: this and every other write to it (params,
   * seed, backend, attributes) throws TrialStateError; a late heartbeat is ignored.
   * Every write of this group given a `lease` throws LeaseLostError (a TrialStateError)
   * instead once that lease is no longer the trial's, and writes nothing.
   */
  reportIntermediate(trialId: number, step: number, value: number, metrics?: Metrics, lease?: Lease): Promise<void>;
  /** Without a lease, a heartbeat to a trial that is no longer RUNNING is ignored; with one, LeaseLostError. */
  heartbeat(trialId: number, lease?: Lease): Promise<void>;
  /** Ends a RUNNING trial. Throws if the trial is already finished. */
  finishTrial(trialId: number, finish: FinishTrial, lease?: Lease): Promise<FrozenTrial>;
  setUserAttr(trialId: number, key: string, value: unknown, lease?: Lease): Promise<void>;
  setSystemAttr(trialId: number, key: string, value: unknown, lease?: Lease): Promise<void>;

  getTrial(studyId: number, number: number): Promise<FrozenTrial | null>;
  getTrialById(trialId: number): Promise<FrozenTrial | null>;
  /** In number order. */
  getTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]>;
  countTrials(studyId: number, states?: readonly TrialState[]): Promise<number>;
  leaderboard(studyId: number, query?: LeaderboardQuery): Promise<LeaderboardRow[]>;

  /** Stores (replacing) the artifact `key` of a trial; any state without a lease, RUNNING under it with one. */
  putTrialArtifact(trialId: number, key: string, bytes: Uint8Array, lease?: Lease): Promise<void>;
  /** null when the trial has no artifact of that key. */
  getTrialArtifact(trialId: number, key: string): Promise<Uint8Array | null>;
  /** A no-op when there is none. */
  deleteTrialArtifact(trialId: number, key: string): Promise<void>;
  /** Every artifact of a study's trials, without their bytes, by trial number then key. */
  listTrialArtifacts(studyId: number): Promise<TrialArtifact[]>;

  /**
   * Creates a study with its attributes and every trial exactly as in `snapshot` (same
   * numbers, states, times, values, artifacts), in one transaction: all of it or nothing.
   * StudyExistsError when the name is taken. What `hpsearch db copy` writes.
   */
  importStudy(snapshot: StudySnapshot): Promise<StudyRecord>;

  close(): Promise<void>;
}
