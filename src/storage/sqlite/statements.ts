import type { Database as Db, Statement } from 'better-sqlite3';

/**
 * Prepared statements of one connection, by SQL text: every query is prepared once and
 * reused (SQL texts are constants, or built from a bounded set of parts, so the cache
 * stays small).
 */
export class StatementCache {
  private readonly objects = new Map<string, Statement<unknown[], unknown>>();
  private readonly arrays = new Map<string, Statement<unknown[], unknown>>();

  constructor(private readonly db: Db) {}

  /** A statement returning rows as objects keyed by column name. */
  get(sql: string): Statement<unknown[], unknown> {
    return this.prepared(this.objects, sql, false);
  }

  /** A statement returning rows as arrays (better-sqlite3 raw mode): fewer allocations on big loads. */
  raw(sql: string): Statement<unknown[], unknown> {
    return this.prepared(this.arrays, sql, true);
  }

  private prepared(cache: Map<string, Statement<unknown[], unknown>>, sql: string, raw: boolean): Statement<unknown[], unknown> {
    let s = cache.get(sql);
    if (s === undefined) {
      s = raw ? this.db.prepare(sql).raw(true) : this.db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  }
}
