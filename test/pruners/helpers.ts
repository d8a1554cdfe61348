import type { Direction } from '../../src/core/search-space.js';
import type { FrozenTrial, TrialState } from '../../src/core/trial.js';
import type { PruneContext } from '../../src/pruners/base.js';

/** (step, value) pairs, in step order. */
export type Reports = ReadonlyArray<readonly [number, number]>;

let nextId = 1;

/** A minimal but complete FrozenTrial: only state and intermediate values matter to pruners. */
export function frozen(state: TrialState, reports: Reports): FrozenTrial {
  const id = nextId++;
  const last = reports.at(-1);
  return {
    id,
    number: id - 1,
    state,
    params: {},
    distributions: {},
    value: state === 'COMPLETE' || state === 'PRUNED' ? (last?.[1] ?? null) : null,
    intermediate: reports.map(([step, value]) => ({ step, value })),
    seed: null,
    startedAt: new Date(0),
    completedAt: state === 'RUNNING' || state === 'WAITING' ? null : new Date(1000),
    heartbeatAt: null,
    host: null,
    pid: null,
    backend: null,
    failReason: state === 'FAIL' ? 'test' : null,
    retries: 0,
    userAttrs: {},
    systemAttrs: {},
  };
}

/** Reports of `value` at every step 0..lastStep. */
export function flat(lastStep: number, value: number): Reports {
  return Array.from({ length: lastStep + 1 }, (_, step) => [step, value] as const);
}

export function ctx(direction: Direction, trial: FrozenTrial, trials: readonly FrozenTrial[]): PruneContext {
  return { direction, trial, trials };
}
