import type { Distribution, Params } from './search-space.js';

export type TrialState = 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL' | 'WAITING';

/** Metrics of one epoch (or the final test metrics): names to numbers, plus optional arrays. */
export type Metrics = Record<string, number | number[] | number[][]>;

export interface IntermediateValue {
  readonly step: number;
  /** The objective metric at this step (NaN allowed: the pruner prunes it). */
  readonly value: number;
  /** Every other metric of this step (loss, accuracy, per-class recall, ...). */
  readonly metrics?: Metrics;
}

/**
 * An immutable snapshot of a trial as stored, in the spirit of Optuna's `FrozenTrial`.
 * Samplers and pruners read only this; they never see the database.
 */
export interface FrozenTrial {
  /** Storage-wide id. */
  readonly id: number;
  /** 0-based number, unique within its study. */
  readonly number: number;
  readonly state: TrialState;
  /** External values (categoricals as their choice, not their index). */
  readonly params: Params;
  readonly distributions: Readonly<Record<string, Distribution>>;
  /** Objective value: final for COMPLETE, the last intermediate for PRUNED, else null. */
  readonly value: number | null;
  /** Ordered by step. */
  readonly intermediate: readonly IntermediateValue[];
  readonly seed: number | null;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly heartbeatAt: Date | null;
  readonly host: string | null;
  readonly pid: number | null;
  readonly backend: string | null;
  readonly failReason: string | null;
  /** Number of times this trial was restarted after its process died. */
  readonly retries: number;
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly systemAttrs: Readonly<Record<string, unknown>>;
}

/** The states a trial never leaves: the one list storage, the study and samplers use. */
export const FINISHED_STATES: readonly TrialState[] = ['COMPLETE', 'PRUNED', 'FAIL'];

export function isFinished(state: TrialState): boolean {
  return FINISHED_STATES.includes(state);
}

/** Scalar metrics only: per-class arrays and confusion matrices do not fit a table cell or a pruner. */
export function scalarMetrics(metrics: Metrics): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics)) if (typeof v === 'number') out[k] = v;
  return out;
}

/**
 * A FrozenTrial made outside storage, everything not given left empty (Optuna's
 * `create_trial`): for driving samplers and pruners with simulated or foreign histories.
 * `id` defaults to `number + 1`, as storage numbers a fresh study's trials.
 */
export function createFrozenTrial(fields: Pick<FrozenTrial, 'number' | 'state'> & Partial<FrozenTrial>): FrozenTrial {
  return {
    id: fields.number + 1,
    params: {},
    distributions: {},
    value: null,
    intermediate: [],
    seed: null,
    startedAt: null,
    completedAt: null,
    heartbeatAt: null,
    host: null,
    pid: null,
    backend: null,
    failReason: null,
    retries: 0,
    userAttrs: {},
    systemAttrs: {},
    ...fields,
  };
}
