import type { Lease } from './types.js';

/** The lease of a trial as a claim, creation or reclaim returned it; null if it has no owner. */
export function leaseOf(trial: { readonly host: string | null; readonly pid: number | null; readonly retries: number }): Lease | null {
  return trial.host === null || trial.pid === null ? null : { owner: { host: trial.host, pid: trial.pid }, retries: trial.retries };
}
