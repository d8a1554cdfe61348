/**
 * Which way a metric improves: the one rule behind `objective.direction`'s default
 * (`src/config/resolve.ts`), the monitors of early stopping and ReduceLROnPlateau
 * (`src/train/callbacks.ts`) and `hpsearch leaderboard --metric` (`src/cli/leaderboard.ts`).
 * Before this file each of the three had its own pattern, and they disagreed on names such
 * as `mae`.
 */
import type { Direction } from './search-space.js';

/** Losses and errors are minimised; every other metric we report (accuracy, recall, F1, AUROC) is maximised. */
export function metricDirection(metric: string): Direction {
  return /loss|error|mse|mae/i.test(metric) ? 'minimize' : 'maximize';
}

/** Whether `a` is strictly better than `b` under `direction` (NaN is never better). */
export function isBetter(direction: Direction, a: number, b: number): boolean {
  return direction === 'minimize' ? a < b : a > b;
}
