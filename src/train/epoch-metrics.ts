/**
 * The names of the scalars every epoch reports (see the metric list in loop.ts). The one
 * list of them: early stopping and the LR schedule check their monitor against it, and the
 * CLI checks the objective and monitors of a study before it starts.
 */
import { scalarMetricNames } from './metrics.js';

/** Every scalar an epoch reports: what early stopping and the LR schedule may monitor. */
export function epochMetricNames(multilabel: boolean): string[] {
  return ['loss', 'val_loss', ...scalarMetricNames(multilabel), 'lr'];
}

/**
 * A cross-validated trial's running mean of its folds' objective, reported with every epoch
 * (src/worker/cross-validated.ts): what the pruner judges such a trial by.
 */
export const CV_RUNNING_OBJECTIVE = 'cv_running_objective';
