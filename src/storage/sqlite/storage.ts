import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { toExternal, toInternal } from '../../core/distributions.js';
import type { Direction, Distribution, Params } from '../../core/search-space.js';
import { FINISHED_STATES, isFinished, type FrozenTrial, type IntermediateValue, type Metrics, type TrialState } from '../../core/trial.js';
import {
  DistributionCache,
  dateToText,
  decodeAttr,
  decodeMetrics,
  decodeNonFinite,
  encodeAttr,
  encodeDistribution,
  encodeMetrics,
  textToDate,
  valueFromColumn,
} from '../codec.js';
import { StudyExistsError, StudyNotFoundError, TrialNotFoundError, TrialStateError, databaseFileError } from '../errors.js';
import { storageFaultsFromEnv, type StorageFaults } from '../faults.js';
import { migrate } from './migrations.js';
import { DEFAULT_RETRY, type RetryPolicy, withBusyRetry } from './retry.js';
import type {
  FinishTrial,
  LeaderboardQuery,
  LeaderboardRow,
  NewStudy,
  NewTrial,
  Owner,
  Storage,
  StudyAttrs,
  StudyRecord,
  StudySummary,
} from '../types.js';

export interface SqliteStorageOptions {
  /**
   * 'NORMAL' (default): in WAL mode a commit survives the process being killed and the
   * database can never be corrupted; only a power cut or OS crash may lose the last few
   * commits, which resume repairs (the trial looks RUNNING with a stale heartbeat and is
   * retried). 'FULL' also survives that, at the price of an fsync per commit.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** How long SQLite itself waits on a lock before reporting SQLITE_BUSY (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /** The outer retry loop on SQLITE_BUSY (see retry.ts). */
  readonly retry?: Partial<RetryPolicy>;
  /** Injected faults for the test suites; default: from `HPSEARCH_FAULT` (see faults.ts). */
  readonly faults?: StorageFaults;
}

const ALL_STATES: readonly TrialState[] = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'];
const FINAL_METRICS_ATTR = 'final_metrics';

interface StudyRow {
  study_id: number;
  study_name: string;
  direction: Direction;
  objective_metric: string;
  space_yaml: string | null;
  settings_json: string;
  created_at: string;
}

interface TrialRow {
  trial_id: number;
  number: number;
  state: TrialState;
  seed: number | null;
  datetime_start: string | null;
  datetime_complete: string | null;
  heartbeat_at: string | null;
  host: string | null;
  pid: number | null;
  backend: string | null;
  fail_reason: string | null;
  retries: number;
  has_value: 0 | 1;
  value: number | null;
}

/** Child rows come back as arrays (better-sqlite3 raw mode): fewer allocations on big loads. */
type ParamRow = [trialId: number, name: string, value: number, distribution: string];
/** One row per trial: JSON arrays of steps, values, has-metrics flags, and metrics objects. */
type IntermediateRow = [trialId: number, steps: string, values: string, hasMetrics: string, metrics: string];
type AttrRow = [trialId: number, key: string, value: string];

/** Which trials a bulk load covers. */
type Scope =
  | { readonly kind: 'ids'; readonly ids: readonly number[] }
  | { readonly kind: 'study'; readonly studyId: number; readonly states: readonly TrialState[] | undefined };

/** A FrozenTrial under construction (FrozenTrial itself is readonly). */
interface TrialDraft {
  id: number;
  number: number;
  state: TrialState;
  params: Params;
  distributions: Record<string, Distribution>;
  value: number | null;
  intermediate: IntermediateValue[];
  seed: number | null;
  startedAt: Date | null;
  completedAt: Date | null;
  heartbeatAt: Date | null;
  host: string | null;
  pid: number | null;
  backend: string | null;
  failReason: string | null;
  retries: number;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
}

const TRIAL_COLUMNS = `t.trial_id, t.number, t.state, t.seed, t.datetime_start, t.datetime_complete,
  t.heartbeat_at, t.host, t.pid, t.backend, t.fail_reason, t.retries,
  v.trial_id IS NOT NULL AS has_value, v.value`;

/**
 * The SQLite implementation of Storage, on better-sqlite3.
 *
 * Concurrency model (docs/storage.md): WAL journal, so readers never block the writer and
 * the writer never blocks readers; every write is one BEGIN IMMEDIATE transaction, which
 * takes the write lock up front (a deferred transaction that reads first and then writes
 * can fail with SQLITE_BUSY_SNAPSHOT that no waiting fixes); SQLITE_BUSY is waited on by
 * SQLite (busy_timeout) and then retried with backoff. Multi-query reads run in one read
 * transaction so they see one snapshot.
 */
