import type { Database } from 'better-sqlite3';
import { SchemaVersionError } from '../errors.js';
import { DEFAULT_RETRY, type RetryPolicy, withBusyRetry } from './retry.js';

/**
 * The database schema, as an ordered list of migrations. The schema of a database is the
 * result of applying migrations 1..N in order; `schema_version` records each one applied.
 *
 * Policy (see docs/storage.md): a released migration is never edited; a schema change is a
 * new migration appended with the next version. Each migration runs in the same
 * BEGIN IMMEDIATE transaction as its `schema_version` row, so a crash leaves the database
 * at the previous version, and two processes opening a fresh file cannot both apply it.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One or more SQL statements. */
  readonly sql: string;
}

// Modelled on Optuna's RDB schema (optuna/storages/_rdb/models.py), single objective.
// Times are ISO-8601 UTC text ('2024-05-01T12:00:00.000Z'): readable in the sqlite3 CLI and
// usable with julianday(). A NULL objective / intermediate value stands for NaN, which
// SQLite cannot store as a REAL (it turns NaN into NULL itself); +-Infinity are stored as is.
const V1_INITIAL = `
CREATE TABLE studies (
  study_id         INTEGER PRIMARY KEY,
  study_name       TEXT    NOT NULL UNIQUE,
  direction        TEXT    NOT NULL CHECK (direction IN ('minimize', 'maximize')),
  objective_metric TEXT    NOT NULL,
  space_yaml       TEXT,
  settings_json    TEXT    NOT NULL,
  created_at       TEXT    NOT NULL
);

CREATE TABLE study_user_attributes (
  study_id   INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  value_json TEXT    NOT NULL,
  PRIMARY KEY (study_id, key)
);

CREATE TABLE study_system_attributes (
  study_id   INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  value_json TEXT    NOT NULL,
  PRIMARY KEY (study_id, key)
);

CREATE TABLE trials (
  trial_id          INTEGER PRIMARY KEY,
  study_id          INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
  number            INTEGER NOT NULL CHECK (number >= 0),
  state             TEXT    NOT NULL CHECK (state IN ('RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING')),
  seed              INTEGER,
  datetime_start    TEXT,
  datetime_complete TEXT,
  heartbeat_at      TEXT,
  host              TEXT,
  pid               INTEGER,
  backend           TEXT,
  fail_reason       TEXT,
  retries           INTEGER NOT NULL DEFAULT 0 CHECK (retries >= 0),
  UNIQUE (study_id, number)
);
-- Leaderboard, counts by state, claiming the oldest WAITING trial.
CREATE INDEX trials_study_state_number ON trials (study_id, state, number);

CREATE TABLE trial_params (
  trial_id          INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
  param_name        TEXT    NOT NULL,
  param_value       REAL    NOT NULL,
  distribution_json TEXT    NOT NULL,
  PRIMARY KEY (trial_id, param_name)
);

CREATE TABLE trial_values (
  trial_id INTEGER PRIMARY KEY REFERENCES trials (trial_id) ON DELETE CASCADE,
  value    REAL
);

CREATE TABLE trial_intermediate_values (
  trial_id     INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
  step         INTEGER NOT NULL CHECK (step >= 0),
  value        REAL,
  metrics_json TEXT,
  PRIMARY KEY (trial_id, step)
);

CREATE TABLE trial_user_attributes (
  trial_id   INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  value_json TEXT    NOT NULL,
  PRIMARY KEY (trial_id, key)
);

CREATE TABLE trial_system_attributes (
  trial_id   INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  value_json TEXT    NOT NULL,
  PRIMARY KEY (trial_id, key)
);
`;

// Checkpoints and kept models in the database (storage/types.ts, "Artifacts"), so a trial
// can continue or be exported on another machine.
const V2_ARTIFACTS = `
CREATE TABLE trial_artifacts (
  trial_id   INTEGER NOT NULL REFERENCES trials (trial_id) ON DELETE CASCADE,
  key        TEXT    NOT NULL,
  bytes      BLOB    NOT NULL,
  updated_at TEXT    NOT NULL,
  PRIMARY KEY (trial_id, key)
);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', sql: V1_INITIAL },
  { version: 2, name: 'trial artifacts', sql: V2_ARTIFACTS },
];

/** The version a database has after `migrate()` with the built-in list. */
export const SCHEMA_VERSION: number = latestVersion(MIGRATIONS);

function latestVersion(list: readonly Migration[]): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order: entry ${i} has version ${m.version}`);
  });
  return list.length;
}

const CREATE_VERSION_TABLE = `
CREATE TABLE IF NOT EXISTS schema_version (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/** The schema version of an open database: 0 for a file hpsearch never initialised. */
export function schemaVersion(db: Database): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings `db` to the latest version of `list` (the built-in migrations unless a test gives
 * its own). Idempotent; safe when several processes open one file at once.
 */
export function migrate(
  db: Database,
  list: readonly Migration[] = MIGRATIONS,
  retry: RetryPolicy = DEFAULT_RETRY,
): MigrationResult {
  const latest = latestVersion(list);
  // Fast path without the write lock: an up-to-date database is the common case, and
  // taking BEGIN IMMEDIATE on every open would make concurrent openers queue up.
  const seen = withBusyRetry(retry, 'reading the schema version', () => schemaVersion(db));
  checkNotNewer(seen, latest);
  if (seen === latest) return { from: seen, to: seen };

  const apply = db.transaction((): MigrationResult => {
    db.exec(CREATE_VERSION_TABLE);
    // Re-read under the write lock: another process may have migrated meanwhile.
    const from = schemaVersion(db);
    checkNotNewer(from, latest);
    const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of list) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    }
    return { from, to: latest };
  });
  return withBusyRetry(retry, 'migrating the schema', () => apply.immediate());
}

function checkNotNewer(version: number, latest: number): void {
  if (version > latest) {
    throw new SchemaVersionError(
      `database schema version ${version} is newer than this hpsearch supports (${latest}); upgrade hpsearch`,
    );
  }
}
