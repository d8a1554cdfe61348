import type { FrozenTrial } from '../../core/trial.js';
import type { DistributionCache } from '../codec.js';
import { TRIAL_COLUMNS_SQL, TrialHydrator, type TrialRow, type TrialScope } from '../trial-hydration.js';
import type { StatementCache } from './statements.js';


/** Child rows come back as arrays (raw statements): fewer allocations on big loads. */
type ParamRow = [trialId: number, name: string, value: number, distribution: string];
/** One row per trial: JSON arrays of steps, values, has-metrics flags, and metrics objects. */
type IntermediateRow = [trialId: number, steps: string, values: string, hasMetrics: string, metrics: string];
type AttrRow = [trialId: number, key: string, value: string];


/**
 * Loads whole trials in five queries whatever their number (trials with their values,
 * params, intermediate values, user attrs, system attrs), so no query is issued per
 * trial; the rows become FrozenTrials in trial-hydration.ts. Intermediate values come one
 * row per trial (JSON arrays built by SQLite). Callers run it inside a transaction, so the
 * queries see one snapshot. In no particular order.
 */
export function loadTrials(statements: StatementCache, distributions: DistributionCache, scope: TrialScope): FrozenTrial[] {
  const [where, args] = scopeSql(scope);
  const rows = statements
    .get(`SELECT ${TRIAL_COLUMNS_SQL} FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id WHERE ${where}`)
    .all(...args) as TrialRow[];
  if (rows.length === 0) return [];
  const trials = new TrialHydrator(rows, distributions);

  const params = statements
    .raw(
      `SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json
       FROM trials t JOIN trial_params p ON p.trial_id = t.trial_id WHERE ${where} ORDER BY p.rowid`,
    )
    .all(...args) as ParamRow[];
  for (const [trialId, name, value, distText] of params) trials.param(trialId, name, value, distText);

  // All aggregates of a group see its rows in the same order, so the arrays line up;
  // that order is not guaranteed to be by step, so the hydrator sorts if needed.
  const inters = statements
    .raw(
      `SELECT i.trial_id, json_group_array(i.step), json_group_array(i.value),
              json_group_array(i.metrics_json IS NOT NULL),
              '[' || group_concat(COALESCE(i.metrics_json, 'null'), ',') || ']'
       FROM trials t JOIN trial_intermediate_values i ON i.trial_id = t.trial_id WHERE ${where}
       GROUP BY i.trial_id`,
    )
    .all(...args) as IntermediateRow[];
  for (const [trialId, steps, values, hasMetrics, metrics] of inters) {
    trials.intermediate(trialId, steps, values, hasMetrics, metrics);
  }

  for (const [table, kind] of [
    ['trial_user_attributes', 'user'],
    ['trial_system_attributes', 'system'],
  ] as const) {
    const attrs = statements
      .raw(
        `SELECT a.trial_id, a.key, a.value_json FROM trials t JOIN ${table} a ON a.trial_id = t.trial_id
         WHERE ${where} ORDER BY a.rowid`,
      )
      .all(...args) as AttrRow[];
    for (const [trialId, key, json] of attrs) trials.attr(trialId, kind, key, json);
  }
  return trials.trials();
}

function scopeSql(scope: TrialScope): [where: string, args: unknown[]] {
  // Values are bound as JSON arrays (json_each): one prepared statement for any length.
  if (scope.kind === 'ids') return ['t.trial_id IN (SELECT value FROM json_each(?))', [JSON.stringify(scope.ids)]];
  if (scope.states === undefined) return ['t.study_id = ?', [scope.studyId]];
  return [
    't.study_id = ? AND t.state IN (SELECT value FROM json_each(?))',
    [scope.studyId, JSON.stringify(scope.states)],
  ];
}
