import type { Database as Db } from 'better-sqlite3';
import { databaseFileError } from './errors.js';
import { type RetryPolicy, withBusyRetry } from './retry.js';

/** Wraps one attempt of a write transaction (`commit` runs it, and returns once it committed). */
export type CommitObserver = <T>(commit: () => T) => T;

/**
 * The transactions of one connection. Concurrency model (docs/storage.md): WAL journal, so
 * readers never block the writer and the writer never blocks readers; every write is one
 * BEGIN IMMEDIATE transaction, which takes the write lock up front (a deferred transaction
 * that reads first and then writes can fail with SQLITE_BUSY_SNAPSHOT that no waiting
 * fixes); SQLITE_BUSY is waited on by SQLite (busy_timeout) and then retried with backoff
 * (retry.ts). Multi-query reads run in one read transaction so they see one snapshot.
 *
 * A call made inside a transaction joins it (better-sqlite3 transactions do not nest).
 */
export class SqliteTransactions {
  constructor(
    private readonly db: Db,
    /** The database file, named by DatabaseFileError. */
    private readonly path: string,
    private readonly retry: RetryPolicy,
    /** Sees every write attempt, e.g. to keep what it loaded only if it commits. */
    private readonly observeCommit: CommitObserver = (commit) => commit(),
  ) {}

  /**
   * One BEGIN IMMEDIATE transaction, retried as a whole on SQLITE_BUSY. A full disk or an
   * I/O error rolls it back and surfaces as DatabaseFileError naming the file.
   */
  write<T>(what: string, fn: () => T): T {
    if (this.db.inTransaction) return fn();
    const tx = this.db.transaction(fn);
    return this.retried(what, () => this.observeCommit(() => tx.immediate()));
  }

  /** A read transaction: several queries, one snapshot of the database. */
  read<T>(what: string, fn: () => T): T {
    if (this.db.inTransaction) return fn();
    const tx = this.db.transaction(fn);
    return this.retried(what, () => tx.deferred());
  }

  private retried<T>(what: string, attempt: () => T): T {
    try {
      return withBusyRetry(this.retry, what, attempt);
    } catch (err) {
      throw databaseFileError(err, this.path) ?? err;
    }
  }
}
