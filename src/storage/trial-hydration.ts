import { toExternal } from '../core/distributions.js';
import type { Distribution, Params } from '../core/search-space.js';
import type { FrozenTrial, IntermediateValue, Metrics, TrialState } from '../core/trial.js';
import {
  DistributionCache,
  FINAL_METRICS_ATTR,
  decodeAttr,
  decodeMetrics,
  decodeNonFinite,
  textToDate,
  valueFromColumn,
  type TimeColumn,
} from './codec.js';

/**
 * Building FrozenTrials from the rows of the schema (sqlite/migrations.ts): the part of a
 * bulk trial load that is the same for every SQL backend. A backend runs its queries (one
 * per table, whatever the number of trials) and feeds the rows in; trials come out frozen.
 */

/** Which trials a bulk load covers. */
export type TrialScope =
  | { readonly kind: 'ids'; readonly ids: readonly number[] }
  | { readonly kind: 'study'; readonly studyId: number; readonly states: readonly TrialState[] | undefined };

/** The columns of a TrialRow, selected from `trials t LEFT JOIN trial_values v` (standard SQL). */
export const TRIAL_COLUMNS_SQL = `t.trial_id, t.number, t.state, t.seed, t.datetime_start, t.datetime_complete,
  t.heartbeat_at, t.host, t.pid, t.backend, t.fail_reason, t.retries,
  v.trial_id IS NOT NULL AS has_value, v.value`;

/** One row of `trials` joined with its `trial_values` row. */
export interface TrialRow {
  trial_id: number;
  number: number;
  state: TrialState;
  seed: number | null;
  datetime_start: TimeColumn | null;
  datetime_complete: TimeColumn | null;
  heartbeat_at: TimeColumn | null;
  host: string | null;
  pid: number | null;
  backend: string | null;
  fail_reason: string | null;
  retries: number;
  /** Whether a `trial_values` row exists (SQLite gives 0 / 1, a server database a boolean). */
  has_value: 0 | 1 | boolean;
  value: number | null;
}

/** A FrozenTrial under construction (FrozenTrial itself is readonly). */
interface TrialDraft {
  id: number;
  number: number;
  state: TrialState;
  params: Params;
  distributions: Record<string, Distribution>;
  value: number | null;
  intermediate: IntermediateValue[];
  seed: number | null;
  startedAt: Date | null;
  completedAt: Date | null;
  heartbeatAt: Date | null;
  host: string | null;
  pid: number | null;
  backend: string | null;
  failReason: string | null;
  retries: number;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
}

/**
 * The trials of one bulk load. Child rows of trials that are not among the trial rows are
 * ignored, so a backend may feed rows of a wider query.
 */
export class TrialHydrator {
  private readonly drafts = new Map<number, TrialDraft>();

  /** `distributions` outlives the load: trials of a study share the same few distributions. */
  constructor(
    rows: readonly TrialRow[],
    private readonly distributions: DistributionCache,
  ) {
    for (const r of rows) this.drafts.set(r.trial_id, draftFromRow(r));
  }

  /** A `trial_params` row: the internal value and the distribution's JSON. */
  param(trialId: number, name: string, internal: number, distributionJson: string): void {
    const d = this.drafts.get(trialId);
    if (d === undefined) return;
    const dist = this.distributions.parse(distributionJson);
    d.distributions[name] = dist;
    d.params[name] = toExternal(dist, internal);
  }

  /**
   * A trial's `trial_intermediate_values` aggregated into one row of JSON arrays (steps,
   * values, has-metrics flags, metrics objects or null), lined up but in any order: ten
   * times fewer rows to hand to JS than one per step, which is what a bulk load costs.
   */
  intermediate(trialId: number, stepsJson: string, valuesJson: string, hasMetricsJson: string, metricsJson: string): void {
    const d = this.drafts.get(trialId);
    if (d === undefined) return;
    let parsed: (Metrics | null)[] | undefined;
    const has = JSON.parse(hasMetricsJson) as (number | boolean)[];
    d.intermediate = intermediateValues(JSON.parse(stepsJson) as number[], JSON.parse(valuesJson) as (number | null)[], (i) =>
      has[i] ? () => (parsed ??= decodeNonFinite(metricsJson) as (Metrics | null)[])[i] ?? undefined : null,
    );
  }

