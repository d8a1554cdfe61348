import type { Distribution, Params, SearchSpace } from '../../src/space/types.js';
import type { FrozenTrial, IntermediateValue, TrialState } from '../../src/study/trial.js';

/** A FrozenTrial as storage would return it, with only what samplers read filled in. */
export function makeTrial(
  number: number,
  space: SearchSpace,
  params: Params,
  state: TrialState = 'COMPLETE',
  value: number | null = null,
  intermediate: readonly IntermediateValue[] = [],
): FrozenTrial {
  const distributions: Record<string, Distribution> = {};
  for (const spec of space) if (spec.name in params) distributions[spec.name] = spec.distribution;
  return {
    id: number + 1,
    number,
    state,
    params,
    distributions,
    value,
    intermediate,
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
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
