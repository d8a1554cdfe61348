import type { Direction } from '../core/search-space.js';
import type { FrozenTrial } from '../core/trial.js';

export interface PruneContext {
  readonly direction: Direction;
  /** The trial being judged, with every intermediate value reported so far. */
  readonly trial: FrozenTrial;
  /** Every other trial of the study, any state. */
  readonly trials: readonly FrozenTrial[];
}

/** Decides after each reported step whether a running trial should stop (Optuna's BasePruner). */
export interface Pruner {
  readonly name: string;
  prune(ctx: PruneContext): boolean;
}
