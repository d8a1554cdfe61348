import type { Direction } from '../core/search-space.js';
import type { FrozenTrial, IntermediateValue } from '../core/trial.js';
import type { PruneContext, Pruner } from './base.js';
import { firstReportAtOrAfter } from './step-lookup.js';

export interface SuccessiveHalvingOptions {
  /** r: steps of the first rung, or 'auto' (estimated from the first completed trials). Default 'auto'. */
  readonly minResource?: number | 'auto';
  /** η: about 1/η of the trials reaching a rung are promoted. Default 3 (Optuna's default is 4). */
  readonly reductionFactor?: number;
  /** s: shifts every rung up by η^s steps. Default 0. */
  readonly minEarlyStoppingRate?: number;
  /** Trials that must have completed a rung before any is promoted from it. Default 0. */
  readonly bootstrapCount?: number;
}

/**
 * Asynchronous Successive Halving (ASHA), a port of Optuna's `SuccessiveHalvingPruner`
 * (optuna/pruners/_successive_halving.py).
 *
 * Successive Halving (Jamieson & Talwalkar, "Non-stochastic Best Arm Identification and
 * Hyperparameter Optimization", AISTATS 2016) trains many configurations on a small budget and
 * keeps the best 1/η at each budget level ("rung"). ASHA (Li et al., "A System for Massively
 * Parallel Hyperparameter Tuning", MLSys 2020) makes it asynchronous: a trial is judged at a rung
 * the moment it gets there, against whatever has reached that rung so far, so no worker waits
 * for a full bracket.
 *
 * Algorithm, as Optuna runs it after every report of a trial:
 * - Rung k is completed at step `r · η^(s + k)` (r = minResource, s = minEarlyStoppingRate).
 *   Steps between rungs are never pruned.
 * - When the trial's latest step reaches the next rung, its value at that step is its rung value.
 *   A NaN value is pruned at once.
 * - Competitors are the rung values of every trial that reached the rung, the current one
 *   included. If there are no more than `bootstrapCount` of them the trial is pruned (Optuna does
 *   not promote before the rung has bootstrapCount + 1 values: the first bootstrapCount trials
 *   to reach a rung are stopped there).
 * - The trial is promoted when its value is within the best ⌊n/η⌋ of the n competitors (ties
 *   promote); with fewer than η competitors ⌊n/η⌋ = 0 and it is promoted only if it is the best
 *   so far, because Optuna cannot pause a trial to wait for more competitors. Otherwise pruned.
 * - A report that crosses several rungs at once is judged at each of them in turn.
 *
 * 'auto' minResource: once a trial has COMPLETED, r = max(1, ⌊last step / 100⌋) using the largest
 * last step among completed trials; until then nothing is pruned. As in Optuna the estimate is
 * made once and kept by this instance.
 *
 * Where this differs from Optuna, and why: Optuna writes each rung value into the trial's system
 * attrs (`completed_rung_k`). Our pruners see read-only snapshots, so rung values are recomputed
 * from the stored intermediate values instead. With a fixed min_resource, the pruner consulted
 * after every report and no report crossing two rungs at once (one report per epoch), the sets and
 * so the decisions are Optuna's exactly (test/pruners/optuna-parity.test.ts replays Optuna 3.1
 * histories decision for decision). The rules:
 * - the rung value of a trial at rung k is its intermediate value at the first reported step
 *   >= r·η^(s+k) (the step at which Optuna would have recorded it); NaN values are never rung
 *   values (Optuna prunes before recording them);
 * - a trial counts at every rung it reached, except that a PRUNED trial whose last report crossed
 *   several rungs counts only at the lowest of them: Optuna stops at the first rung it fails, and
 *   that is the only one of those rungs certainly recorded;
 * - rungs the current trial had already passed before its latest report (steps <= its previous
 *   step) are taken as passed, and only rungs in (previous step, latest step] are judged now. With
 *   'auto' this means a trial running while r was still unknown is not judged retroactively at
 *   the rungs it already passed (Optuna would judge it there with its current value), and trials
 *   that finished before r was known still count as competitors (Optuna never recorded them).
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly name = 'asha';
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  readonly bootstrapCount: number;
  /** null while 'auto' has not been resolved yet. */
  private minResource: number | null;

  constructor(options: SuccessiveHalvingOptions = {}) {
    const minResource = options.minResource ?? 'auto';
    const reductionFactor = options.reductionFactor ?? 3;
    const minEarlyStoppingRate = options.minEarlyStoppingRate ?? 0;
    const bootstrapCount = options.bootstrapCount ?? 0;

    if (minResource !== 'auto' && !(Number.isInteger(minResource) && minResource >= 1)) {
      throw new RangeError(`asha: min_resource is ${String(minResource)}, but must be an integer >= 1 or 'auto'`);
    }
    if (!(Number.isInteger(reductionFactor) && reductionFactor >= 2)) {
      throw new RangeError(`asha: reduction_factor is ${reductionFactor}, but must be an integer >= 2`);
    }
    if (!(Number.isInteger(minEarlyStoppingRate) && minEarlyStoppingRate >= 0)) {
      throw new RangeError(`asha: min_early_stopping_rate is ${minEarlyStoppingRate}, but must be an integer >= 0`);
    }
    if (!(Number.isInteger(bootstrapCount) && bootstrapCount >= 0)) {
      throw new RangeError(`asha: bootstrap_count is ${bootstrapCount}, but must be an integer >= 0`);
    }
    // As in Optuna: with 'auto' the rungs are unknown while the first trials run, so nothing
    // could be counted towards the bootstrap.
    if (bootstrapCount > 0 && minResource === 'auto') {
      throw new RangeError(`asha: bootstrap_count > 0 (${bootstrapCount}) cannot be combined with min_resource 'auto'`);
    }

    this.minResource = minResource === 'auto' ? null : minResource;
    this.reductionFactor = reductionFactor;
    this.minEarlyStoppingRate = minEarlyStoppingRate;
    this.bootstrapCount = bootstrapCount;
  }

  /** The resolved min_resource, or null while 'auto' waits for a completed trial. */
  get resolvedMinResource(): number | null {
    return this.minResource;
  }

  prune(ctx: PruneContext): boolean {
    const { trial, direction } = ctx;
    const reports = trial.intermediate;
    const latest = reports.at(-1);
    if (latest === undefined) return false;

    // Guard against a caller passing the current trial among the others too: it must be
    // counted once, with its latest value.
    const others = ctx.trials.filter((t) => t.id !== trial.id);

    if (this.minResource === null) {
      this.minResource = estimateMinResource(others);
      if (this.minResource === null) return false;
    }
    const rungs = new RungLadder(this.minResource, this.reductionFactor, this.minEarlyStoppingRate);

    const previousStep = reports.length >= 2 ? reports[reports.length - 2]!.step : -Infinity;
    let rung = rungs.firstRungAfter(previousStep);
    for (;;) {
      const rungStep = rungs.step(rung);
      if (latest.step < rungStep) return false;
      if (Number.isNaN(latest.value)) return true;

      const competing = others.map((t) => recordedRungValue(t, rung, rungs)).filter((v): v is number => v !== undefined);
      competing.push(latest.value);

      // `competing` includes the current trial, hence `<=`.
      if (competing.length <= this.bootstrapCount) return true;
      if (!isPromotableToNextRung(latest.value, competing, this.reductionFactor, direction)) return true;
      rung += 1;
    }
  }
}

