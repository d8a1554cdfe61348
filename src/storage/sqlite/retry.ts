import { StorageBusyError } from '../errors.js';

/**
 * Retrying SQLite operations that fail with SQLITE_BUSY.
 *
 * `busy_timeout` already makes SQLite wait for most locks, but there are cases where SQLite
 * returns SQLITE_BUSY at once without calling the busy handler (WAL recovery after a crashed
 * writer, a read snapshot that can no longer be upgraded, switching the journal mode while
 * another connection opens the file). So every transaction also runs in this bounded loop.
 */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  /** Delay before the second attempt; doubles each time up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 12, baseDelayMs: 5, maxDelayMs: 1000 };

/** better-sqlite3 puts the extended SQLite result code on `code` (SQLITE_BUSY_RECOVERY, ...). */
export function isBusy(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

// One shared cell to wait on: nobody ever notifies it, so Atomics.wait simply times out.
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks the thread for `ms` without burning CPU. better-sqlite3 is synchronous, so the
 * retry cannot await a timer; Atomics.wait is a real sleep (allowed on Node's main thread).
 */
export function sleepSync(ms: number): void {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  // Never less than 1 ms: a zero sleep would just hammer the lock again.
  return Math.max(1, Math.round(random() * cap));
}

/** Runs `fn`, retrying on SQLITE_BUSY with backoff; other errors pass through untouched. */
export function withBusyRetry<T>(policy: RetryPolicy, what: string, fn: () => T): T {
  let lastErr: unknown;
  for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
    try {
      return fn();
    } catch (err) {
      if (!isBusy(err)) throw err;
      lastErr = err;
      if (attempt + 1 < policy.maxAttempts) sleepSync(backoffMs(policy, attempt));
    }
  }
  throw new StorageBusyError(
    `${what}: the database stayed locked by other writers after ${policy.maxAttempts} attempts`,
    { cause: lastErr },
  );
}
