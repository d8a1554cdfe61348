import type { LeaderboardRow } from '../storage/types.js';
import { scalarMetrics, type FrozenTrial, type Metrics } from '../core/trial.js';
import type { Params } from '../core/search-space.js';
import type { Cell } from './table.js';

/** The leaderboard's JSON form; README "Commands" documents its keys for scripts. */
export interface LeaderboardJson {
  readonly rank: number;
  readonly number: number;
  readonly state: string;
  readonly value: number | null;
  readonly metrics: Metrics;
  readonly params: Params;
  readonly epochs: number;
  readonly duration_s: number | null;
  readonly seed: number | null;
}

export function leaderboardJson(row: LeaderboardRow): LeaderboardJson {
  return {
    rank: row.rank,
    number: row.number,
    state: row.state,
    value: row.value,
    metrics: row.metrics,
    params: row.params,
    epochs: row.epochs,
    duration_s: row.durationS,
    seed: row.seed,
  };
}


/** The metrics a terminal table shows besides the objective (`cv_std`: cross-validated studies only); CSV and JSON carry them all. */
const TABLE_METRICS = ['cv_std', 'val_loss', 'accuracy', 'f1_macro', 'auroc_macro'];

/**
 * Flat rows (metric and param columns in a stable order) for table and CSV output. With
 * `compact`, only a few metrics (and the objective on the test split) get a column, so the
 * table fits a terminal.
 */
export function leaderboardTable(
  rows: readonly LeaderboardRow[],
  opts: { compact?: boolean; metric?: string } = {},
): { columns: string[]; rows: Record<string, Cell>[] } {
  const metricNames = new Set<string>();
  const paramNames = new Set<string>();
  for (const r of rows) {
    for (const k of Object.keys(scalarMetrics(r.metrics))) metricNames.add(k);
    for (const k of Object.keys(r.params)) paramNames.add(k);
  }
  let metricCols = [...metricNames].sort();
  if (opts.compact) {
    const keep = [...TABLE_METRICS, ...(opts.metric ? [`test_${opts.metric}`] : [])];
    metricCols = keep.filter((k) => metricNames.has(k) && k !== opts.metric);
  }
  const paramCols = [...paramNames];
  const columns = ['rank', 'trial', 'state', 'value', ...metricCols, ...paramCols, 'epochs', 'duration_s'];
  const flat = rows.map((r) => {
    const m = scalarMetrics(r.metrics);
    const out: Record<string, Cell> = { rank: r.rank, trial: r.number, state: r.state, value: r.value };
    for (const k of metricCols) out[k] = m[k];
    for (const k of paramCols) out[k] = r.params[k] as Cell;
    out.epochs = r.epochs;
    out.duration_s = r.durationS === null ? null : Math.round(r.durationS * 10) / 10;
    return out;
  });
  return { columns, rows: flat };
}

/** One trial with everything stored about it, for `export` and `trial`. */
export function trialJson(t: FrozenTrial): Record<string, unknown> {
  return {
    number: t.number,
    state: t.state,
    value: t.value,
    params: t.params,
    seed: t.seed,
    started_at: t.startedAt?.toISOString() ?? null,
    completed_at: t.completedAt?.toISOString() ?? null,
    duration_s: t.startedAt && t.completedAt ? (t.completedAt.getTime() - t.startedAt.getTime()) / 1000 : null,
    backend: t.backend,
    host: t.host,
    pid: t.pid,
    retries: t.retries,
    fail_reason: t.failReason,
    epochs: t.intermediate.length,
    intermediate: t.intermediate.map((iv) => ({ step: iv.step, value: iv.value, ...(iv.metrics ?? {}) })),
    user_attrs: t.userAttrs,
  };
}

/** Flat export rows: state, value, params, the last epoch's scalar metrics and the final ones. */
export function exportTable(trials: readonly FrozenTrial[]): { columns: string[]; rows: Record<string, Cell>[] } {
  const paramNames = new Set<string>();
  const metricNames = new Set<string>();
  const prepared = trials.map((t) => {
    const last = t.intermediate.at(-1);
    const metrics: Record<string, number> = last?.metrics ? scalarMetrics(last.metrics) : {};
    const final = t.userAttrs.final_metrics;
    if (final && typeof final === 'object') {
      for (const [k, v] of Object.entries(scalarMetrics(final as Metrics))) metrics[`test_${k}`] = v;
    }
    for (const k of Object.keys(t.params)) paramNames.add(k);
    for (const k of Object.keys(metrics)) metricNames.add(k);
    return { t, metrics };
  });
  const paramCols = [...paramNames];
  const metricCols = [...metricNames].sort();
  const columns = ['trial', 'state', 'value', ...paramCols, ...metricCols, 'epochs', 'seed', 'duration_s', 'backend', 'fail_reason'];
  const rows = prepared.map(({ t, metrics }) => {
    const out: Record<string, Cell> = { trial: t.number, state: t.state, value: t.value };
    for (const k of paramCols) out[k] = t.params[k] as Cell;
    for (const k of metricCols) out[k] = metrics[k];
    out.epochs = t.intermediate.length;
    out.seed = t.seed;
    out.duration_s = t.startedAt && t.completedAt ? (t.completedAt.getTime() - t.startedAt.getTime()) / 1000 : null;
    out.backend = t.backend;
    out.fail_reason = t.failReason;
    return out;
  });
  return { columns, rows };
}