export class SqliteStorage implements Storage {
  readonly path: string;
  private readonly db: Db;
  private readonly retry: RetryPolicy;
  private readonly statements = new Map<string, Statement<unknown[], unknown>>();
  private readonly rawStatements = new Map<string, Statement<unknown[], unknown>>();
  private readonly distributions = new DistributionCache();
  /**
   * Finished trials by id. A finished trial never changes again (every write to it is
   * refused), so a copy stays valid across processes: getTrials, called on every ask(),
   * then loads only the trials it has not seen finished, as Optuna's _CachedStorage does.
   */
  private readonly finished = new Map<number, FrozenTrial>();
  /**
   * Finished trials loaded inside the current write transaction: they join `finished` only
   * once it commits, since a rolled-back finishTrial must not leave a finished copy behind.
   */
  private uncommitted: Map<number, FrozenTrial> | null = null;
  private readonly owner: Owner = { host: hostname(), pid: process.pid };
  private readonly faults: StorageFaults;
  private reports = 0;

  /** Opens (creating if needed) the database at `path`, or an in-memory one for ':memory:'. */
  static open(path: string, options: SqliteStorageOptions = {}): SqliteStorage {
    return new SqliteStorage(path, options);
  }

  constructor(path: string, options: SqliteStorageOptions = {}) {
    this.path = path;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.faults = options.faults ?? storageFaultsFromEnv();
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.db = new Database(path, { timeout: busyTimeoutMs });
    try {
      // Switching to WAL writes the file header, so it can meet another process doing the same.
      withBusyRetry(this.retry, `opening ${path}`, () => this.db.pragma('journal_mode = WAL'));
      this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
      this.db.pragma('foreign_keys = ON');
      // Up to 64 MiB of page cache (the default is 2 MiB): a cold load of a 10,000-trial
      // study reads ~40 MiB, and pages come from the OS cache again on every miss.
      this.db.pragma('cache_size = -65536');
      migrate(this.db, undefined, this.retry);
    } catch (err) {
      this.db.close();
      throw databaseFileError(err, path) ?? err;
    }
  }

