import pg from 'pg';
import { StorageAccessError, StorageUnavailableError } from '../errors.js';
import { maskPassword } from '../url.js';

/** How a PostgresStorage connects and how long it rides out a server outage. */
export interface ConnectionOptions {
  /** Connections of the pool (default 4: a run's heartbeats, epoch reports and asks). */
  readonly poolSize?: number;
  /**
   * How long a storage call waits for an unreachable or restarting server, reconnecting,
   * before it fails with StorageUnavailableError (default 60 s, or `HPSEARCH_STORAGE_OUTAGE_S`).
   */
  readonly outageLimitMs?: number;
  /** A connection attempt or a query that hears nothing for this long counts as a lost connection (default 30 s). */
  readonly timeoutMs?: number;
}

export const DEFAULT_OUTAGE_LIMIT_MS = 60_000;

/** The outage limit: the option, else `HPSEARCH_STORAGE_OUTAGE_S`, else 60 s. */
export function outageLimitMs(options: ConnectionOptions, env: string | undefined = process.env.HPSEARCH_STORAGE_OUTAGE_S): number {
  if (options.outageLimitMs !== undefined) return options.outageLimitMs;
  const s = Number(env);
  return env !== undefined && env !== '' && Number.isFinite(s) && s >= 0 ? s * 1000 : DEFAULT_OUTAGE_LIMIT_MS;
}

const INT8_OID = 20;

/**
 * A pool on `url`. BIGINT (seeds) is read as a JS number, not pg's default string: seeds
 * and counts stay below 2^53. Errors of idle connections (the server restarting) are
 * expected: the next checkout reconnects, so they are swallowed here instead of crashing
 * the process.
 */
export function createPool(url: string, options: ConnectionOptions): pg.Pool {
  const timeout = options.timeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 4,
    connectionTimeoutMillis: timeout,
    query_timeout: timeout,
    keepAlive: true,
    idleTimeoutMillis: 10_000,
    application_name: 'hpsearch',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {});
  return pool;
}

/** The SQLSTATE of a server error, or the errno code of a socket error. */
function codeOf(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * An error after which the same call may succeed on a new connection: the socket failed,
 * the server is shutting down, starting up or in recovery (57P01..57P03, class 08), or
 * nothing was heard for `timeoutMs`. Whether a COMMIT in flight was applied is unknown.
 */
export function isConnectionLoss(err: unknown): boolean {
  const code = codeOf(err);
  if (code !== undefined && (SOCKET_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|Query read timeout|Client has encountered a connection error|Connection ended/i.test(message);
}

/** Serialization failure or deadlock: the transaction was rolled back whole and may simply run again. */
export function isConflict(err: unknown): boolean {
  const code = codeOf(err);
  return code === '40001' || code === '40P01';
}

/**
 * The error a failed connection attempt stands for: wrong credentials or a missing
 * database are the user's input (StorageAccessError, exit 2); a server out of reach is
 * StorageUnavailableError (exit 1); both name the URL with its password masked.
 */
export function connectError(err: unknown, url: string): Error {
  const shown = maskPassword(url);
  const code = codeOf(err);
  const why = err instanceof Error ? err.message : String(err);
  // 28P01 wrong password, 28000 no such role / no pg_hba entry, 3D000 no such database.
  if (code === '28P01' || code === '28000' || code === '3D000') return new StorageAccessError(`${shown}: ${why}`, { cause: err });
  if (isConnectionLoss(err)) return new StorageUnavailableError(`cannot reach the PostgreSQL server of ${shown}: ${why}`, { cause: err });
  return err instanceof Error ? err : new Error(why);
}
