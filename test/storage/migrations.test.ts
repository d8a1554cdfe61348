import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  MIGRATIONS,
  SCHEMA_VERSION,
  SchemaVersionError,
  SqliteStorage,
  migrate,
  schemaVersion,
  type Migration,
} from '../../src/storage/index.js';
import { newStudy, openStorage, tempDb } from './helpers.js';

const TABLES = [
  'schema_version',
  'studies',
  'study_system_attributes',
  'study_user_attributes',
        'trial_artifacts',
  'trial_intermediate_values',
  'trial_params',
  'trial_system_attributes',
  'trial_user_attributes',
  'trial_values',
  'trials',
];

function tables(db: Database.Database): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
    .pluck()
    .all() as string[];
}

describe('schema and migrations', () => {
  it('gives a fresh database the latest version and every table', async () => {
    const path = tempDb();
    await openStorage(path).close();
    const db = new Database(path);
    try {
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
      assert.deepEqual(tables(db), TABLES);
      const applied = db.prepare('SELECT version, name FROM schema_version ORDER BY version').all();
      assert.deepEqual(
        applied,
        MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
      );
    } finally {
      db.close();
    }
  });

  it('is idempotent on reopening and keeps the data', async () => {
    const path = tempDb();
    const first = SqliteStorage.open(path);
    await newStudy(first, 'kept');
    await first.close();
    const second = SqliteStorage.open(path);
    assert.equal((await second.getStudy('kept'))?.name, 'kept');
    await second.close();
    const db = new Database(path);
    try {
      assert.equal(db.prepare('SELECT COUNT(*) FROM schema_version').pluck().get(), MIGRATIONS.length);
      assert.deepEqual(migrate(db), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    } finally {
      db.close();
    }
  });

  it('applies only the migrations a database lacks, in order', () => {
    const db = new Database(tempDb());
    try {
      assert.deepEqual(migrate(db), { from: 0, to: SCHEMA_VERSION });
      const next: Migration = {
        version: SCHEMA_VERSION + 1,
        name: 'test: trial tags',
        sql: 'CREATE TABLE trial_tags (trial_id INTEGER NOT NULL REFERENCES trials (trial_id), tag TEXT NOT NULL)',
      };
      assert.deepEqual(migrate(db, [...MIGRATIONS, next]), { from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
      assert.ok(tables(db).includes('trial_tags'));
      assert.deepEqual(migrate(db, [...MIGRATIONS, next]), { from: SCHEMA_VERSION + 1, to: SCHEMA_VERSION + 1 });
    } finally {
      db.close();
    }
  });

  it('rolls a failing migration back whole', () => {
    const db = new Database(tempDb());
    try {
      migrate(db);
      const broken: Migration = {
        version: SCHEMA_VERSION + 1,
        name: 'test: broken',
        sql: 'CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);',
      };
      assert.throws(() => migrate(db, [...MIGRATIONS, broken]), /no such table/);
      assert.equal(schemaVersion(db), SCHEMA_VERSION);
      assert.ok(!tables(db).includes('half_done'));
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer version', () => {
    const path = tempDb();
    const db = new Database(path);
    migrate(db);
    db.prepare(`INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', '')`).run(SCHEMA_VERSION + 1);
    db.close();
    assert.throws(() => SqliteStorage.open(path), SchemaVersionError);
  });

  it('rejects a migration list with a gap', () => {
    const db = new Database(':memory:');
    try {
      const gap: Migration = { version: SCHEMA_VERSION + 2, name: 'gap', sql: 'SELECT 1' };
      assert.throws(() => migrate(db, [...MIGRATIONS, gap]), /out of order/);
    } finally {
      db.close();
    }
  });

  it('sets WAL, synchronous, foreign keys and a busy timeout', async () => {
    const path = tempDb();
    await openStorage(path).close();
    // The journal mode is persistent: a plain connection sees it.
    const db = new Database(path);
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
    // The per-connection pragmas, read through the storage's own connection.
    const storage = openStorage(path, { synchronous: 'FULL', busyTimeoutMs: 1234 });
    const conn = (storage as unknown as { db: Database.Database }).db;
    assert.equal(conn.pragma('synchronous', { simple: true }), 2);
    assert.equal(conn.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(conn.pragma('busy_timeout', { simple: true }), 1234);
    const normal = openStorage(path);
    assert.equal((normal as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true }), 1);
  });

  it('enforces the state CHECK and unique trial numbers in SQL', async () => {
    const path = tempDb();
    const storage = openStorage(path);
    const study = await newStudy(storage);
    await storage.createTrial(study.id, { state: 'RUNNING' });
    const db = new Database(path);
    try {
      assert.throws(
        () => db.prepare(`INSERT INTO trials (study_id, number, state) VALUES (?, 1, 'DONE')`).run(study.id),
        /CHECK constraint/,
      );
      assert.throws(
        () => db.prepare(`INSERT INTO trials (study_id, number, state) VALUES (?, 0, 'RUNNING')`).run(study.id),
        /UNIQUE constraint/,
      );
    } finally {
      db.close();
    }
  });
});