  // ---------------------------------------------------------------- studies

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    const createdAt = new Date();
    const enqueued = (study.enqueue ?? []).map((e) => {
      const trial: NewTrial = { state: 'WAITING', params: e.params, distributions: e.distributions };
      return { trial, params: checkNewTrial(trial) };
    });
    return this.write('createStudy', () => {
      if (this.stmt('SELECT 1 FROM studies WHERE study_name = ?').get(study.name) !== undefined) {
        throw new StudyExistsError(study.name);
      }
      const res = this.stmt(
        `INSERT INTO studies (study_name, direction, objective_metric, space_yaml, settings_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(study.name, study.direction, study.metric, study.yaml, encodeAttr(study.settings), dateToText(createdAt));
      const studyId = Number(res.lastInsertRowid);
      // A study is never seen without its warm-start trials: both are one transaction.
      for (const e of enqueued) this.insertTrial(studyId, e.trial, e.params);
      return this.studyById(studyId);
    });
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.read('getStudy', () => {
      const row = this.stmt('SELECT * FROM studies WHERE study_name = ?').get(name) as StudyRow | undefined;
      return row === undefined ? null : studyRecord(row);
    });
  }

  async listStudies(): Promise<StudySummary[]> {
    return this.read('listStudies', () => {
      const studies = this.stmt(
        `SELECT s.*, json_extract(s.settings_json, '$.model') AS model FROM studies s ORDER BY s.study_id`,
      ).all() as (StudyRow & { model: unknown })[];
      const counts = this.stmt(
        'SELECT study_id, state, COUNT(*) AS n FROM trials GROUP BY study_id, state',
      ).all() as { study_id: number; state: TrialState; n: number }[];
      return studies.map((s): StudySummary => {
        const byState = Object.fromEntries(ALL_STATES.map((st) => [st, 0])) as Record<TrialState, number>;
        for (const c of counts) if (c.study_id === s.study_id) byState[c.state] = c.n;
        const best = this.stmt(
          `SELECT t.number, v.value FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id
           WHERE t.study_id = ? AND t.state = 'COMPLETE' AND v.value IS NOT NULL
           ORDER BY v.value ${s.direction === 'maximize' ? 'DESC' : 'ASC'}, t.number LIMIT 1`,
        ).get(s.study_id) as { number: number; value: number } | undefined;
        return {
          name: s.study_name,
          direction: s.direction,
          metric: s.objective_metric,
          model: typeof s.model === 'string' ? s.model : null,
          counts: byState,
          bestValue: best?.value ?? null,
          bestNumber: best?.number ?? null,
          createdAt: new Date(s.created_at),
        };
      });
    });
  }

  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    this.setStudyAttr('study_user_attributes', studyId, key, value);
  }

  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    this.setStudyAttr('study_system_attributes', studyId, key, value);
  }

  async getStudyAttrs(studyId: number): Promise<StudyAttrs> {
    return this.read('getStudyAttrs', () => {
      this.studyById(studyId);
      const load = (table: string): Record<string, unknown> => {
        const rows = this.stmt(`SELECT key, value_json FROM ${table} WHERE study_id = ? ORDER BY rowid`).all(
          studyId,
        ) as { key: string; value_json: string }[];
        return Object.fromEntries(rows.map((r) => [r.key, decodeAttr(r.value_json)]));
      };
      return { user: load('study_user_attributes'), system: load('study_system_attributes') };
    });
  }

  async updateStudySettings(studyId: number, settings: unknown): Promise<void> {
    this.write('updateStudySettings', () => {
      const res = this.stmt('UPDATE studies SET settings_json = ? WHERE study_id = ?').run(encodeAttr(settings), studyId);
      if (res.changes === 0) throw new StudyNotFoundError(studyId);
    });
  }

  // ---------------------------------------------------------------- trial writes

  async createTrial(studyId: number, trial: NewTrial): Promise<FrozenTrial> {
    const params = checkNewTrial(trial);
    return this.write('createTrial', () => {
      this.studyById(studyId);
      return this.insertTrial(studyId, trial, params);
    });
  }

  async createTrialWithin(studyId: number, trial: NewTrial, total: number): Promise<FrozenTrial | null> {
    const params = checkNewTrial(trial);
    return this.write('createTrialWithin', () => {
      this.studyById(studyId);
      const { n } = this.stmt('SELECT COUNT(*) AS n FROM trials WHERE study_id = ?').get(studyId) as { n: number };
      return n >= total ? null : this.insertTrial(studyId, trial, params);
    });
  }

  async claimWaitingTrial(studyId: number, owner: Owner): Promise<FrozenTrial | null> {
    return this.write('claimWaitingTrial', () => {
      const row = this.stmt(
        `SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY number LIMIT 1`,
      ).get(studyId) as { trial_id: number } | undefined;
      if (row === undefined) return null;
      const now = dateToText(new Date());
      this.stmt(
        `UPDATE trials SET state = 'RUNNING', datetime_start = ?, heartbeat_at = ?, host = ?, pid = ?
         WHERE trial_id = ?`,
      ).run(now, now, owner.host, owner.pid, row.trial_id);
      return this.loadOne(row.trial_id);
    });
  }

  async reclaimTrial(trialId: number, owner: Owner, expect: { retries: number }): Promise<FrozenTrial | null> {
    return this.write('reclaimTrial', () => {
      this.trialState(trialId);
      // The start time is kept: the trial's duration covers every attempt. Intermediate
      // values are kept too; the new attempt overwrites the steps it reaches again.
      const res = this.stmt(
        `UPDATE trials SET retries = retries + 1, heartbeat_at = ?, host = ?, pid = ?
         WHERE trial_id = ? AND state = 'RUNNING' AND retries = ?`,
      ).run(dateToText(new Date()), owner.host, owner.pid, trialId, expect.retries);
      return res.changes === 0 ? null : this.loadOne(trialId);
    });
  }

  async releaseTrial(trialId: number): Promise<void> {
    this.write('releaseTrial', () => {
      const { state, number } = this.trialState(trialId);
      if (state === 'WAITING') return;
      if (state !== 'RUNNING') throw new TrialStateError(trialId, number, state, 'release');
      this.stmt(
        `UPDATE trials SET state = 'WAITING', datetime_start = NULL, heartbeat_at = NULL, host = NULL, pid = NULL
         WHERE trial_id = ?`,
      ).run(trialId);
    });
  }

  async setTrialParams(
    trialId: number,
    params: Params,
    distributions: Readonly<Record<string, Distribution>>,
  ): Promise<void> {
    const internal = internalParams(params, distributions);
    this.write('setTrialParams', () => {
      this.requireUnfinished(trialId, 'set params of');
      this.insertParams(trialId, internal);
    });
  }

  async setTrialSeed(trialId: number, seed: number): Promise<void> {
    this.write('setTrialSeed', () => {
      this.requireUnfinished(trialId, 'set the seed of');
      this.stmt('UPDATE trials SET seed = ? WHERE trial_id = ?').run(seed, trialId);
    });
  }

  async setTrialBackend(trialId: number, backend: string): Promise<void> {
    this.write('setTrialBackend', () => {
      this.requireUnfinished(trialId, 'set the backend of');
      this.stmt('UPDATE trials SET backend = ? WHERE trial_id = ?').run(backend, trialId);
    });
  }

  async reportIntermediate(trialId: number, step: number, value: number, metrics?: Metrics): Promise<void> {
    if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be an integer >= 0, got ${step}`);
    const metricsJson = metrics === undefined ? null : encodeMetrics(metrics);
    this.write('reportIntermediate', () => {
      this.requireUnfinished(trialId, 'report to');
      this.stmt(
        `INSERT INTO trial_intermediate_values (trial_id, step, value, metrics_json) VALUES (?, ?, ?, ?)
         ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value, metrics_json = excluded.metrics_json`,
      ).run(trialId, step, value, metricsJson);
    });
    this.reports += 1;
    if (this.reports === this.faults.fullAfterReports) this.freezeFileSize();
  }

  /**
   * Fault injection (`dbfull@N`): caps the file at the pages it has now, so the next write
   * that needs a new page fails with SQLITE_FULL exactly as on a full disk, while writes
   * that fit in the existing pages still succeed.
   */
  private freezeFileSize(): void {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    this.db.pragma(`max_page_count = ${pages}`);
  }

  async heartbeat(trialId: number): Promise<void> {
    this.write('heartbeat', () => {
      const res = this.stmt(`UPDATE trials SET heartbeat_at = ? WHERE trial_id = ? AND state = 'RUNNING'`).run(
        dateToText(new Date()),
        trialId,
      );
      // A heartbeat racing the trial's own finish is normal; only a wrong id is an error.
      if (res.changes === 0) this.trialState(trialId);
    });
  }

  async finishTrial(trialId: number, finish: FinishTrial): Promise<FrozenTrial> {
    const given = finish.value ?? null;
    if (finish.state === 'COMPLETE' && given === null) throw new TypeError('a COMPLETE trial needs a value');
    if (finish.state === 'FAIL' && given !== null) throw new TypeError('a FAIL trial has no value');
    if (!isFinished(finish.state)) throw new TypeError(`cannot finish a trial as ${String(finish.state)}`);
    const metricsJson = finish.metrics === undefined ? null : encodeMetrics(finish.metrics);
    return this.write('finishTrial', () => {
      const { state, number } = this.trialState(trialId);
      if (state !== 'RUNNING') throw new TrialStateError(trialId, number, state, `finish (as ${finish.state})`);
      let value = given;
      if (finish.state === 'PRUNED' && value === null) {
        // Optuna: a pruned trial's value is its last reported intermediate value.
        const last = this.stmt(
          'SELECT value FROM trial_intermediate_values WHERE trial_id = ? ORDER BY step DESC LIMIT 1',
        ).get(trialId) as { value: number | null } | undefined;
        if (last !== undefined) value = valueFromColumn(last.value);
      }
      this.stmt(`UPDATE trials SET state = ?, datetime_complete = ?, fail_reason = ? WHERE trial_id = ?`).run(
        finish.state,
        dateToText(new Date()),
        finish.failReason ?? null,
        trialId,
      );
      if (value !== null) {
        this.stmt(
          `INSERT INTO trial_values (trial_id, value) VALUES (?, ?)
           ON CONFLICT (trial_id) DO UPDATE SET value = excluded.value`,
        ).run(trialId, value);
      }
      if (metricsJson !== null) {
        this.stmt(
          `INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (?, ?, ?)
           ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json`,
        ).run(trialId, FINAL_METRICS_ATTR, metricsJson);
      }
      return this.loadOne(trialId);
    });
  }

  async setUserAttr(trialId: number, key: string, value: unknown): Promise<void> {
    this.write('setUserAttr', () => {
      this.requireUnfinished(trialId, 'set a user attribute of');
      this.upsertAttr('trial_user_attributes', trialId, key, value);
    });
  }

  async setSystemAttr(trialId: number, key: string, value: unknown): Promise<void> {
    this.write('setSystemAttr', () => {
      this.requireUnfinished(trialId, 'set a system attribute of');
      this.upsertAttr('trial_system_attributes', trialId, key, value);
    });
  }

  // ---------------------------------------------------------------- reads

  async getTrial(studyId: number, number: number): Promise<FrozenTrial | null> {
    return this.read('getTrial', () => {
      const row = this.stmt('SELECT trial_id FROM trials WHERE study_id = ? AND number = ?').get(studyId, number) as
        | { trial_id: number }
        | undefined;
      return row === undefined ? null : this.loadOne(row.trial_id);
    });
  }

  async getTrialById(trialId: number): Promise<FrozenTrial | null> {
    return this.read('getTrialById', () => this.trialsByIds([trialId])[0] ?? null);
  }

  async getTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.read('getTrials', () => {
      const ids = (
        states === undefined
          ? this.stmt('SELECT trial_id FROM trials WHERE study_id = ? ORDER BY number').pluck().all(studyId)
          : this.stmt(
              `SELECT trial_id FROM trials WHERE study_id = ? AND state IN (SELECT value FROM json_each(?))
               ORDER BY number`,
            )
              .pluck()
              .all(studyId, JSON.stringify(states))
      ) as number[];
      // Only an empty answer pays for telling "no trials" from "no study".
      if (ids.length === 0) this.studyById(studyId);
      return this.trialsByIds(ids, { kind: 'study', studyId, states });
    });
  }

