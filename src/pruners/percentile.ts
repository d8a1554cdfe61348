import type { Direction } from '../core/search-space.js';
import type { FrozenTrial, IntermediateValue } from '../core/trial.js';
import type { PruneContext, Pruner } from './base.js';
import { reportAt } from './step-lookup.js';

export interface PercentilePrunerOptions {
  /** Pruning is off until this many trials of the study are COMPLETE. Default 5. */
  readonly nStartupTrials?: number;
  /** Pruning is off while the step is below this; the earliest prune is at this step. Default 0. */
  readonly nWarmupSteps?: number;
  /** Steps between checks, counted from nWarmupSteps. Default 1. */
  readonly intervalSteps?: number;
  /** A check needs at least this many completed trials with a value at the step. Default 1. */
  readonly nMinTrials?: number;
}

/**
 * Keeps the trials whose best intermediate value so far is within the given percentile of the
 * completed trials at the same step: a port of Optuna's `PercentilePruner`
 * (optuna/pruners/_percentile.py).
 *
 * After each report at step t, once `nStartupTrials` trials are COMPLETE, t >= `nWarmupSteps`,
 * and t is the first report in its interval (`intervalSteps`, offset by the warm-up):
 * - best = the trial's best intermediate value over all its steps (NaNs ignored); all NaN ⇒ prune;
 * - p = the `percentile`-th percentile (best side: for maximize it is taken as 100 − percentile)
 *   of the COMPLETE trials' values at step t, NaNs ignored, linear interpolation as numpy's
 *   `nanpercentile`; with fewer than `nMinTrials` such values, or none that is a number, no prune;
 * - prune when best is worse than p (strictly).
 *
 * Comparing the best value so far, not the latest, is Optuna's choice: a trial is not punished
 * for one noisy epoch if it has already been as good as the field.
 */
export class PercentilePruner implements Pruner {
  readonly name: string = 'percentile';
  readonly percentile: number;
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;

  constructor(percentile: number, options: PercentilePrunerOptions = {}) {
    const nStartupTrials = options.nStartupTrials ?? 5;
    const nWarmupSteps = options.nWarmupSteps ?? 0;
    const intervalSteps = options.intervalSteps ?? 1;
    const nMinTrials = options.nMinTrials ?? 1;
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new RangeError(`percentile must be between 0 and 100 inclusive, but got ${percentile}`);
    }
    if (!(Number.isInteger(nStartupTrials) && nStartupTrials >= 0)) {
      throw new RangeError(`n_startup_trials must be an integer >= 0, but got ${nStartupTrials}`);
    }
    if (!(Number.isInteger(nWarmupSteps) && nWarmupSteps >= 0)) {
      throw new RangeError(`n_warmup_steps must be an integer >= 0, but got ${nWarmupSteps}`);
    }
    if (!(Number.isInteger(intervalSteps) && intervalSteps >= 1)) {
      throw new RangeError(`interval_steps must be an integer >= 1, but got ${intervalSteps}`);
    }
    if (!(Number.isInteger(nMinTrials) && nMinTrials >= 1)) {
      throw new RangeError(`n_min_trials must be an integer >= 1, but got ${nMinTrials}`);
    }
    this.percentile = percentile;
    this.nStartupTrials = nStartupTrials;
    this.nWarmupSteps = nWarmupSteps;
    this.intervalSteps = intervalSteps;
    this.nMinTrials = nMinTrials;
  }

  prune(ctx: PruneContext): boolean {
    const { trial, direction } = ctx;
    const completed = ctx.trials.filter((t) => t.state === 'COMPLETE' && t.id !== trial.id);
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;

    const latest = trial.intermediate.at(-1);
    if (latest === undefined) return false;
    const step = latest.step;
    if (step < this.nWarmupSteps) return false;
    if (!isFirstInIntervalStep(step, trial.intermediate, this.nWarmupSteps, this.intervalSteps)) return false;

    const best = bestIntermediateValue(trial.intermediate, direction);
    if (Number.isNaN(best)) return true;

    const p = percentileAtStep(completed, direction, step, this.percentile, this.nMinTrials);
    if (Number.isNaN(p)) return false;
    return direction === 'maximize' ? best < p : best > p;
  }
}

/**
 * Optuna's `_is_first_in_interval_step`: true when no earlier report of the trial falls at or
 * after the last scheduled check (warm-up + k · interval) not later than `step`. A check that
 * found no report is thus made at the next report instead of being skipped.
 */
export function isFirstInIntervalStep(
  step: number,
  reports: readonly IntermediateValue[],
  nWarmupSteps: number,
  intervalSteps: number,
): boolean {
  const nearestLowerPruningStep = Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let secondLastStep = -1;
  for (const r of reports) {
    if (r.step !== step && r.step > secondLastStep) secondLastStep = r.step;
  }
  return secondLastStep < nearestLowerPruningStep;
}

/** numpy's nanmin / nanmax over the trial's intermediate values: NaN only when all are NaN. */
export function bestIntermediateValue(reports: readonly IntermediateValue[], direction: Direction): number {
  let best = Number.NaN;
  for (const { value } of reports) {
    if (Number.isNaN(value)) continue;
    if (Number.isNaN(best) || (direction === 'maximize' ? value > best : value < best)) best = value;
  }
  return best;
}

/**
 * Optuna's `_get_percentile_intermediate_result_over_trials`: the percentile of the completed
 * trials' values at `step`, NaN when fewer than `nMinTrials` have a value there (NaN values
 * count towards that minimum, as in Optuna, but not towards the percentile).
 */
export function percentileAtStep(
  completed: readonly FrozenTrial[],
  direction: Direction,
  step: number,
  percentile: number,
  nMinTrials: number,
): number {
  const values: number[] = [];
  for (const t of completed) {
    const report = reportAt(t.intermediate, step);
    if (report !== undefined) values.push(report.value);
  }
  if (values.length < nMinTrials) return Number.NaN;
  // "Better" is the upper tail when maximizing: keeping the top q% means cutting at 100 − q.
  const q = direction === 'maximize' ? 100 - percentile : percentile;
  return nanPercentile(values, q);
}

/**
 * numpy.nanpercentile with the default 'linear' method, computed the way numpy does (its `_lerp`
 * switches to `b − (b − a)(1 − γ)` for γ >= 0.5), so that a value equal to the median is judged
 * exactly as Optuna judges it (0.7 − 0.3 is not 0.1 + 0.3). NaN when no value is a number.
 */
export function nanPercentile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const virtualIndex = (sorted.length - 1) * (q / 100);
  const lo = Math.floor(virtualIndex);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const gamma = virtualIndex - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}
