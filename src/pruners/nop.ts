import type { PruneContext, Pruner } from './base.js';

/** Never prunes: Optuna's `NopPruner` (pruner type `none`). Every trial runs its full budget. */
export class NopPruner implements Pruner {
  readonly name = 'none';

  prune(_ctx: PruneContext): boolean {
    return false;
  }
}
