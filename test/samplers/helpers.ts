import { distributionsOf } from '../../src/core/distributions.js';
import type { Direction, Params, SearchSpace } from '../../src/core/search-space.js';
import type { Sampler } from '../../src/samplers/base.js';
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

/** Runs ask/tell in memory (every trial COMPLETE with `f`'s value) and returns the trials. */
export function optimize(sampler: Sampler, space: SearchSpace, f: (p: Params) => number, n: number, direction: Direction = 'minimize'): FrozenTrial[] {
  const trials: FrozenTrial[] = [];
  for (let t = 0; t < n; t++) {
    const params = sampler.sample({ space, direction, trials, trialNumber: t });
    trials.push(makeTrial(t, space, params, 'COMPLETE', f(params)));
  }
  return trials;
}
