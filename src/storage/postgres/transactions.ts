import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { StorageBusyError, StorageUnavailableError } from '../errors.js';
import type { FinishedTrialCache } from '../finished-trial-cache.js';
import { isConflict, isConnectionLoss } from './connection.js';
import { PgSession } from './session.js';

/** Retries of a transaction that lost a serialization race or a deadlock. */
const MAX_CONFLICT_ATTEMPTS = 20;

/**
 * What a write does when the connection was lost during an earlier attempt of it, before
 * running again: that attempt may have committed with its acknowledgement lost. It looks
 * for the write's own mark (storage.ts, `write_tokens`) and gives the result of the
 * committed attempt, or null when that attempt did not commit and the write runs again.
 */
export type Replay<T> = (session: PgSession) => Promise<{ readonly result: T } | null>;

/**
 * The transactions of a PostgresStorage on its pool. Concurrency model (docs/storage.md):
 * a write is one READ COMMITTED transaction that takes the row locks it needs (the study
 * row to number a trial, the trial row to change it, SKIP LOCKED to claim a WAITING one);
 * a read of several queries is one REPEATABLE READ READ ONLY transaction, so it sees one
 * snapshot. A deadlock or serialization failure rolls the transaction back, which then
 * runs again. A lost connection (server restarting, network cut) is waited out, with a new
 * connection for every attempt, up to the outage limit; then StorageUnavailableError.
 */
export class PgTransactions {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: FinishedTrialCache,
    /** The storage URL with its password masked, for messages. */
    private readonly label: string,
    private readonly outageLimitMs: number,
  ) {}

  write<T>(what: string, body: (s: PgSession) => Promise<T>, replay?: Replay<T>): Promise<T> {
    return this.run(what, 'BEGIN', body, replay);
  }

  read<T>(what: string, body: (s: PgSession) => Promise<T>): Promise<T> {
    return this.run(what, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', body);
  }

  private async run<T>(what: string, begin: string, body: (s: PgSession) => Promise<T>, replay?: Replay<T>): Promise<T> {
    const writing = begin === 'BEGIN';
    let outageStart: number | null = null;
    let conflicts = 0;
    let lost = false;
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient | null = null;
      try {
        client = await this.pool.connect();
        // A connection that dies between two queries of ours emits 'error' on the client;
        // unheard, that would crash the process. The failing query reports it anyway.
        client.on('error', ignore);
        const session = new PgSession(client, writing ? new Map() : null);
        if (lost && replay !== undefined) {
          const done = await replay(session);
          if (done !== null) {
            release(client);
            return done.result;
          }
        }
        await client.query(begin);
        let result: T;
        try {
          result = await body(session);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(ignore);
          throw err;
        }
        if (session.stage !== null) this.cache.publish(session.stage);
        release(client);
        return result;
      } catch (err) {
        const connectionLost = isConnectionLoss(err);
        if (client !== null) release(client, connectionLost ? err : undefined);
        if (connectionLost) {
          lost = true;
          outageStart ??= Date.now();
          const waited = Date.now() - outageStart;
          if (waited >= this.outageLimitMs) {
            const why = err instanceof Error ? err.message : String(err);
            throw new StorageUnavailableError(
              `${what}: the PostgreSQL server of ${this.label} stayed out of reach for ${Math.round(waited / 1000)} s (limit ${Math.round(this.outageLimitMs / 1000)} s): ${why}`,
              { cause: err },
            );
          }
          await sleep(Math.min(2000, 50 * 2 ** Math.min(attempt, 6), Math.max(1, this.outageLimitMs - waited)));
          continue;
        }
        if (isConflict(err) && ++conflicts < MAX_CONFLICT_ATTEMPTS) {
          // Full jitter, so the transactions that collided do not collide again.
          await sleep(Math.random() * Math.min(500, 5 * 2 ** conflicts));
          continue;
        }
        if (isConflict(err)) throw new StorageBusyError(`${what}: still conflicting with other writers after ${conflicts} attempts`, { cause: err });
        throw err;
      }
    }
  }
}

function ignore(): void {}

/** Back to the pool, or destroyed when it failed: the pool then opens a new connection. */
function release(client: pg.PoolClient, err?: unknown): void {
  client.removeListener('error', ignore);
  client.release(err instanceof Error ? err : err === undefined ? undefined : true);
}
