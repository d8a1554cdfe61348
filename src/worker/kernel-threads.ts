/**
 * The study's cores shared out among the trials it is running, as threads inside their native
 * kernels (native/src/parallel.h): while fewer trials run than there are cores (the tail of a
 * study, `workers` below the core count, a single `hpsearch rerun`), the running ones use the
 * idle cores. With `cores` cores and `r` trials running, each trial gets ⌊cores / r⌋ threads
 * and the `cores mod r` trials that started first one more (at least 1 each); the shares are
 * recomputed whenever a trial starts or ends and sent to every running trial's worker
 * (protocol.ts, `threads`). The kernels give the same bits with any share, so re-balancing
 * never changes a result.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../core/errors.js';

/**
 * The cores a study's kernels may use on this machine: `HPSEARCH_THREADS` when set (a positive
 * whole number; e.g. 1 restores one thread per trial), else every core the OS offers.
 */
export function kernelCores(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['HPSEARCH_THREADS'];
  if (raw === undefined || raw.trim() === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`HPSEARCH_THREADS: expected a positive whole number of threads, got '${raw}'`);
  return n;
}

/** Each running trial's share of `cores`, in start order. */
export function threadShares(cores: number, running: number): number[] {
  const base = Math.floor(cores / running);
  const extra = cores % running;
  return Array.from({ length: running }, (_, i) => Math.max(1, base + (i < extra ? 1 : 0)));
}

/** The trials running now, each with the function that tells its worker its share. */
export class KernelThreadBudget {
  readonly #cores: number;
  readonly #running: { readonly tell: (threads: number) => void; told: number }[] = [];

  constructor(cores: number) {
    this.#cores = Math.max(1, Math.floor(cores));
  }

  /** A trial starts: every running trial whose share changes (this one included) is told it. Returns its `leave`. */
  join(tell: (threads: number) => void): () => void {
    const entry = { tell, told: 0 };
    this.#running.push(entry);
    this.#rebalance();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#running.splice(this.#running.indexOf(entry), 1);
      this.#rebalance();
    };
  }

  #rebalance(): void {
    const shares = threadShares(this.#cores, this.#running.length);
    this.#running.forEach((entry, i) => {
      const share = shares[i]!;
      if (share === entry.told) return;
      entry.told = share;
      entry.tell(share);
    });
  }
}
