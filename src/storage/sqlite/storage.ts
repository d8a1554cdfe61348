import { hostName } from '../../core/host.js';
import type { Database as Db } from 'better-sqlite3';
import type { Distribution, Params } from '../../core/search-space.js';
import { isFinished, type FrozenTrial, type Metrics, type TrialState } from '../../core/trial.js';
import { DistributionCache, FINAL_METRICS_ATTR, dateToText, decodeAttr, encodeAttr, encodeMetrics, valueFromColumn } from '../codec.js';
import { LeaseLostError, StudyExistsError, StudyNotFoundError, TrialNotFoundError, TrialStateError } from '../errors.js';
import { storageFaultsFromEnv, type StorageFaults } from '../faults.js';
import { FinishedTrialCache } from '../finished-trial-cache.js';
import { STATE_RANK_SQL, leaderboardRow, leaderboardStates } from '../leaderboard.js';
import { studyRecord, studySummary, type StudyRow } from '../study-record.js';
import { checkFinish, checkNewTrial, checkStep, internalParams, newTrialColumns, type InternalParam } from '../trial-input.js';
import type {
  FinishTrial,
  LeaderboardQuery,
  LeaderboardRow,
  Lease,
  NewStudy,
  NewTrial,
  Owner,
  Storage,
  StudyAttrs,
  StudyRecord,
  StudySummary,
  TrialArtifact,
} from '../types.js';
import { openDatabase, type ConnectionOptions } from './connection.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { StatementCache } from './statements.js';
import { loadTrials } from './trial-loader.js';
import type { TrialScope } from '../trial-hydration.js';
import { snapshotTrialRows, type StudySnapshot } from '../study-snapshot.js';
import { SqliteTransactions } from './transactions.js';

export interface SqliteStorageOptions extends ConnectionOptions {
  /** The outer retry loop on SQLITE_BUSY (see retry.ts). */
  readonly retry?: Partial<RetryPolicy>;
  /** Injected faults for the test suites; default: from `HPSEARCH_FAULT` (see ../faults.ts). */
  readonly faults?: StorageFaults;
}

/**
 * The owner guard of a leased write (types.ts, "Ownership of RUNNING trials"), on the trials
 * row; its parameters are leaseParams(lease). Checked inside the write's IMMEDIATE
 * transaction, so no reclaim can come between the check and the write.
 */
const LEASE_HELD = `state = 'RUNNING' AND host = ? AND pid = ? AND retries = ?`;

function leaseParams(lease: Lease): [string, number, number] {
  return [lease.owner.host, lease.owner.pid, lease.retries];
}

/**
 * The SQLite implementation of Storage, on better-sqlite3: the SQL of every operation.
 * Opening and pragmas are in connection.ts, transactions and their retries in
 * transactions.ts, bulk trial loads in trial-loader.ts; what any SQL backend would do the
 * same (row decoding, leaderboard policy, input checks, the finished-trial cache) lives in
 * the backend-neutral files of src/storage/.
 */
export class SqliteStorage implements Storage {
  readonly path: string;
  private readonly db: Db;
  private readonly sql: StatementCache;
  private readonly tx: SqliteTransactions;
  private readonly distributions = new DistributionCache();
  private readonly finished = new FinishedTrialCache();
  private readonly owner: Owner = { host: hostName(), pid: process.pid };
  private readonly faults: StorageFaults;
  private reports = 0;

  /** Opens (creating if needed) the database at `path`, or an in-memory one for ':memory:'. */
  static open(path: string, options: SqliteStorageOptions = {}): SqliteStorage {
    return new SqliteStorage(path, options);
  }

  constructor(path: string, options: SqliteStorageOptions = {}) {
    this.path = path;
    const retry = { ...DEFAULT_RETRY, ...options.retry };
    this.faults = options.faults ?? storageFaultsFromEnv();
    this.db = openDatabase(path, options, retry);
    this.sql = new StatementCache(this.db);
    this.tx = new SqliteTransactions(this.db, path, retry, (commit) => this.finished.transaction(commit));
  }

