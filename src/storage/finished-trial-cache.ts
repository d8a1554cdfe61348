import { isFinished, type FrozenTrial } from '../core/trial.js';

/**
 * Finished trials seen inside one write transaction: they join the cache only once it
 * commits (a rolled-back finishTrial must not leave a finished copy behind).
 */
export type CacheStage = Map<number, FrozenTrial>;

/**
 * Finished trials by id, kept by a storage between calls (the role of Optuna's
 * `_CachedStorage`). A finished trial never changes again (the Storage contract in
 * types.ts refuses every write to it), so a copy stays valid whatever other processes do:
 * getTrials, called on every ask(), then loads only the trials it has not seen finished.
 *
 * Backend-neutral, in two halves so that a synchronous backend (SQLite) and an
 * asynchronous one (PostgreSQL, with several transactions in flight at once) share it:
 * `missing` says which ids to load, `assemble` merges what was loaded, and each write
 * transaction has its own `stage`, published once it commits.
 */
export class FinishedTrialCache {
  private readonly committed = new Map<number, FrozenTrial>();
  /** The stage of the synchronous backend's current write transaction (`transaction`). */
  private current: CacheStage | null = null;

  /** The ids of `ids` not cached. */
  missing(ids: readonly number[]): number[] {
    return ids.filter((id) => !this.committed.has(id));
  }

  /**
   * The trials with these ids, in the order given (ids neither cached nor loaded are
   * skipped): cached ones as cached, the rest from `loaded`. Finished trials among
   * `loaded` are cached, through `stage` when they were loaded inside a write transaction.
   */
  assemble(ids: readonly number[], loaded: readonly FrozenTrial[], stage: CacheStage | null): FrozenTrial[] {
    const byId = new Map<number, FrozenTrial>();
    for (const t of loaded) {
      byId.set(t.id, t);
      if (isFinished(t.state)) (stage ?? this.committed).set(t.id, t);
    }
    const out: FrozenTrial[] = [];
    for (const id of ids) {
      const t = this.committed.get(id) ?? byId.get(id);
      if (t !== undefined) out.push(t);
    }
    return out;
  }

  /** After the transaction of `stage` committed: what it saw finished is now finished for everyone. */
  publish(stage: CacheStage): void {
    for (const [id, t] of stage) this.committed.set(id, t);
  }

  /**
   * For a synchronous backend: the trials with these ids, `load` getting the missing ids
   * and whether they are all of `ids` (then a backend may use a cheaper query covering
   * them all, such as a whole-study filter). Called inside the backend's transaction.
   */
  trials(ids: readonly number[], load: (missing: readonly number[], all: boolean) => readonly FrozenTrial[]): FrozenTrial[] {
    const missing = this.missing(ids);
    return this.assemble(ids, missing.length > 0 ? load(missing, missing.length === ids.length) : [], this.current);
  }

  /**
   * For a synchronous backend: runs one attempt of a write transaction (`commit` returns
   * once the backend committed it, or throws after it rolled back).
   */
  transaction<T>(commit: () => T): T {
    const stage: CacheStage = new Map();
    this.current = stage;
    try {
      const result = commit();
      this.publish(stage);
      return result;
    } finally {
      this.current = null;
    }
  }
}