  /**
   * The same, from one row of arrays (a server database aggregates into arrays, which keep
   * +-Infinity, where JSON cannot): steps, values (null for NaN), metrics JSON or null.
   */
  intermediateArrays(trialId: number, steps: readonly number[], values: readonly (number | null)[], metrics: readonly (string | null)[]): void {
    const d = this.drafts.get(trialId);
    if (d === undefined) return;
    d.intermediate = intermediateValues(steps, values, (i) => {
      const text = metrics[i] ?? null;
      let parsed: Metrics | undefined;
      return text === null ? null : () => (parsed ??= decodeMetrics(text));
    });
  }

  /** A `trial_user_attributes` (`user`) or `trial_system_attributes` (`system`) row. */
  attr(trialId: number, kind: 'user' | 'system', key: string, valueJson: string): void {
    const d = this.drafts.get(trialId);
    if (d === undefined) return;
    if (kind === 'user') d.userAttrs[key] = key === FINAL_METRICS_ATTR ? decodeMetrics(valueJson) : decodeAttr(valueJson);
    else d.systemAttrs[key] = decodeAttr(valueJson);
  }

  /** The trials, frozen: they may be cached and shared by every caller. */
  trials(): FrozenTrial[] {
    return [...this.drafts.values()].map(freezeTrial);
  }
}

function draftFromRow(r: TrialRow): TrialDraft {
  return {
    id: r.trial_id,
    number: r.number,
    state: r.state,
    params: {},
    distributions: {},
    value: r.has_value ? valueFromColumn(r.value) : null,
    intermediate: [],
    seed: r.seed,
    startedAt: textToDate(r.datetime_start),
    completedAt: textToDate(r.datetime_complete),
    heartbeatAt: textToDate(r.heartbeat_at),
    host: r.host,
    pid: r.pid,
    backend: r.backend,
    failReason: r.fail_reason,
    retries: r.retries,
    userAttrs: {},
    systemAttrs: {},
  };
}

/** Shallow-freezes a loaded trial and its containers: cached copies are shared by every caller. */
function freezeTrial(d: TrialDraft): FrozenTrial {
  Object.freeze(d.params);
  Object.freeze(d.distributions);
  for (const iv of d.intermediate) Object.freeze(iv);
  Object.freeze(d.intermediate);
  Object.freeze(d.userAttrs);
  Object.freeze(d.systemAttrs);
  return Object.freeze(d);
}

/**
 * A trial's intermediate values from the aggregated row, ordered by step. Metrics are
 * parsed on first read (`metricsOf(i)` gives the parser of step i's metrics, null when it
 * has none): samplers and pruners load every trial but look only at `value`, and epoch
 * metrics (per-class arrays, confusion matrices) would otherwise dominate the load. Each
 * getter is an own enumerable property, so JSON.stringify, spread and structuredClone
 * still see `metrics`.
 */
function intermediateValues(
  steps: readonly number[],
  values: readonly (number | null)[],
  metricsOf: (i: number) => (() => Metrics | undefined) | null,
): IntermediateValue[] {
  const order = steps.map((_, i) => i);
  if (steps.some((st, i) => i > 0 && st < (steps[i - 1] as number))) {
    order.sort((a, b) => (steps[a] as number) - (steps[b] as number));
  }
  return order.map((i): IntermediateValue => {
    // A NaN value is stored as NULL, so the array holds null for it; SQLite writes
    // +-Infinity as +-9.0e+999, which JSON.parse reads back as +-Infinity.
    const iv = { step: steps[i] as number, value: valueFromColumn(values[i] ?? null) };
    const metrics = metricsOf(i);
    if (metrics !== null) Object.defineProperty(iv, 'metrics', { enumerable: true, get: metrics });
    return iv;
  });
}
