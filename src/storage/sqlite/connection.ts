import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { databaseFileError } from './errors.js';
import { migrate } from './migrations.js';
import { type RetryPolicy, withBusyRetry } from './retry.js';

export interface ConnectionOptions {
  /**
   * 'NORMAL' (default): in WAL mode a commit survives the process being killed and the
   * database can never be corrupted; only a power cut or OS crash may lose the last few
   * commits, which resume repairs (the trial looks RUNNING with a stale heartbeat and is
   * retried). 'FULL' also survives that, at the price of an fsync per commit.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** How long SQLite itself waits on a lock before reporting SQLITE_BUSY (default 5000 ms). */
  readonly busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the database at `path`, or an in-memory one for ':memory:',
 * set up for the concurrency model of SqliteStorage (storage.ts) and migrated to the
 * latest schema. A file that is not a database, or a full disk, is a DatabaseFileError.
 */
export function openDatabase(path: string, options: ConnectionOptions, retry: RetryPolicy): Db {
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    // Switching to WAL writes the file header, so it can meet another process doing the same.
    withBusyRetry(retry, `opening ${path}`, () => db.pragma('journal_mode = WAL'));
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Up to 64 MiB of page cache (the default is 2 MiB): a cold load of a 10,000-trial
    // study reads ~40 MiB, and pages come from the OS cache again on every miss.
    db.pragma('cache_size = -65536');
    migrate(db, undefined, retry);
  } catch (err) {
    db.close();
    throw databaseFileError(err, path) ?? err;
  }
  return db;
}
