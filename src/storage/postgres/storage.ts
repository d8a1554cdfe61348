import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { Distribution, Params } from '../../core/search-space.js';
import { isFinished, type FrozenTrial, type Metrics, type TrialState } from '../../core/trial.js';
import { DistributionCache, FINAL_METRICS_ATTR, decodeAttr, encodeAttr, encodeMetrics, valueFromColumn, valueToColumn } from '../codec.js';
import { LeaseLostError, StudyExistsError, StudyNotFoundError, TrialNotFoundError, TrialStateError } from '../errors.js';
import { FinishedTrialCache } from '../finished-trial-cache.js';
import { STATE_RANK_SQL, leaderboardRow, leaderboardStates } from '../leaderboard.js';
import { studyRecord, studySummary, type StudyRow } from '../study-record.js';
import type { TrialScope } from '../trial-hydration.js';
import { snapshotTrialRows, type StudySnapshot } from '../study-snapshot.js';
import { checkFinish, checkNewTrial, checkStep, internalParams, newTrialColumns, type InternalParam } from '../trial-input.js';
import type {
  Lease,
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
  TrialArtifact,
} from '../types.js';
import { maskPassword } from '../url.js';
import { connectError, createPool, outageLimitMs, type ConnectionOptions } from './connection.js';
import { migratePg } from './migrations.js';
import type { PgSession } from './session.js';
import { loadTrialsPg } from './trial-loader.js';
import { PgTransactions } from './transactions.js';

export type PostgresStorageOptions = ConnectionOptions;

/**
 * The owner guard of a leased write (types.ts, "Ownership of RUNNING trials"), as in
 * sqlite/storage.ts; its parameters, from placeholder $first on, are leaseParams(lease).
 */
function leaseHeld(first: number): string {
  return `state = 'RUNNING' AND host = $${first} AND pid = $${first + 1} AND retries = $${first + 2}`;
}

function leaseParams(lease: Lease): [string, number, number] {
  return [lease.owner.host, lease.owner.pid, lease.retries];
}

/**
 * The PostgreSQL implementation of Storage, on a `pg` pool: the SQL of every operation,
 * for studies shared by several machines. Connecting is in connection.ts, the schema in
 * migrations.ts, transactions with their retries in transactions.ts, bulk loads in
 * trial-loader.ts; row decoding, the leaderboard policy, input checks and the
 * finished-trial cache are the backend-neutral files of src/storage/, as for SQLite.
 *
 * Writes that are not idempotent (creating a study or a trial, claiming, reclaiming,
 * releasing and finishing one) insert a random token into `write_tokens` in their
 * transaction: retried after a lost connection, such a write first looks for its token,
 * so a COMMIT whose acknowledgement was lost is neither applied twice (two trials for one
 * ask) nor reported as a failure.
 */
export class PostgresStorage implements Storage {
  /** The URL with its password masked. */
  readonly label: string;
  private readonly tx: PgTransactions;
  private readonly distributions = new DistributionCache();
  private readonly finished = new FinishedTrialCache();
  private readonly owner: Owner = { host: hostname(), pid: process.pid };
  private closed = false;

  private constructor(private readonly pool: pg.Pool, url: string, options: PostgresStorageOptions) {
    this.label = maskPassword(url);
    this.tx = new PgTransactions(pool, this.finished, this.label, outageLimitMs(options));
  }