  // ---------------------------------------------------------------- studies

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    const createdAt = new Date();
    const enqueued = (study.enqueue ?? []).map((e) => {
      const trial: NewTrial = { state: 'WAITING', params: e.params, distributions: e.distributions };
      return { trial, params: checkNewTrial(trial) };
    });
    return this.tx.write('createStudy', () => {
      if (this.sql.get('SELECT 1 FROM studies WHERE study_name = ?').get(study.name) !== undefined) {
        throw new StudyExistsError(study.name);
      }
      const res = this.sql.get(
        `INSERT INTO studies (study_name, direction, objective_metric, space_yaml, settings_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(study.name, study.direction, study.metric, study.yaml, encodeAttr(study.settings), dateToText(createdAt));
      const studyId = Number(res.lastInsertRowid);
      for (const [key, value] of Object.entries(study.systemAttrs ?? {})) {
        this.sql.get('INSERT INTO study_system_attributes (study_id, key, value_json) VALUES (?, ?, ?)').run(studyId, key, encodeAttr(value));
      }
      // A study is never seen without its warm-start trials: both are one transaction.
      for (const e of enqueued) this.insertTrial(studyId, e.trial, e.params);
      return this.studyById(studyId);
    });
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.tx.read('getStudy', () => {
      const row = this.sql.get('SELECT * FROM studies WHERE study_name = ?').get(name) as StudyRow | undefined;
      return row === undefined ? null : studyRecord(row);
    });
  }

  async listStudies(): Promise<StudySummary[]> {
    return this.tx.read('listStudies', () => {
      const studies = this.sql.get(
        `SELECT s.*, json_extract(s.settings_json, '$.model') AS model FROM studies s ORDER BY s.study_id`,
      ).all() as (StudyRow & { model: unknown })[];
      const counts = this.sql.get(
        'SELECT study_id, state, COUNT(*) AS n FROM trials GROUP BY study_id, state',
      ).all() as { study_id: number; state: TrialState; n: number }[];
      return studies.map((s) => {
        const best = this.sql.get(
          `SELECT t.number, v.value FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id
           WHERE t.study_id = ? AND t.state = 'COMPLETE' AND v.value IS NOT NULL
           ORDER BY v.value ${s.direction === 'maximize' ? 'DESC' : 'ASC'}, t.number LIMIT 1`,
        ).get(s.study_id) as { number: number; value: number } | undefined;
        return studySummary(s, s.model, counts.filter((c) => c.study_id === s.study_id), best);
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
    return this.tx.read('getStudyAttrs', () => {
      this.studyById(studyId);
      const load = (table: string): Record<string, unknown> => {
        const rows = this.sql.get(`SELECT key, value_json FROM ${table} WHERE study_id = ? ORDER BY rowid`).all(
          studyId,
        ) as { key: string; value_json: string }[];
        return Object.fromEntries(rows.map((r) => [r.key, decodeAttr(r.value_json)]));
      };
      return { user: load('study_user_attributes'), system: load('study_system_attributes') };
    });
  }

  async updateStudySettings(studyId: number, settings: unknown): Promise<void> {
    this.tx.write('updateStudySettings', () => {
      const res = this.sql.get('UPDATE studies SET settings_json = ? WHERE study_id = ?').run(encodeAttr(settings), studyId);
      if (res.changes === 0) throw new StudyNotFoundError(studyId);
    });
  }

  // ---------------------------------------------------------------- trial writes

  async createTrial(studyId: number, trial: NewTrial): Promise<FrozenTrial> {
    const params = checkNewTrial(trial);
    return this.tx.write('createTrial', () => {
      this.studyById(studyId);
      return this.insertTrial(studyId, trial, params);
    });
  }

  async createTrialWithin(studyId: number, trial: NewTrial, total: number): Promise<FrozenTrial | null> {
    const params = checkNewTrial(trial);
    return this.tx.write('createTrialWithin', () => {
      this.studyById(studyId);
      const { n } = this.sql.get('SELECT COUNT(*) AS n FROM trials WHERE study_id = ?').get(studyId) as { n: number };
      return n >= total ? null : this.insertTrial(studyId, trial, params);
    });
  }

  async claimWaitingTrial(studyId: number, owner: Owner): Promise<FrozenTrial | null> {
    return this.tx.write('claimWaitingTrial', () => {
      const row = this.sql.get(
        `SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' ORDER BY number LIMIT 1`,
      ).get(studyId) as { trial_id: number } | undefined;
      if (row === undefined) return null;
      const now = dateToText(new Date());
      this.sql.get(
        `UPDATE trials SET state = 'RUNNING', datetime_start = ?, heartbeat_at = ?, host = ?, pid = ?
         WHERE trial_id = ?`,
      ).run(now, now, owner.host, owner.pid, row.trial_id);
      return this.loadOne(row.trial_id);
    });
  }

  async reclaimTrial(trialId: number, owner: Owner, expect: { retries: number }): Promise<FrozenTrial | null> {
    return this.tx.write('reclaimTrial', () => {
      this.trialState(trialId);
      // The start time is kept: the trial's duration covers every attempt. Intermediate
      // values are kept too; the new attempt overwrites the steps it reaches again.
      const res = this.sql.get(
        `UPDATE trials SET retries = retries + 1, heartbeat_at = ?, host = ?, pid = ?
         WHERE trial_id = ? AND state = 'RUNNING' AND retries = ?`,
      ).run(dateToText(new Date()), owner.host, owner.pid, trialId, expect.retries);
      return res.changes === 0 ? null : this.loadOne(trialId);
    });
  }

  async releaseTrial(trialId: number, lease?: Lease): Promise<void> {
    this.tx.write('releaseTrial', () => {
      if (lease !== undefined) this.requireLease(trialId, lease, 'release');
      const { state, number } = this.trialState(trialId);
      if (state === 'WAITING') return;
      if (state !== 'RUNNING') throw new TrialStateError(trialId, number, state, 'release');
      this.sql.get(
        `UPDATE trials SET state = 'WAITING', datetime_start = NULL, heartbeat_at = NULL, host = NULL, pid = NULL
         WHERE trial_id = ?`,
      ).run(trialId);
    });
  }

  async setTrialParams(
    trialId: number,
    params: Params,
    distributions: Readonly<Record<string, Distribution>>,
    lease?: Lease,
  ): Promise<void> {
    const internal = internalParams(params, distributions);
    this.tx.write('setTrialParams', () => {
      this.requireWritable(trialId, lease, 'set params of');
      this.insertParams(trialId, internal);
    });
  }

  async setTrialSeed(trialId: number, seed: number, lease?: Lease): Promise<void> {
    this.tx.write('setTrialSeed', () => {
      this.requireWritable(trialId, lease, 'set the seed of');
      this.sql.get('UPDATE trials SET seed = ? WHERE trial_id = ?').run(seed, trialId);
    });
  }

  async setTrialBackend(trialId: number, backend: string, lease?: Lease): Promise<void> {
    this.tx.write('setTrialBackend', () => {
      this.requireWritable(trialId, lease, 'set the backend of');
      this.sql.get('UPDATE trials SET backend = ? WHERE trial_id = ?').run(backend, trialId);
    });
  }

  async reportIntermediate(trialId: number, step: number, value: number, metrics?: Metrics, lease?: Lease): Promise<void> {
    checkStep(step);
    const metricsJson = metrics === undefined ? null : encodeMetrics(metrics);
    this.tx.write('reportIntermediate', () => {
      this.requireWritable(trialId, lease, 'report to');
      this.sql.get(
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

  async heartbeat(trialId: number, lease?: Lease): Promise<void> {
    this.tx.write('heartbeat', () => {
      const now = dateToText(new Date());
      if (lease !== undefined) {
        const res = this.sql.get(`UPDATE trials SET heartbeat_at = ? WHERE trial_id = ? AND ${LEASE_HELD}`).run(now, trialId, ...leaseParams(lease));
        if (res.changes === 0) throw this.leaseLost(trialId, 'send a heartbeat for');
        return;
      }
      const res = this.sql.get(`UPDATE trials SET heartbeat_at = ? WHERE trial_id = ? AND state = 'RUNNING'`).run(now, trialId);
      // A heartbeat racing the trial's own finish is normal; only a wrong id is an error.
      if (res.changes === 0) this.trialState(trialId);
    });
  }

  async finishTrial(trialId: number, finish: FinishTrial, lease?: Lease): Promise<FrozenTrial> {
    const given = checkFinish(finish);
    const metricsJson = finish.metrics === undefined ? null : encodeMetrics(finish.metrics);
    return this.tx.write('finishTrial', () => {
      if (lease !== undefined) this.requireLease(trialId, lease, `finish (as ${finish.state})`);
      const { state, number } = this.trialState(trialId);
      if (state !== 'RUNNING') throw new TrialStateError(trialId, number, state, `finish (as ${finish.state})`);
      let value = given;
      if (finish.state === 'PRUNED' && value === null) {
        // Optuna: a pruned trial's value is its last reported intermediate value.
        const last = this.sql.get(
          'SELECT value FROM trial_intermediate_values WHERE trial_id = ? ORDER BY step DESC LIMIT 1',
        ).get(trialId) as { value: number | null } | undefined;
        if (last !== undefined) value = valueFromColumn(last.value);
      }
      this.sql.get(`UPDATE trials SET state = ?, datetime_complete = ?, fail_reason = ? WHERE trial_id = ?`).run(
        finish.state,
        dateToText(new Date()),
        finish.failReason ?? null,
        trialId,
      );
      if (value !== null) {
        this.sql.get(
          `INSERT INTO trial_values (trial_id, value) VALUES (?, ?)
           ON CONFLICT (trial_id) DO UPDATE SET value = excluded.value`,
        ).run(trialId, value);
      }
      if (metricsJson !== null) {
        this.sql.get(
          `INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (?, ?, ?)
           ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json`,
        ).run(trialId, FINAL_METRICS_ATTR, metricsJson);
      }
      return this.loadOne(trialId);
    });
  }

  async setUserAttr(trialId: number, key: string, value: unknown, lease?: Lease): Promise<void> {
    this.tx.write('setUserAttr', () => {
      this.requireWritable(trialId, lease, 'set a user attribute of');
      this.upsertAttr('trial_user_attributes', trialId, key, value);
    });
  }

  async setSystemAttr(trialId: number, key: string, value: unknown, lease?: Lease): Promise<void> {
    this.tx.write('setSystemAttr', () => {
      this.requireWritable(trialId, lease, 'set a system attribute of');
      this.upsertAttr('trial_system_attributes', trialId, key, value);
    });
  }

  // ---------------------------------------------------------------- reads

  async getTrial(studyId: number, number: number): Promise<FrozenTrial | null> {
    return this.tx.read('getTrial', () => {
      const row = this.sql.get('SELECT trial_id FROM trials WHERE study_id = ? AND number = ?').get(studyId, number) as
        | { trial_id: number }
        | undefined;
      return row === undefined ? null : this.loadOne(row.trial_id);
    });
  }

  async getTrialById(trialId: number): Promise<FrozenTrial | null> {
    return this.tx.read('getTrialById', () => this.trialsByIds([trialId])[0] ?? null);
  }

  async getTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.tx.read('getTrials', () => {
      const ids = (
        states === undefined
          ? this.sql.get('SELECT trial_id FROM trials WHERE study_id = ? ORDER BY number').pluck().all(studyId)
          : this.sql.get(
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
    return this.tx.read('countTrials', () => {
      const row = (
        states === undefined
          ? this.sql.get('SELECT COUNT(*) AS n FROM trials WHERE study_id = ?').get(studyId)
          : this.sql.get(
              'SELECT COUNT(*) AS n FROM trials WHERE study_id = ? AND state IN (SELECT value FROM json_each(?))',
            ).get(studyId, JSON.stringify(states))
      ) as { n: number };
      return row.n;
    });
  }

  async leaderboard(studyId: number, query: LeaderboardQuery = {}): Promise<LeaderboardRow[]> {
    return this.tx.read('leaderboard', () => {
      const study = this.studyById(studyId);
      const states = leaderboardStates(query);
      const order = study.direction === 'maximize' ? 'DESC' : 'ASC';
      // Ranking touches only trials + trial_values (the (study_id, state) index and the
      // trial_values primary key); everything shown is then loaded for the top ids in bulk.
      const ranked = this.sql.get(
        `SELECT t.trial_id FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id
         WHERE t.study_id = ? AND t.state IN (SELECT value FROM json_each(?))
         ORDER BY ${STATE_RANK_SQL}, v.value IS NULL, v.value ${order}, t.number
         LIMIT ?`,
      )
        .pluck()
        .all(studyId, JSON.stringify(states), query.top ?? -1) as number[];
      return this.trialsByIds(ranked).map((t, i) => leaderboardRow(t, i + 1, study.direction));
    });
  }

  // ---------------------------------------------------------------- artifacts

  async putTrialArtifact(trialId: number, key: string, bytes: Uint8Array, lease?: Lease): Promise<void> {
    this.tx.write('putTrialArtifact', () => {
      if (lease !== undefined) this.requireLease(trialId, lease, `store the ${key} of`);
      else this.trialState(trialId);
      this.sql.get(
        `INSERT INTO trial_artifacts (trial_id, key, bytes, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (trial_id, key) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at`,
      ).run(trialId, key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), dateToText(new Date()));
    });
  }

  async getTrialArtifact(trialId: number, key: string): Promise<Uint8Array | null> {
    return this.tx.read('getTrialArtifact', () => {
      const row = this.sql.get('SELECT bytes FROM trial_artifacts WHERE trial_id = ? AND key = ?').get(trialId, key) as
        | { bytes: Buffer }
        | undefined;
      return row === undefined ? null : new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    });
  }

  async deleteTrialArtifact(trialId: number, key: string): Promise<void> {
    this.tx.write('deleteTrialArtifact', () => {
      this.sql.get('DELETE FROM trial_artifacts WHERE trial_id = ? AND key = ?').run(trialId, key);
    });
  }

  async listTrialArtifacts(studyId: number): Promise<TrialArtifact[]> {
    return this.tx.read('listTrialArtifacts', () => {
      this.studyById(studyId);
      const rows = this.sql.get(
        `SELECT a.trial_id, t.number, a.key, length(a.bytes) AS size, a.updated_at
         FROM trial_artifacts a JOIN trials t ON t.trial_id = a.trial_id
         WHERE t.study_id = ? ORDER BY t.number, a.key`,
      ).all(studyId) as { trial_id: number; number: number; key: string; size: number; updated_at: string }[];
      return rows.map((r) => ({ trialId: r.trial_id, number: r.number, key: r.key, size: r.size, updatedAt: new Date(r.updated_at) }));
    });
  }

  async importStudy(snapshot: StudySnapshot): Promise<StudyRecord> {
    const trials = snapshotTrialRows(snapshot);
    const { study, attrs } = snapshot;
    const time = (d: Date | null): string | null => (d === null ? null : dateToText(d));
    return this.tx.write('importStudy', () => {
      if (this.sql.get('SELECT 1 FROM studies WHERE study_name = ?').get(study.name) !== undefined) throw new StudyExistsError(study.name);
      const studyId = Number(
        this.sql.get(
          `INSERT INTO studies (study_name, direction, objective_metric, space_yaml, settings_json, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(study.name, study.direction, study.metric, study.yaml, encodeAttr(study.settings), dateToText(study.createdAt)).lastInsertRowid,
      );
      for (const [table, values] of [['study_user_attributes', attrs.user], ['study_system_attributes', attrs.system]] as const) {
        for (const [k, v] of Object.entries(values)) this.sql.get(`INSERT INTO ${table} (study_id, key, value_json) VALUES (?, ?, ?)`).run(studyId, k, encodeAttr(v));
      }
      for (const t of trials) {
        const trialId = Number(
          this.sql.get(
            `INSERT INTO trials (study_id, number, state, seed, datetime_start, datetime_complete, heartbeat_at, host, pid, backend, fail_reason, retries)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(studyId, t.number, t.state, t.seed, time(t.startedAt), time(t.completedAt), time(t.heartbeatAt), t.host, t.pid, t.backend, t.failReason, t.retries).lastInsertRowid,
        );
        this.insertParams(trialId, t.params);
        if (t.value !== undefined) this.sql.get('INSERT INTO trial_values (trial_id, value) VALUES (?, ?)').run(trialId, t.value);
        const step = this.sql.get('INSERT INTO trial_intermediate_values (trial_id, step, value, metrics_json) VALUES (?, ?, ?, ?)');
        for (const iv of t.intermediate) step.run(trialId, iv.step, iv.value, iv.metricsJson);
        for (const [table, rows] of [['trial_user_attributes', t.userAttrs], ['trial_system_attributes', t.systemAttrs]] as const) {
          for (const [k, json] of rows) this.sql.get(`INSERT INTO ${table} (trial_id, key, value_json) VALUES (?, ?, ?)`).run(trialId, k, json);
        }
        for (const a of t.artifacts) {
          this.sql.get('INSERT INTO trial_artifacts (trial_id, key, bytes, updated_at) VALUES (?, ?, ?, ?)').run(trialId, a.key, Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength), dateToText(a.updatedAt));
        }
      }
      return this.studyById(studyId);
    });
  }

  async close(): Promise<void> {
    // No `PRAGMA optimize` here: it may need the write lock (and wait on other writers) and
    // the queries need no planner statistics (every lookup has an obvious index).
    if (this.db.open) this.db.close();
  }

  // ---------------------------------------------------------------- internals

  private studyById(studyId: number): StudyRecord {
    const row = this.sql.get('SELECT * FROM studies WHERE study_id = ?').get(studyId) as StudyRow | undefined;
    if (row === undefined) throw new StudyNotFoundError(studyId);
    return studyRecord(row);
  }

  private trialState(trialId: number): { state: TrialState; number: number } {
    const row = this.sql.get('SELECT state, number FROM trials WHERE trial_id = ?').get(trialId) as
      | { state: TrialState; number: number }
      | undefined;
    if (row === undefined) throw new TrialNotFoundError(trialId);
    return row;
  }

  private requireUnfinished(trialId: number, action: string): void {
    const { state, number } = this.trialState(trialId);
    if (isFinished(state)) throw new TrialStateError(trialId, number, state, action);
  }

  /** A write to a trial: owner-guarded with a lease, else only refused once the trial is finished. */
  private requireWritable(trialId: number, lease: Lease | undefined, action: string): void {
    if (lease === undefined) this.requireUnfinished(trialId, action);
    else this.requireLease(trialId, lease, action);
  }

  /** Throws LeaseLostError unless the trial is RUNNING under `lease` (inside the write transaction). */
  private requireLease(trialId: number, lease: Lease, action: string): void {
    const held = this.sql.get(`SELECT 1 FROM trials WHERE trial_id = ? AND ${LEASE_HELD}`).get(trialId, ...leaseParams(lease));
    if (held === undefined) throw this.leaseLost(trialId, action);
  }

  private leaseLost(trialId: number, action: string): LeaseLostError {
    const row = this.sql.get('SELECT state, number, host, pid, retries FROM trials WHERE trial_id = ?').get(trialId) as
      | { state: TrialState; number: number; host: string | null; pid: number | null; retries: number }
      | undefined;
    if (row === undefined) throw new TrialNotFoundError(trialId);
    return new LeaseLostError(trialId, row.number, row.state, action, { host: row.host, pid: row.pid, retries: row.retries });
  }

  private insertParams(trialId: number, params: readonly InternalParam[]): void {
    const upsert = this.sql.get(
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
    this.sql.get(
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
    this.tx.write(`setting a study attribute`, () => {
      this.studyById(studyId);
      this.sql.get(
        `INSERT INTO ${table} (study_id, key, value_json) VALUES (?, ?, ?)
         ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json`,
      ).run(studyId, key, encodeAttr(value));
    });
  }

  /** Inserts a trial with the next number, its params and attributes; inside a write transaction. */
  private insertTrial(studyId: number, trial: NewTrial, params: readonly InternalParam[]): FrozenTrial {
    const row = newTrialColumns(trial, this.owner);
    // Inside the IMMEDIATE transaction no other writer can run, so max+1 is ours alone.
    const { next } = this.sql.get('SELECT COALESCE(MAX(number), -1) + 1 AS next FROM trials WHERE study_id = ?').get(
      studyId,
    ) as { next: number };
    const res = this.sql.get(
      `INSERT INTO trials (study_id, number, state, seed, datetime_start, heartbeat_at, host, pid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      studyId,
      next,
      row.state,
      row.seed,
      row.startedAt && dateToText(row.startedAt),
      row.heartbeatAt && dateToText(row.heartbeatAt),
      row.host,
      row.pid,
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
  private trialsByIds(ids: readonly number[], whole?: TrialScope): FrozenTrial[] {
    return this.finished.trials(ids, (missing, all) =>
      loadTrials(this.sql, this.distributions, whole !== undefined && all ? whole : { kind: 'ids', ids: missing }),
    );
  }
}
