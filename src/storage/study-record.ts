import type { Direction } from '../core/search-space.js';
import type { TrialState } from '../core/trial.js';
import { decodeAttr, type TimeColumn } from './codec.js';
import type { StudyRecord, StudySummary } from './types.js';

/** Studies as the schema (sqlite/migrations.ts) holds them, turned into what Storage returns. */

/** One row of `studies`. */
export interface StudyRow {
  study_id: number;
  study_name: string;
  direction: Direction;
  objective_metric: string;
  space_yaml: string | null;
  settings_json: string;
  created_at: TimeColumn;
}

const ALL_STATES: readonly TrialState[] = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'];

export function studyRecord(row: StudyRow): StudyRecord {
  return {
    id: row.study_id,
    name: row.study_name,
    direction: row.direction,
    metric: row.objective_metric,
    yaml: row.space_yaml,
    settings: decodeAttr(row.settings_json),
    createdAt: new Date(row.created_at),
  };
}

/**
 * A study's line in listStudies. `model` is the settings' `model` field (read by the
 * query, so the settings JSON is not parsed here), `counts` the trials per state (states
 * without trials may be missing), `best` the best COMPLETE trial with a value, if any.
 */
export function studySummary(
  row: StudyRow,
  model: unknown,
  counts: readonly { readonly state: TrialState; readonly n: number }[],
  best: { readonly number: number; readonly value: number } | undefined,
): StudySummary {
  const byState = Object.fromEntries(ALL_STATES.map((st) => [st, 0])) as Record<TrialState, number>;
  for (const c of counts) byState[c.state] = c.n;
  return {
    name: row.study_name,
    direction: row.direction,
    metric: row.objective_metric,
    model: typeof model === 'string' ? model : null,
    counts: byState,
    bestValue: best?.value ?? null,
    bestNumber: best?.number ?? null,
    createdAt: new Date(row.created_at),
  };
}
