import { isBetter } from '../core/direction.js';
import type { Direction } from '../core/search-space.js';
import { FINISHED_STATES, type FrozenTrial, type IntermediateValue, type Metrics, type TrialState } from '../core/trial.js';
import { FINAL_METRICS_ATTR } from './codec.js';
import type { LeaderboardQuery, LeaderboardRow } from './types.js';

/**
 * What Storage.leaderboard ranks and shows, for every backend. The ranking itself runs in
 * the backend's query (it touches only trials and their values, however many there are),
 * in this order:
 *  1. state, in LEADERBOARD_STATE_ORDER (completed trials first);
 *  2. trials with a value before those without one (NULL, which also stands for NaN);
 *  3. value, best first for the study's direction;
 *  4. trial number.
 */

/** The states the leaderboard ranks, in the order they are ranked. */
export const LEADERBOARD_STATE_ORDER: readonly TrialState[] = ['COMPLETE', 'PRUNED', 'FAIL'];

/** LEADERBOARD_STATE_ORDER as an SQL sort key on the `trials` row `t` (standard SQL, for every backend). */
export const STATE_RANK_SQL = `CASE t.state ${LEADERBOARD_STATE_ORDER.map((st, i) => `WHEN '${st}' THEN ${i}`).join(' ')} END`;

/** The states a query covers: COMPLETE only, or every finished state with `all`. */
export function leaderboardStates(query: LeaderboardQuery): TrialState[] {
  return query.all ? [...FINISHED_STATES] : ['COMPLETE'];
}

/** The row shown for a ranked trial. */
export function leaderboardRow(t: FrozenTrial, rank: number, direction: Direction): LeaderboardRow {
  // A cross-validated trial (its `cv` attribute, src/train/result.ts): the folds' mean
  // metrics, and the standard deviation of their objective as `cv_std`.
  const cv = t.systemAttrs.cv as { std?: unknown; values?: unknown; metrics?: unknown } | undefined;
  const metrics: Metrics =
    t.state === 'COMPLETE' && typeof cv?.metrics === 'object' && cv.metrics !== null
      ? { ...(cv.metrics as Metrics), cv_std: typeof cv.std === 'number' ? cv.std : Number.NaN, cv_values: Array.isArray(cv.values) ? (cv.values as number[]) : [] }
      : { ...(bestEpoch(t, direction)?.metrics ?? {}) };
  const final = t.userAttrs[FINAL_METRICS_ATTR];
  if (t.state === 'COMPLETE' && typeof final === 'object' && final !== null) {
    for (const [k, v] of Object.entries(final as Metrics)) metrics[`test_${k}`] = v;
  }
  return {
    rank,
    number: t.number,
    state: t.state,
    value: t.value,
    metrics,
    params: t.params,
    epochs: t.intermediate.length,
    durationS:
      t.startedAt !== null && t.completedAt !== null ? (t.completedAt.getTime() - t.startedAt.getTime()) / 1000 : null,
    seed: t.seed,
  };
}

/**
 * The epoch the trial's value came from: a complete trial ends on its restored best
 * weights (the `train` attribute's best_epoch, by the early-stopping monitor), which need
 * not be the epoch with the best objective; otherwise the best epoch by the objective
 * (the first of equals). NaN steps never win.
 */
function bestEpoch(t: FrozenTrial, direction: Direction): IntermediateValue | undefined {
  const train = t.systemAttrs.train as { best_epoch?: unknown } | undefined;
  let best: IntermediateValue | undefined = t.state === 'COMPLETE' ? t.intermediate.find((iv) => iv.step === train?.best_epoch) : undefined;
  for (const iv of best === undefined ? t.intermediate : []) {
    if (Number.isNaN(iv.value)) continue;
    if (best === undefined || isBetter(direction, iv.value, best.value)) best = iv;
  }
  return best;
}