  async countTrials(studyId: number, states?: readonly TrialState[]): Promise<number> {
    return this.read('countTrials', () => {
      const row = (
        states === undefined
          ? this.stmt('SELECT COUNT(*) AS n FROM trials WHERE study_id = ?').get(studyId)
          : this.stmt(
              'SELECT COUNT(*) AS n FROM trials WHERE study_id = ? AND state IN (SELECT value FROM json_each(?))',
            ).get(studyId, JSON.stringify(states))
      ) as { n: number };
      return row.n;
    });
  }

  async leaderboard(studyId: number, query: LeaderboardQuery = {}): Promise<LeaderboardRow[]> {
    return this.read('leaderboard', () => {
      const study = this.studyById(studyId);
      const states: TrialState[] = query.all ? [...FINISHED_STATES] : ['COMPLETE'];
      const order = study.direction === 'maximize' ? 'DESC' : 'ASC';
      // Ranking touches only trials + trial_values (the (study_id, state) index and the
      // trial_values primary key); everything shown is then loaded for the top ids in bulk.
      const ranked = this.stmt(
        `SELECT t.trial_id FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id
         WHERE t.study_id = ? AND t.state IN (SELECT value FROM json_each(?))
         ORDER BY CASE t.state WHEN 'COMPLETE' THEN 0 WHEN 'PRUNED' THEN 1 ELSE 2 END,
                  v.value IS NULL, v.value ${order}, t.number
         LIMIT ?`,
      )
        .pluck()
        .all(studyId, JSON.stringify(states), query.top ?? -1) as number[];
      return this.trialsByIds(ranked).map((t, i) => leaderboardRow(t, i + 1, study.direction));
    });
  }

