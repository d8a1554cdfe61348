import { isFinished, type FrozenTrial } from '../core/trial.js';

/**
 * Finished trials by id, kept by a storage between calls (the role of Optuna's
 * `_CachedStorage`). A finished trial never changes again (the Storage contract in
 * types.ts refuses every write to it), so a copy stays valid whatever other processes do:
 * getTrials, called on every ask(), then loads only the trials it has not seen finished.
 *
 * Backend-neutral: the backend passes in how to load the trials that are not cached, and
 * runs each write transaction through `transaction`, so that trials seen finished inside a
 * transaction join the cache only once it commits (a rolled-back finishTrial must not leave
 * a finished copy behind).
 */
export class FinishedTrialCache {
  private readonly committed = new Map<number, FrozenTrial>();
  /** Finished trials seen inside the current write transaction; null outside one. */
  private staged: Map<number, FrozenTrial> | null = null;

  /**
   * The trials with these ids, in the order given (ids that `load` does not return are
   * skipped): cached ones as cached, the rest from `load`, which gets the missing ids and
   * whether they are all of `ids` (then a backend may use a cheaper query covering them
   * all, such as a whole-study filter). Called inside the backend's transaction, so what
   * `load` returns is one snapshot.
   */
  trials(
    ids: readonly number[],
    load: (missing: readonly number[], all: boolean) => readonly FrozenTrial[],
  ): FrozenTrial[] {
    const missing = ids.filter((id) => !this.committed.has(id));
    const loaded = new Map<number, FrozenTrial>();
    if (missing.length > 0) {
      for (const t of load(missing, missing.length === ids.length)) {
        loaded.set(t.id, t);
        if (isFinished(t.state)) (this.staged ?? this.committed).set(t.id, t);
      }
    }
    const out: FrozenTrial[] = [];
    for (const id of ids) {
      const t = this.committed.get(id) ?? loaded.get(id);
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  /**
   * Runs one attempt of a write transaction (`commit` returns once the backend committed
   * it, or throws after it rolled back): what it saw finished is cached only if it returns.
   */
  transaction<T>(commit: () => T): T {
    this.staged = new Map();
    try {
      const result = commit();
      // Committed: what the transaction saw finished is now finished for everyone.
      for (const [id, t] of this.staged) this.committed.set(id, t);
      return result;
    } finally {
      this.staged = null;
    }
  }
}
