import type { FrozenTrial } from '../../core/trial.js';
import type { DistributionCache } from '../codec.js';
import { TRIAL_COLUMNS_SQL, TrialHydrator, type TrialRow, type TrialScope } from '../trial-hydration.js';
import type { PgSession } from './session.js';

type ParamRow = [trialId: number, name: string, value: number, distribution: string];
/** One row per trial: arrays (in step order) of steps, values, metrics JSON. */
type IntermediateRow = [trialId: number, steps: number[], values: (number | null)[], metrics: (string | null)[]];
type AttrRow = [trialId: number, key: string, value: string];

/**
 * Loads whole trials in five queries whatever their number, as the SQLite loader does
 * (../sqlite/trial-loader.ts); intermediate values come one row per trial as arrays
 * (float8[] keeps +-Infinity, which JSON cannot). Run inside a transaction, so the
 * queries see one snapshot. In no particular order.
 */
export async function loadTrialsPg(session: PgSession, distributions: DistributionCache, scope: TrialScope): Promise<FrozenTrial[]> {
  const [where, args] = scopeSql(scope);
  const rows = await session.rows<TrialRow>(`SELECT ${TRIAL_COLUMNS_SQL} FROM trials t LEFT JOIN trial_values v ON v.trial_id = t.trial_id WHERE ${where}`, args);
  if (rows.length === 0) return [];
  const trials = new TrialHydrator(rows, distributions);

  const params = await session.arrays<ParamRow>(
    `SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json
     FROM trials t JOIN trial_params p ON p.trial_id = t.trial_id WHERE ${where} ORDER BY p.seq`,
    args,
  );
  for (const [trialId, name, value, distText] of params) trials.param(trialId, name, value, distText);

  const inters = await session.arrays<IntermediateRow>(
    `SELECT i.trial_id, array_agg(i.step ORDER BY i.step), array_agg(i.value ORDER BY i.step), array_agg(i.metrics_json ORDER BY i.step)
     FROM trials t JOIN trial_intermediate_values i ON i.trial_id = t.trial_id WHERE ${where}
     GROUP BY i.trial_id`,
    args,
  );
  for (const [trialId, steps, values, metrics] of inters) trials.intermediateArrays(trialId, steps, values, metrics);

  for (const [table, kind] of [
    ['trial_user_attributes', 'user'],
    ['trial_system_attributes', 'system'],
  ] as const) {
    const attrs = await session.arrays<AttrRow>(
      `SELECT a.trial_id, a.key, a.value_json FROM trials t JOIN ${table} a ON a.trial_id = t.trial_id WHERE ${where} ORDER BY a.seq`,
      args,
    );
    for (const [trialId, key, json] of attrs) trials.attr(trialId, kind, key, json);
  }
  return trials.trials();
}

function scopeSql(scope: TrialScope): [where: string, args: unknown[]] {
  if (scope.kind === 'ids') return ['t.trial_id = ANY($1::int[])', [scope.ids]];
  if (scope.states === undefined) return ['t.study_id = $1', [scope.studyId]];
  return ['t.study_id = $1 AND t.state = ANY($2::text[])', [scope.studyId, scope.states]];
}