/** The steps at which rungs complete: r · η^(s + k). */
export class RungLadder {
  constructor(
    readonly minResource: number,
    readonly reductionFactor: number,
    readonly minEarlyStoppingRate: number,
  ) {}

  step(rung: number): number {
    return this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
  }

  /** The lowest rung whose completion step is after `step`. */
  firstRungAfter(step: number): number {
    let rung = 0;
    // O(log step) iterations, as Optuna's `_get_current_rung`.
    while (this.step(rung) <= step) rung += 1;
    return rung;
  }
}

/**
 * The value trial `t` recorded at `rung`, or undefined when it never got there (see the class
 * comment for why a PRUNED trial may not count at every rung it crossed).
 */
export function recordedRungValue(t: FrozenTrial, rung: number, rungs: RungLadder): number | undefined {
  const reports = t.intermediate;
  const rungStep = rungs.step(rung);
  const index = firstReportAtOrAfter(reports, rungStep);
  if (index === -1) return undefined;
  const value = reports[index]!.value;
  if (Number.isNaN(value)) return undefined;

  if (t.state === 'PRUNED' && index === reports.length - 1) {
    // The report that stopped this trial reached `rung`; it was certainly judged there only if
    // `rung` is the first rung that report crossed.
    const before: IntermediateValue | undefined = reports[index - 1];
    const previousStep = before === undefined ? -Infinity : before.step;
    if (rung > rungs.firstRungAfter(previousStep)) return undefined;
  }
  return value;
}

/**
 * Optuna's `_estimate_min_resource`: max(1, ⌊largest last step of a COMPLETE trial / 100⌋),
 * or null when no trial has completed with a report.
 */
export function estimateMinResource(trials: readonly FrozenTrial[]): number | null {
  let lastStep: number | null = null;
  for (const t of trials) {
    const last = t.intermediate.at(-1);
    if (t.state !== 'COMPLETE' || last === undefined) continue;
    lastStep = lastStep === null ? last.step : Math.max(lastStep, last.step);
  }
  if (lastStep === null) return null;
  return Math.max(Math.floor(lastStep / 100), 1);
}

/**
 * Optuna's `_is_trial_promotable_to_next_rung`: is `value` among the best ⌊n/η⌋ of the n
 * `competing` values (which include it)? With ⌊n/η⌋ = 0 it must be the best one. Ties promote.
 */
export function isPromotableToNextRung(
  value: number,
  competing: readonly number[],
  reductionFactor: number,
  direction: Direction,
): boolean {
  // Optuna cannot suspend a trial until η competitors arrive, so while there are fewer than η
  // it promotes only the best so far (index 0 instead of -1).
  const promotableIndex = Math.max(Math.floor(competing.length / reductionFactor) - 1, 0);
  const sorted = [...competing].sort((a, b) => a - b);
  if (direction === 'maximize') return value >= sorted[sorted.length - 1 - promotableIndex]!;
  return value <= sorted[promotableIndex]!;
}
