import type { PrunerSettings } from '../config/settings.js';
import type { Pruner } from './base.js';
import { MedianPruner } from './median.js';
import { NopPruner } from './nop.js';
import { SuccessiveHalvingPruner } from './successive-halving.js';

export type { PruneContext, Pruner } from './base.js';
export { MedianPruner } from './median.js';
export { PercentilePruner, type PercentilePrunerOptions } from './percentile.js';
export { NopPruner } from './nop.js';
export {
  SuccessiveHalvingPruner,
  RungLadder,
  isPromotableToNextRung,
  estimateMinResource,
  type SuccessiveHalvingOptions,
} from './successive-halving.js';

/**
 * The pruner a study's settings ask for. Settings use the YAML (snake_case) names; invalid
 * values throw a RangeError naming the setting.
 */
export function createPruner(settings: PrunerSettings): Pruner {
  switch (settings.type) {
    case 'none':
      return new NopPruner();
    case 'asha':
      return new SuccessiveHalvingPruner({
        minResource: settings.min_resource,
        reductionFactor: settings.reduction_factor,
        minEarlyStoppingRate: settings.min_early_stopping_rate,
        bootstrapCount: settings.bootstrap_count,
      });
    case 'median':
      return new MedianPruner({
        nStartupTrials: settings.n_startup_trials,
        nWarmupSteps: settings.n_warmup_steps,
        intervalSteps: settings.interval_steps,
      });
    default: {
      const unknown: never = settings;
      throw new Error(`unknown pruner type: ${JSON.stringify(unknown)}`);
    }
  }
}