  async close(): Promise<void> {
    // No `PRAGMA optimize` here: it may need the write lock (and wait on other writers) and
    // the queries need no planner statistics (every lookup has an obvious index).
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- internals

  private stmt(sql: string): Statement<unknown[], unknown> {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /**
   * One BEGIN IMMEDIATE transaction, retried as a whole on SQLITE_BUSY. A full disk or an
   * I/O error rolls it back and surfaces as DatabaseFileError naming the file.
   */
  private write<T>(what: string, fn: () => T): T {
    if (this.db.inTransaction) return fn();
    const tx = this.db.transaction(fn);
    try {
      return withBusyRetry(this.retry, what, () => {
        this.uncommitted = new Map();
        try {
          const result = tx.immediate();
          // Committed: what the transaction saw finished is now finished for everyone.
          for (const [id, t] of this.uncommitted) this.finished.set(id, t);
          return result;
        } finally {
          this.uncommitted = null;
        }
      });
    } catch (err) {
      throw databaseFileError(err, this.path) ?? err;
    }
  }

  /** A read transaction: several queries, one snapshot of the database. */
  private read<T>(what: string, fn: () => T): T {
    if (this.db.inTransaction) return fn();
    const tx = this.db.transaction(fn);
    try {
      return withBusyRetry(this.retry, what, () => tx.deferred());
    } catch (err) {
      throw databaseFileError(err, this.path) ?? err;
    }
  }

  private studyById(studyId: number): StudyRecord {
    const row = this.stmt('SELECT * FROM studies WHERE study_id = ?').get(studyId) as StudyRow | undefined;
    if (row === undefined) throw new StudyNotFoundError(studyId);
    return studyRecord(row);
  }

  private trialState(trialId: number): { state: TrialState; number: number } {
    const row = this.stmt('SELECT state, number FROM trials WHERE trial_id = ?').get(trialId) as
      | { state: TrialState; number: number }
      | undefined;
    if (row === undefined) throw new TrialNotFoundError(trialId);
    return row;
  }

  private requireUnfinished(trialId: number, action: string): void {
    const { state, number } = this.trialState(trialId);
    if (isFinished(state)) throw new TrialStateError(trialId, number, state, action);
  }

  private insertParams(trialId: number, params: readonly InternalParam[]): void {
    const upsert = this.stmt(
      `INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)
       ON CONFLICT (trial_id, param_name)
       DO UPDATE SET param_value = excluded.param_value, distribution_json = excluded.distribution_json`,
    );
    for (const p of params) upsert.run(trialId, p.name, p.internal, p.distribution);
  }

  private upsertAttr(
    table: 'trial_user_attributes' | 'trial_system_attributes',
    trialId: number,
    key: string,
    value: unknown,
  ): void {
    this.stmt(
      `INSERT INTO ${table} (trial_id, key, value_json) VALUES (?, ?, ?)
       ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json`,
    ).run(trialId, key, encodeAttr(value));
  }

  private setStudyAttr(
    table: 'study_user_attributes' | 'study_system_attributes',
    studyId: number,
    key: string,
    value: unknown,
  ): void {
    this.write(`setting a study attribute`, () => {
      this.studyById(studyId);
      this.stmt(
        `INSERT INTO ${table} (study_id, key, value_json) VALUES (?, ?, ?)
         ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json`,
      ).run(studyId, key, encodeAttr(value));
    });
  }

  /** Inserts a trial with the next number, its params and attributes; inside a write transaction. */
  private insertTrial(studyId: number, trial: NewTrial, params: readonly InternalParam[]): FrozenTrial {
    const running = trial.state === 'RUNNING';
    const owner = trial.owner ?? (running ? this.owner : null);
    const now = dateToText(new Date());
    // Inside the IMMEDIATE transaction no other writer can run, so max+1 is ours alone.
    const { next } = this.stmt('SELECT COALESCE(MAX(number), -1) + 1 AS next FROM trials WHERE study_id = ?').get(
      studyId,
    ) as { next: number };
    const res = this.stmt(
      `INSERT INTO trials (study_id, number, state, seed, datetime_start, heartbeat_at, host, pid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      studyId,
      next,
      trial.state,
      trial.seed ?? null,
      running ? now : null,
      running ? now : null,
      owner?.host ?? null,
      owner?.pid ?? null,
    );
    const trialId = Number(res.lastInsertRowid);
    this.insertParams(trialId, params);
    for (const [k, v] of Object.entries(trial.userAttrs ?? {})) {
      this.upsertAttr('trial_user_attributes', trialId, k, v);
    }
    for (const [k, v] of Object.entries(trial.systemAttrs ?? {})) {
      this.upsertAttr('trial_system_attributes', trialId, k, v);
    }
    return this.loadOne(trialId);
  }

  private loadOne(trialId: number): FrozenTrial {
    const t = this.trialsByIds([trialId])[0];
    if (t === undefined) throw new TrialNotFoundError(trialId);
    return t;
  }

  /**
   * The trials with these ids, in the order given (ids that do not exist are skipped):
   * finished ones from the cache, the rest loaded in bulk. `whole`, when given, is a scope
   * covering exactly `ids`: used instead of the id list when nothing is cached yet (the
   * first getTrials of a study), since a plain study filter is cheaper than a long IN list.
   * Run inside a transaction.
   */
  private trialsByIds(ids: readonly number[], whole?: Scope): FrozenTrial[] {
    const missing = ids.filter((id) => !this.finished.has(id));
    const loaded = new Map<number, FrozenTrial>();
    if (missing.length > 0) {
      const scope: Scope = whole !== undefined && missing.length === ids.length ? whole : { kind: 'ids', ids: missing };
      for (const t of this.loadTrials(scope)) {
        loaded.set(t.id, t);
        if (isFinished(t.state)) (this.uncommitted ?? this.finished).set(t.id, t);
      }
    }
    const out: FrozenTrial[] = [];
    for (const id of ids) {
      const t = this.finished.get(id) ?? loaded.get(id);
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  /**
   * Loads whole trials in five queries whatever their number (trials with their values,
   * params, intermediate values, user attrs, system attrs), so no query is issued per
   * trial. Intermediate values come one row per trial (JSON arrays built by SQLite): ten
   * times fewer rows to hand to JS, which is what a bulk load costs. Callers run it inside
   * a transaction, so the queries see one snapshot. The result is frozen (it may be cached
   * and shared).
   */
  private loadTrials(scope: Scope): FrozenTrial[] {
    const [where, args] = scopeSql(scope);
    const rows = this.stmt(
      `SELECT ${TRIAL_COLUMNS} FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id WHERE ${where}`,
    ).all(...args) as TrialRow[];
    if (rows.length === 0) return [];

    const drafts = new Map<number, TrialDraft>();
    for (const r of rows) drafts.set(r.trial_id, draftFromRow(r));

    const params = this.rawStmt(
      `SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json
       FROM trials t JOIN trial_params p ON p.trial_id = t.trial_id WHERE ${where} ORDER BY p.rowid`,
    ).all(...args) as ParamRow[];
    for (const [trialId, name, value, distText] of params) {
      const d = drafts.get(trialId);
      if (d === undefined) continue;
      const dist = this.distributions.parse(distText);
      d.distributions[name] = dist;
      d.params[name] = toExternal(dist, value);
    }

    // All aggregates of a group see its rows in the same order, so the arrays line up;
    // that order is not guaranteed to be by step, so intermediateValues() sorts if needed.
    const inters = this.rawStmt(
      `SELECT i.trial_id, json_group_array(i.step), json_group_array(i.value),
              json_group_array(i.metrics_json IS NOT NULL),
              '[' || group_concat(COALESCE(i.metrics_json, 'null'), ',') || ']'
       FROM trials t JOIN trial_intermediate_values i ON i.trial_id = t.trial_id WHERE ${where}
       GROUP BY i.trial_id`,
    ).all(...args) as IntermediateRow[];
    for (const [trialId, steps, values, hasMetrics, metrics] of inters) {
      const d = drafts.get(trialId);
      if (d !== undefined) d.intermediate = intermediateValues(steps, values, hasMetrics, metrics);
    }

    for (const [table, field] of [
      ['trial_user_attributes', 'userAttrs'],
      ['trial_system_attributes', 'systemAttrs'],
    ] as const) {
      const attrs = this.rawStmt(
        `SELECT a.trial_id, a.key, a.value_json FROM trials t JOIN ${table} a ON a.trial_id = t.trial_id
         WHERE ${where} ORDER BY a.rowid`,
      ).all(...args) as AttrRow[];
      for (const [trialId, key, json] of attrs) {
        const d = drafts.get(trialId);
        if (d === undefined) continue;
        d[field][key] = field === 'userAttrs' && key === FINAL_METRICS_ATTR ? decodeMetrics(json) : decodeAttr(json);
      }
    }
    return [...drafts.values()].map(freezeTrial);
  }

  private rawStmt(sql: string): Statement<unknown[], unknown> {
    let s = this.rawStatements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql).raw(true);
      this.rawStatements.set(sql, s);
    }
    return s;
  }
}

// -------------------------------------------------------------------- helpers

interface InternalParam {
  readonly name: string;
  readonly internal: number;
  readonly distribution: string;
}

/** Validates a new trial and converts its params before any lock is taken. */
function checkNewTrial(trial: NewTrial): InternalParam[] {
  if (trial.state !== 'RUNNING' && trial.state !== 'WAITING') {
    throw new TypeError(`a new trial is RUNNING or WAITING, not ${String(trial.state)}`);
  }
  // A bad value fails here, without touching the database.
  return internalParams(trial.params ?? {}, trial.distributions ?? {});
}

function internalParams(params: Params, distributions: Readonly<Record<string, Distribution>>): InternalParam[] {
  return Object.entries(params).map(([name, value]): InternalParam => {
    const dist = distributions[name];
    if (dist === undefined) throw new TypeError(`param "${name}" has no distribution`);
    return { name, internal: toInternal(dist, value), distribution: encodeDistribution(dist) };
  });
}

function scopeSql(scope: Scope): [where: string, args: unknown[]] {
  // Values are bound as JSON arrays (json_each): one prepared statement for any length.
  if (scope.kind === 'ids') return ['t.trial_id IN (SELECT value FROM json_each(?))', [JSON.stringify(scope.ids)]];
  if (scope.states === undefined) return ['t.study_id = ?', [scope.studyId]];
  return [
    't.study_id = ? AND t.state IN (SELECT value FROM json_each(?))',
    [scope.studyId, JSON.stringify(scope.states)],
  ];
}

/** Shallow-freezes a loaded trial and its containers: cached copies are shared by every caller. */
function freezeTrial(d: TrialDraft): FrozenTrial {
  Object.freeze(d.params);
  Object.freeze(d.distributions);
  for (const iv of d.intermediate) Object.freeze(iv);
  Object.freeze(d.intermediate);
  Object.freeze(d.userAttrs);
  Object.freeze(d.systemAttrs);
  return Object.freeze(d);
}

function studyRecord(row: StudyRow): StudyRecord {
  return {
    id: row.study_id,
    name: row.study_name,
    direction: row.direction,
    metric: row.objective_metric,
    yaml: row.space_yaml,
    settings: decodeAttr(row.settings_json),
    createdAt: new Date(row.created_at),
  };
}

function draftFromRow(r: TrialRow): TrialDraft {
  return {
    id: r.trial_id,
    number: r.number,
    state: r.state,
    params: {},
    distributions: {},
    value: r.has_value ? valueFromColumn(r.value) : null,
    intermediate: [],
    seed: r.seed,
    startedAt: textToDate(r.datetime_start),
    completedAt: textToDate(r.datetime_complete),
    heartbeatAt: textToDate(r.heartbeat_at),
    host: r.host,
    pid: r.pid,
    backend: r.backend,
    failReason: r.fail_reason,
    retries: r.retries,
    userAttrs: {},
    systemAttrs: {},
  };
}

/**
 * A trial's intermediate values from the aggregated row, ordered by step. Metrics are
 * parsed on first read, all steps of the trial at once: samplers and pruners load every
 * trial but look only at `value`, and epoch metrics (per-class arrays, confusion matrices)
 * would otherwise dominate the load. Each getter is an own enumerable property, so
 * JSON.stringify, spread and structuredClone still see `metrics`.
 */
function intermediateValues(
  stepsJson: string,
  valuesJson: string,
  hasJson: string,
  metricsJson: string,
): IntermediateValue[] {
  const steps = JSON.parse(stepsJson) as number[];
  const values = JSON.parse(valuesJson) as (number | null)[];
  const has = JSON.parse(hasJson) as number[];
  let parsed: (Metrics | null)[] | undefined;
  const metricsAt = (i: number): Metrics | undefined =>
    (parsed ??= decodeNonFinite(metricsJson) as (Metrics | null)[])[i] ?? undefined;

  const order = steps.map((_, i) => i);
  if (steps.some((st, i) => i > 0 && st < (steps[i - 1] as number))) {
    order.sort((a, b) => (steps[a] as number) - (steps[b] as number));
  }
  return order.map((i): IntermediateValue => {
    // SQLite writes NaN (stored as NULL) as null, and +-Infinity as +-9.0e+999.
    const iv = { step: steps[i] as number, value: valueFromColumn(values[i] ?? null) };
    if (has[i]) Object.defineProperty(iv, 'metrics', { enumerable: true, get: () => metricsAt(i) });
    return iv;
  });
}

function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

function leaderboardRow(t: FrozenTrial, rank: number, direction: Direction): LeaderboardRow {
  // The epoch the trial's value came from: a complete trial ends on its restored best
  // weights (the `train` attribute's best_epoch, by the early-stopping monitor), which need
  // not be the epoch with the best objective; otherwise the best epoch by the objective
  // (the first of equals). NaN steps never win.
  const train = t.systemAttrs.train as { best_epoch?: unknown } | undefined;
  let best: IntermediateValue | undefined = t.state === 'COMPLETE' ? t.intermediate.find((iv) => iv.step === train?.best_epoch) : undefined;
  for (const iv of best === undefined ? t.intermediate : []) {
    if (Number.isNaN(iv.value)) continue;
    if (best === undefined || isBetter(iv.value, best.value, direction)) best = iv;
  }
  const metrics: Metrics = { ...(best?.metrics ?? {}) };
  const final = t.userAttrs[FINAL_METRICS_ATTR];
  if (t.state === 'COMPLETE' && typeof final === 'object' && final !== null) {
    for (const [k, v] of Object.entries(final as Metrics)) metrics[`test_${k}`] = v;
  }
  return {
    rank,
    number: t.number,
    state: t.state,
    value: t.value,
    metrics,
    params: t.params,
    epochs: t.intermediate.length,
    durationS:
      t.startedAt !== null && t.completedAt !== null ? (t.completedAt.getTime() - t.startedAt.getTime()) / 1000 : null,
    seed: t.seed,
  };
}
