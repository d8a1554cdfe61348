import { PercentilePruner, type PercentilePrunerOptions } from './percentile.js';

/**
 * Optuna's `MedianPruner` (optuna/pruners/_median.py): the 50th-percentile case of
 * {@link PercentilePruner}, i.e. prune a trial whose best intermediate value so far is worse
 * than the median of the completed trials' values at the same step. Defaults:
 * n_startup_trials 5, n_warmup_steps 0, interval_steps 1.
 */
export class MedianPruner extends PercentilePruner {
  override readonly name: string = 'median';

  constructor(options: PercentilePrunerOptions = {}) {
    super(50, options);
  }
}
