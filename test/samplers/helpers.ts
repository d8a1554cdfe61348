import { distributionsOf } from '../../src/core/distributions.js';
import type { Params, SearchSpace } from '../../src/core/search-space.js';
import { createFrozenTrial, type FrozenTrial, type IntermediateValue, type TrialState } from '../../src/core/trial.js';

/** A FrozenTrial as storage would return it, with only what samplers read filled in. */
export function makeTrial(
  number: number,
  space: SearchSpace,
  params: Params,
  state: TrialState = 'COMPLETE',
  value: number | null = null,
  intermediate: readonly IntermediateValue[] = [],
): FrozenTrial {
  return createFrozenTrial({ number, state, params, distributions: distributionsOf(space, params), value, intermediate });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
