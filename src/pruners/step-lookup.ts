/**
 * Lookups by step in a trial's intermediate values (its reports), which every pruner makes
 * for every other trial at every report.
 */
import type { IntermediateValue } from '../core/trial.js';

/**
 * Index of the first report at or after `step` in reports ordered by step (FrozenTrial's
 * contract), or -1. Binary search: pruners run after every report of every trial and scan
 * every other trial, so a linear scan would make a long study quadratic in its epochs.
 */
export function firstReportAtOrAfter(reports: readonly IntermediateValue[], step: number): number {
  let lo = 0;
  let hi = reports.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (reports[mid]!.step < step) lo = mid + 1;
    else hi = mid;
  }
  return lo === reports.length ? -1 : lo;
}

/** The report at exactly `step`, if any. */
export function reportAt(reports: readonly IntermediateValue[], step: number): IntermediateValue | undefined {
  const i = firstReportAtOrAfter(reports, step);
  return i !== -1 && reports[i]!.step === step ? reports[i] : undefined;
}