  /**
   * Connects to `url` and brings its schema to the latest version. A server out of reach
   * fails at once (StorageUnavailableError, exit 1), refused credentials or a missing
   * database with StorageAccessError (exit 2); each names the URL with its password masked.
   */
  static async open(url: string, options: PostgresStorageOptions = {}): Promise<PostgresStorage> {
    const pool = createPool(url, options);
    try {
      const client = await pool.connect();
      try {
        await migratePg(client);
        // Tokens only matter while a write may still be retried (the outage limit).
        await client.query(`DELETE FROM write_tokens WHERE created_at < now() - interval '1 day'`);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw connectError(err, url);
    }
    return new PostgresStorage(pool, url, options);
  }

  // ---------------------------------------------------------------- studies

  async createStudy(study: NewStudy): Promise<StudyRecord> {
    const createdAt = new Date();
    const enqueued = (study.enqueue ?? []).map((e) => {
      const trial: NewTrial = { state: 'WAITING', params: e.params, distributions: e.distributions };
      return { trial, params: checkNewTrial(trial) };
    });
    const token = randomUUID();
    return this.tx.write(
      'createStudy',
      async (s) => {
        // ON CONFLICT: a concurrent creator of the same name commits first, this one waits for it and sees the conflict.
        const row = await this.insertStudyRow(s, study, createdAt);
        if (row === undefined) throw new StudyExistsError(study.name);
        await this.mark(s, token, row.study_id, null);
        for (const [key, value] of Object.entries(study.systemAttrs ?? {})) {
          await s.run('INSERT INTO study_system_attributes (study_id, key, value_json) VALUES ($1, $2, $3)', [row.study_id, key, encodeAttr(value)]);
        }
        // A study is never seen without its warm-start trials: both are one transaction.
        for (const e of enqueued) await this.insertTrial(s, row.study_id, e.trial, e.params);
        return studyRecord(row);
      },
      (s) => this.replayStudy(s, token),
    );
  }

  async getStudy(name: string): Promise<StudyRecord | null> {
    return this.tx.read('getStudy', async (s) => {
      const row = await s.row<StudyRow>('SELECT * FROM studies WHERE study_name = $1', [name]);
      return row === undefined ? null : studyRecord(row);
    });
  }

  async listStudies(): Promise<StudySummary[]> {
    return this.tx.read('listStudies', async (s) => {
      const studies = await s.rows<StudyRow & { model: unknown }>(
        `SELECT s.*, CASE WHEN json_typeof(s.settings_json::json -> 'model') = 'string' THEN s.settings_json::json ->> 'model' END AS model
         FROM studies s ORDER BY s.study_id`,
      );
      const counts = await s.rows<{ study_id: number; state: TrialState; n: number }>(
        'SELECT study_id, state, COUNT(*)::int AS n FROM trials GROUP BY study_id, state',
      );
      const out: StudySummary[] = [];
      for (const st of studies) {
        const best = await s.row<{ number: number; value: number }>(
          `SELECT t.number, v.value FROM trials t JOIN trial_values v ON v.trial_id = t.trial_id
           WHERE t.study_id = $1 AND t.state = 'COMPLETE' AND v.value IS NOT NULL
           ORDER BY v.value ${st.direction === 'maximize' ? 'DESC' : 'ASC'}, t.number LIMIT 1`,
          [st.study_id],
        );
        out.push(studySummary(st, st.model, counts.filter((c) => c.study_id === st.study_id), best));
      }
      return out;
    });
  }

  async setStudyUserAttr(studyId: number, key: string, value: unknown): Promise<void> {
    await this.setStudyAttr('study_user_attributes', studyId, key, value);
  }

  async setStudySystemAttr(studyId: number, key: string, value: unknown): Promise<void> {
    await this.setStudyAttr('study_system_attributes', studyId, key, value);
  }

  async getStudyAttrs(studyId: number): Promise<StudyAttrs> {
    return this.tx.read('getStudyAttrs', async (s) => {
      await this.studyById(s, studyId);
      const load = async (table: string): Promise<Record<string, unknown>> => {
        const rows = await s.rows<{ key: string; value_json: string }>(`SELECT key, value_json FROM ${table} WHERE study_id = $1 ORDER BY seq`, [studyId]);
        return Object.fromEntries(rows.map((r) => [r.key, decodeAttr(r.value_json)]));
      };
      return { user: await load('study_user_attributes'), system: await load('study_system_attributes') };
    });
  }

  async updateStudySettings(studyId: number, settings: unknown): Promise<void> {
    await this.tx.write('updateStudySettings', async (s) => {
      const n = await s.run('UPDATE studies SET settings_json = $1 WHERE study_id = $2', [encodeAttr(settings), studyId]);
      if (n === 0) throw new StudyNotFoundError(studyId);
    });
  }

  // ---------------------------------------------------------------- trial writes

  async createTrial(studyId: number, trial: NewTrial): Promise<FrozenTrial> {
    return (await this.createTrialUpTo(studyId, trial, null)) as FrozenTrial;
  }

  async createTrialWithin(studyId: number, trial: NewTrial, total: number): Promise<FrozenTrial | null> {
    return this.createTrialUpTo(studyId, trial, total);
  }

  private async createTrialUpTo(studyId: number, trial: NewTrial, total: number | null): Promise<FrozenTrial | null> {
    const params = checkNewTrial(trial);
    const token = randomUUID();
    return this.tx.write(
      total === null ? 'createTrial' : 'createTrialWithin',
      async (s) => {
        // The study row lock serialises the creators of one study's trials: count and
        // insert see every trial committed before, so numbers are unique and the total holds.
        const locked = await s.row('SELECT 1 FROM studies WHERE study_id = $1 FOR NO KEY UPDATE', [studyId]);
        if (locked === undefined) throw new StudyNotFoundError(studyId);
        if (total !== null) {
          const { n } = (await s.row<{ n: number }>('SELECT COUNT(*)::int AS n FROM trials WHERE study_id = $1', [studyId]))!;
          if (n >= total) return null;
        }
        const created = await this.insertTrial(s, studyId, trial, params);
        await this.mark(s, token, studyId, created.id);
        return created;
      },
      (s) => this.replayTrial(s, token),
    );
  }

  async claimWaitingTrial(studyId: number, owner: Owner): Promise<FrozenTrial | null> {
    const token = randomUUID();
    return this.tx.write(
      'claimWaitingTrial',
      async (s) => {
        // SKIP LOCKED: concurrent claimers each take a different WAITING trial instead of queueing on the oldest.
        const row = await s.row<{ trial_id: number }>(
          `SELECT trial_id FROM trials WHERE study_id = $1 AND state = 'WAITING' ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [studyId],
        );
        if (row === undefined) return null;
        const now = new Date();
        await s.run(`UPDATE trials SET state = 'RUNNING', datetime_start = $1, heartbeat_at = $1, host = $2, pid = $3 WHERE trial_id = $4`, [
          now,
          owner.host,
          owner.pid,
          row.trial_id,
        ]);
        await this.mark(s, token, studyId, row.trial_id);
        return this.loadOne(s, row.trial_id);
      },
      (s) => this.replayTrial(s, token),
    );
  }

  async reclaimTrial(trialId: number, owner: Owner, expect: { retries: number }): Promise<FrozenTrial | null> {
    const token = randomUUID();
    return this.tx.write(
      'reclaimTrial',
      async (s) => {
        await this.trialState(s, trialId);
        // Optimistic, as in SQLite: only the first of several reclaimers finds the retries it saw.
        const n = await s.run(
          `UPDATE trials SET retries = retries + 1, heartbeat_at = $1, host = $2, pid = $3
           WHERE trial_id = $4 AND state = 'RUNNING' AND retries = $5`,
          [new Date(), owner.host, owner.pid, trialId, expect.retries],
        );
        if (n === 0) return null;
        await this.mark(s, token, null, trialId);
        return this.loadOne(s, trialId);
      },
      (s) => this.replayTrial(s, token),
    );
  }

  async releaseTrial(trialId: number, lease?: Lease): Promise<void> {
    const token = randomUUID();
    await this.tx.write(
      'releaseTrial',
      async (s) => {
        if (lease !== undefined) await this.requireLease(s, trialId, lease, 'release');
        const { state, number } = await this.trialState(s, trialId, true);
        if (state === 'WAITING') return;
        if (state !== 'RUNNING') throw new TrialStateError(trialId, number, state, 'release');
        await s.run(`UPDATE trials SET state = 'WAITING', datetime_start = NULL, heartbeat_at = NULL, host = NULL, pid = NULL WHERE trial_id = $1`, [trialId]);
        await this.mark(s, token, null, trialId);
      },
      async (s) => ((await this.tokenTrial(s, token)) === undefined ? null : { result: undefined }),
    );
  }

  async setTrialParams(trialId: number, params: Params, distributions: Readonly<Record<string, Distribution>>, lease?: Lease): Promise<void> {
    const internal = internalParams(params, distributions);
    await this.tx.write('setTrialParams', async (s) => {
      await this.requireWritable(s, trialId, lease, 'set params of');
      await this.insertParams(s, trialId, internal);
    });
  }

  async setTrialSeed(trialId: number, seed: number, lease?: Lease): Promise<void> {
    await this.tx.write('setTrialSeed', async (s) => {
      await this.requireWritable(s, trialId, lease, 'set the seed of');
      await s.run('UPDATE trials SET seed = $1 WHERE trial_id = $2', [seed, trialId]);
    });
  }

  async setTrialBackend(trialId: number, backend: string, lease?: Lease): Promise<void> {
    await this.tx.write('setTrialBackend', async (s) => {
      await this.requireWritable(s, trialId, lease, 'set the backend of');
      await s.run('UPDATE trials SET backend = $1 WHERE trial_id = $2', [backend, trialId]);
    });
  }

  async reportIntermediate(trialId: number, step: number, value: number, metrics?: Metrics, lease?: Lease): Promise<void> {
    checkStep(step);
    const metricsJson = metrics === undefined ? null : encodeMetrics(metrics);
    await this.tx.write('reportIntermediate', async (s) => {
      await this.requireWritable(s, trialId, lease, 'report to');
      await s.run(
        `INSERT INTO trial_intermediate_values (trial_id, step, value, metrics_json) VALUES ($1, $2, $3, $4)
         ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value, metrics_json = excluded.metrics_json`,
        [trialId, step, valueToColumn(value), metricsJson],
      );
    });
  }

  async heartbeat(trialId: number, lease?: Lease): Promise<void> {
    await this.tx.write('heartbeat', async (s) => {
      if (lease !== undefined) {
        const held = await s.run(`UPDATE trials SET heartbeat_at = $1 WHERE trial_id = $2 AND ${leaseHeld(3)}`, [new Date(), trialId, ...leaseParams(lease)]);
        if (held === 0) throw await this.leaseLost(s, trialId, 'send a heartbeat for');
        return;
      }
      const n = await s.run(`UPDATE trials SET heartbeat_at = $1 WHERE trial_id = $2 AND state = 'RUNNING'`, [new Date(), trialId]);
      // A heartbeat racing the trial's own finish is normal; only a wrong id is an error.
      if (n === 0) await this.trialState(s, trialId);
    });
  }

  async finishTrial(trialId: number, finish: FinishTrial, lease?: Lease): Promise<FrozenTrial> {
    const given = checkFinish(finish);
    const metricsJson = finish.metrics === undefined ? null : encodeMetrics(finish.metrics);
    const token = randomUUID();
    return this.tx.write(
      'finishTrial',
      async (s) => {
        if (lease !== undefined) await this.requireLease(s, trialId, lease, `finish (as ${finish.state})`);
        const { state, number } = await this.trialState(s, trialId, true);
        if (state !== 'RUNNING') throw new TrialStateError(trialId, number, state, `finish (as ${finish.state})`);
        let value = given;
        if (finish.state === 'PRUNED' && value === null) {
          // Optuna: a pruned trial's value is its last reported intermediate value.
          const last = await s.row<{ value: number | null }>('SELECT value FROM trial_intermediate_values WHERE trial_id = $1 ORDER BY step DESC LIMIT 1', [trialId]);
          if (last !== undefined) value = valueFromColumn(last.value);
        }
        await s.run('UPDATE trials SET state = $1, datetime_complete = $2, fail_reason = $3 WHERE trial_id = $4', [
          finish.state,
          new Date(),
          finish.failReason ?? null,
          trialId,
        ]);
        if (value !== null) {
          await s.run(`INSERT INTO trial_values (trial_id, value) VALUES ($1, $2) ON CONFLICT (trial_id) DO UPDATE SET value = excluded.value`, [
            trialId,
            valueToColumn(value),
          ]);
        }
        if (metricsJson !== null) await this.upsertAttrJson(s, 'trial_user_attributes', trialId, FINAL_METRICS_ATTR, metricsJson);
        await this.mark(s, token, null, trialId);
        return this.loadOne(s, trialId);
      },
      (s) => this.replayTrial(s, token),
    );
  }

  async setUserAttr(trialId: number, key: string, value: unknown, lease?: Lease): Promise<void> {
    await this.tx.write('setUserAttr', async (s) => {
      await this.requireWritable(s, trialId, lease, 'set a user attribute of');
      await this.upsertAttrJson(s, 'trial_user_attributes', trialId, key, encodeAttr(value));
    });
  }

  async setSystemAttr(trialId: number, key: string, value: unknown, lease?: Lease): Promise<void> {
    await this.tx.write('setSystemAttr', async (s) => {
      await this.requireWritable(s, trialId, lease, 'set a system attribute of');
      await this.upsertAttrJson(s, 'trial_system_attributes', trialId, key, encodeAttr(value));
    });
  }

  // ---------------------------------------------------------------- reads

  async getTrial(studyId: number, number: number): Promise<FrozenTrial | null> {
    return this.tx.read('getTrial', async (s) => {
      const row = await s.row<{ trial_id: number }>('SELECT trial_id FROM trials WHERE study_id = $1 AND number = $2', [studyId, number]);
      return row === undefined ? null : this.loadOne(s, row.trial_id);
    });
  }

  async getTrialById(trialId: number): Promise<FrozenTrial | null> {
    return this.tx.read('getTrialById', async (s) => (await this.trialsByIds(s, [trialId]))[0] ?? null);
  }

  async getTrials(studyId: number, states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.tx.read('getTrials', async (s) => {
      const rows =
        states === undefined
          ? await s.arrays<[number]>('SELECT trial_id FROM trials WHERE study_id = $1 ORDER BY number', [studyId])
          : await s.arrays<[number]>('SELECT trial_id FROM trials WHERE study_id = $1 AND state = ANY($2::text[]) ORDER BY number', [studyId, states]);
      const ids = rows.map((r) => r[0]);
      // Only an empty answer pays for telling "no trials" from "no study".
      if (ids.length === 0) await this.studyById(s, studyId);
      return this.trialsByIds(s, ids, { kind: 'study', studyId, states });
    });
  }

  async countTrials(studyId: number, states?: readonly TrialState[]): Promise<number> {
    return this.tx.read('countTrials', async (s) => {
      const row =
        states === undefined
          ? await s.row<{ n: number }>('SELECT COUNT(*)::int AS n FROM trials WHERE study_id = $1', [studyId])
          : await s.row<{ n: number }>('SELECT COUNT(*)::int AS n FROM trials WHERE study_id = $1 AND state = ANY($2::text[])', [studyId, states]);
      return row?.n ?? 0;
    });
  }

  async leaderboard(studyId: number, query: LeaderboardQuery = {}): Promise<LeaderboardRow[]> {
    return this.tx.read('leaderboard', async (s) => {
      const study = await this.studyById(s, studyId);
      const order = study.direction === 'maximize' ? 'DESC' : 'ASC';
      const ranked = await s.arrays<[number]>(
        `SELECT t.trial_id FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id
         WHERE t.study_id = $1 AND t.state = ANY($2::text[])
         ORDER BY ${STATE_RANK_SQL}, v.value IS NULL, v.value ${order}, t.number
         LIMIT $3`,
        [studyId, leaderboardStates(query), query.top ?? null],
      );
      return (await this.trialsByIds(s, ranked.map((r) => r[0]))).map((t, i) => leaderboardRow(t, i + 1, study.direction));
    });
  }

  // ---------------------------------------------------------------- artifacts

  async putTrialArtifact(trialId: number, key: string, bytes: Uint8Array, lease?: Lease): Promise<void> {
    await this.tx.write('putTrialArtifact', async (s) => {
      if (lease !== undefined) await this.requireLease(s, trialId, lease, `store the ${key} of`);
      else await this.trialState(s, trialId);
      await s.run(
        `INSERT INTO trial_artifacts (trial_id, key, bytes, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (trial_id, key) DO UPDATE SET bytes = excluded.bytes, updated_at = excluded.updated_at`,
        [trialId, key, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), new Date()],
      );
    });
  }

  async getTrialArtifact(trialId: number, key: string): Promise<Uint8Array | null> {
    return this.tx.read('getTrialArtifact', async (s) => {
      const row = await s.row<{ bytes: Buffer }>('SELECT bytes FROM trial_artifacts WHERE trial_id = $1 AND key = $2', [trialId, key]);
      return row === undefined ? null : new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
    });
  }

  async deleteTrialArtifact(trialId: number, key: string): Promise<void> {
    await this.tx.write('deleteTrialArtifact', async (s) => {
      await s.run('DELETE FROM trial_artifacts WHERE trial_id = $1 AND key = $2', [trialId, key]);
    });
  }

  async listTrialArtifacts(studyId: number): Promise<TrialArtifact[]> {
    return this.tx.read('listTrialArtifacts', async (s) => {
      await this.studyById(s, studyId);
      const rows = await s.rows<{ trial_id: number; number: number; key: string; size: number; updated_at: Date }>(
        `SELECT a.trial_id, t.number, a.key, length(a.bytes) AS size, a.updated_at
         FROM trial_artifacts a JOIN trials t ON t.trial_id = a.trial_id
         WHERE t.study_id = $1 ORDER BY t.number, a.key`,
        [studyId],
      );
      return rows.map((r) => ({ trialId: r.trial_id, number: r.number, key: r.key, size: r.size, updatedAt: r.updated_at }));
    });
  }

  async importStudy(snapshot: StudySnapshot): Promise<StudyRecord> {
    const trials = snapshotTrialRows(snapshot);
    const { study, attrs } = snapshot;
    const token = randomUUID();
    return this.tx.write(
      'importStudy',
      async (s) => {
        const row = await this.insertStudyRow(s, study, study.createdAt);
        if (row === undefined) throw new StudyExistsError(study.name);
        const studyId = row.study_id;
        await this.mark(s, token, studyId, null);
        for (const [table, values] of [['study_user_attributes', attrs.user], ['study_system_attributes', attrs.system]] as const) {
          for (const [k, v] of Object.entries(values)) await s.run(`INSERT INTO ${table} (study_id, key, value_json) VALUES ($1, $2, $3)`, [studyId, k, encodeAttr(v)]);
        }
        for (const t of trials) {
          const inserted = await s.row<{ trial_id: number }>(
            `INSERT INTO trials (study_id, number, state, seed, datetime_start, datetime_complete, heartbeat_at, host, pid, backend, fail_reason, retries)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING trial_id`,
            [studyId, t.number, t.state, t.seed, t.startedAt, t.completedAt, t.heartbeatAt, t.host, t.pid, t.backend, t.failReason, t.retries],
          );
          const trialId = inserted!.trial_id;
          await this.insertParams(s, trialId, t.params);
          if (t.value !== undefined) await s.run('INSERT INTO trial_values (trial_id, value) VALUES ($1, $2)', [trialId, t.value]);
          for (const iv of t.intermediate) {
            await s.run('INSERT INTO trial_intermediate_values (trial_id, step, value, metrics_json) VALUES ($1, $2, $3, $4)', [trialId, iv.step, iv.value, iv.metricsJson]);
          }
          for (const [k, json] of t.userAttrs) await this.upsertAttrJson(s, 'trial_user_attributes', trialId, k, json);
          for (const [k, json] of t.systemAttrs) await this.upsertAttrJson(s, 'trial_system_attributes', trialId, k, json);
          for (const a of t.artifacts) {
            await s.run('INSERT INTO trial_artifacts (trial_id, key, bytes, updated_at) VALUES ($1, $2, $3, $4)', [trialId, a.key, Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength), a.updatedAt]);
          }
        }
        return studyRecord(row);
      },
      (s) => this.replayStudy(s, token),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ---------------------------------------------------------------- internals

  /** The new study's row; undefined when a study of that name exists (ON CONFLICT: a concurrent creator commits first, this one waits and sees it). */
  private async insertStudyRow(
    s: PgSession,
    study: Pick<NewStudy, 'name' | 'direction' | 'metric' | 'yaml' | 'settings'>,
    createdAt: Date,
  ): Promise<StudyRow | undefined> {
    return s.row<StudyRow>(
      `INSERT INTO studies (study_name, direction, objective_metric, space_yaml, settings_json, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (study_name) DO NOTHING RETURNING *`,
      [study.name, study.direction, study.metric, study.yaml, encodeAttr(study.settings), createdAt],
    );
  }

  private async studyById(s: PgSession, studyId: number): Promise<StudyRecord> {
    const row = await s.row<StudyRow>('SELECT * FROM studies WHERE study_id = $1', [studyId]);
    if (row === undefined) throw new StudyNotFoundError(studyId);
    return studyRecord(row);
  }

  /** The trial's state; `lock` takes its row lock, for a write that depends on that state. */
  private async trialState(s: PgSession, trialId: number, lock = false): Promise<{ state: TrialState; number: number }> {
    const row = await s.row<{ state: TrialState; number: number }>(
      lock ? 'SELECT state, number FROM trials WHERE trial_id = $1 FOR NO KEY UPDATE' : 'SELECT state, number FROM trials WHERE trial_id = $1',
      [trialId],
    );
    if (row === undefined) throw new TrialNotFoundError(trialId);
    return row;
  }

  private async requireUnfinished(s: PgSession, trialId: number, action: string): Promise<void> {
    // FOR SHARE: a finishTrial committing meanwhile cannot slip in between the check and the write.
    const row = await s.row<{ state: TrialState; number: number }>('SELECT state, number FROM trials WHERE trial_id = $1 FOR SHARE', [trialId]);
    if (row === undefined) throw new TrialNotFoundError(trialId);
    if (isFinished(row.state)) throw new TrialStateError(trialId, row.number, row.state, action);
  }

  /** A write to a trial: owner-guarded with a lease, else only refused once the trial is finished. */
  private async requireWritable(s: PgSession, trialId: number, lease: Lease | undefined, action: string): Promise<void> {
    if (lease === undefined) await this.requireUnfinished(s, trialId, action);
    else await this.requireLease(s, trialId, lease, action);
  }

  /**
   * Throws LeaseLostError unless the trial is RUNNING under `lease`. The row lock (as in
   * trialState) makes a concurrent reclaimTrial wait until this write has committed, so a
   * takeover never lands between the check and the write.
   */
  private async requireLease(s: PgSession, trialId: number, lease: Lease, action: string): Promise<void> {
    const held = await s.row(`SELECT 1 FROM trials WHERE trial_id = $1 AND ${leaseHeld(2)} FOR NO KEY UPDATE`, [trialId, ...leaseParams(lease)]);
    if (held === undefined) throw await this.leaseLost(s, trialId, action);
  }

  private async leaseLost(s: PgSession, trialId: number, action: string): Promise<LeaseLostError> {
    const row = await s.row<{ state: TrialState; number: number; host: string | null; pid: number | null; retries: number }>(
      'SELECT state, number, host, pid, retries FROM trials WHERE trial_id = $1',
      [trialId],
    );
    if (row === undefined) throw new TrialNotFoundError(trialId);
    return new LeaseLostError(trialId, row.number, row.state, action, { host: row.host, pid: row.pid, retries: row.retries });
  }

  /** Marks a non-idempotent write as committed (see the class comment). */
  private async mark(s: PgSession, token: string, studyId: number | null, trialId: number | null): Promise<void> {
    await s.run('INSERT INTO write_tokens (token, study_id, trial_id) VALUES ($1, $2, $3)', [token, studyId, trialId]);
  }

  private async tokenTrial(s: PgSession, token: string): Promise<number | undefined> {
    return (await s.row<{ trial_id: number }>('SELECT trial_id FROM write_tokens WHERE token = $1', [token]))?.trial_id;
  }

  /** The replay of a write that creates a study: that study, when the token shows it committed. */
  private async replayStudy(s: PgSession, token: string): Promise<{ readonly result: StudyRecord } | null> {
    const done = await s.row<{ study_id: number }>('SELECT study_id FROM write_tokens WHERE token = $1', [token]);
    return done === undefined ? null : { result: await this.studyById(s, done.study_id) };
  }

  /** The replay of a write that returns its trial: that trial, loaded again, when the token shows it committed. */
  private async replayTrial(s: PgSession, token: string): Promise<{ readonly result: FrozenTrial } | null> {
    const trialId = await this.tokenTrial(s, token);
    return trialId === undefined ? null : { result: await this.loadOne(s, trialId) };
  }

  private async insertParams(s: PgSession, trialId: number, params: readonly InternalParam[]): Promise<void> {
    for (const p of params) {
      await s.run(
        `INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES ($1, $2, $3, $4)
         ON CONFLICT (trial_id, param_name) DO UPDATE SET param_value = excluded.param_value, distribution_json = excluded.distribution_json`,
        [trialId, p.name, p.internal, p.distribution],
      );
    }
  }

  private async upsertAttrJson(
    s: PgSession,
    table: 'trial_user_attributes' | 'trial_system_attributes',
    trialId: number,
    key: string,
    json: string,
  ): Promise<void> {
    await s.run(`INSERT INTO ${table} (trial_id, key, value_json) VALUES ($1, $2, $3) ON CONFLICT (trial_id, key) DO UPDATE SET value_json = excluded.value_json`, [
      trialId,
      key,
      json,
    ]);
  }

  private async setStudyAttr(table: 'study_user_attributes' | 'study_system_attributes', studyId: number, key: string, value: unknown): Promise<void> {
    await this.tx.write('setting a study attribute', async (s) => {
      await this.studyById(s, studyId);
      await s.run(`INSERT INTO ${table} (study_id, key, value_json) VALUES ($1, $2, $3) ON CONFLICT (study_id, key) DO UPDATE SET value_json = excluded.value_json`, [
        studyId,
        key,
        encodeAttr(value),
      ]);
    });
  }

  /** Inserts a trial with the next number; the caller holds the study row lock. */
  private async insertTrial(s: PgSession, studyId: number, trial: NewTrial, params: readonly InternalParam[]): Promise<FrozenTrial> {
    const row = newTrialColumns(trial, this.owner);
    const inserted = await s.row<{ trial_id: number }>(
      `INSERT INTO trials (study_id, number, state, seed, datetime_start, heartbeat_at, host, pid)
       VALUES ($1, (SELECT COALESCE(MAX(number), -1) + 1 FROM trials WHERE study_id = $1), $2, $3, $4, $5, $6, $7)
       RETURNING trial_id`,
      [studyId, row.state, row.seed, row.startedAt, row.heartbeatAt, row.host, row.pid],
    );
    const trialId = inserted!.trial_id;
    await this.insertParams(s, trialId, params);
    for (const [k, v] of Object.entries(trial.userAttrs ?? {})) await this.upsertAttrJson(s, 'trial_user_attributes', trialId, k, encodeAttr(v));
    for (const [k, v] of Object.entries(trial.systemAttrs ?? {})) await this.upsertAttrJson(s, 'trial_system_attributes', trialId, k, encodeAttr(v));
    return this.loadOne(s, trialId);
  }

  private async loadOne(s: PgSession, trialId: number): Promise<FrozenTrial> {
    const t = (await this.trialsByIds(s, [trialId]))[0];
    if (t === undefined) throw new TrialNotFoundError(trialId);
    return t;
  }

  /** As SqliteStorage's: finished trials from the cache, the rest loaded in bulk (`whole` when it covers exactly the ids missing). */
  private async trialsByIds(s: PgSession, ids: readonly number[], whole?: TrialScope): Promise<FrozenTrial[]> {
    const missing = this.finished.missing(ids);
    const loaded =
      missing.length === 0
        ? []
        : await loadTrialsPg(s, this.distributions, whole !== undefined && missing.length === ids.length ? whole : { kind: 'ids', ids: missing });
    return this.finished.assemble(ids, loaded, s.stage);
  }
}
