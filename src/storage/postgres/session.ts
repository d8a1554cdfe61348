import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CacheStage } from '../finished-trial-cache.js';

/**
 * One transaction's connection, with the few query shapes the storage uses. Every query
 * is a named prepared statement (by a hash of its text): prepared once per connection and
 * reused, as better-sqlite3's statement cache does for SQLite. SQL texts are constants,
 * or built from a bounded set of parts, so each connection prepares few.
 */
export class PgSession {
  constructor(
    private readonly client: pg.PoolClient,
    /** Where finished trials loaded by this transaction wait for its commit; null in a read. */
    readonly stage: CacheStage | null,
  ) {}

  /** Rows as objects keyed by column name. */
  async rows<R>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    const res = await this.client.query({ name: statementName(text), text, values: [...values] });
    return res.rows as R[];
  }

  /** The first row, or undefined. */
  async row<R>(text: string, values: readonly unknown[] = []): Promise<R | undefined> {
    return (await this.rows<R>(text, values))[0];
  }

  /** Rows as arrays: fewer allocations on big loads. */
  async arrays<R extends unknown[]>(text: string, values: readonly unknown[] = []): Promise<R[]> {
    const res = await this.client.query({ name: statementName(text), text, values: [...values], rowMode: 'array' });
    return res.rows as R[];
  }

  /** Runs a write; returns the number of rows it touched. */
  async run(text: string, values: readonly unknown[] = []): Promise<number> {
    const res = await this.client.query({ name: statementName(text), text, values: [...values] });
    return res.rowCount ?? 0;
  }
}

const names = new Map<string, string>();

function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `h${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}
