import type { ChoiceValue, Condition, Distribution, ParamSpec, ParamValue, Params } from './search-space.js';

/**
 * Conversions between a parameter's external value (what the objective sees) and its
 * internal value (what storage and samplers work on), as in Optuna's
 * `BaseDistribution.to_internal_repr`: numbers stay numbers, a categorical becomes the
 * index of its choice.
 */
export function toInternal(dist: Distribution, value: ParamValue): number {
  if (dist.type === 'categorical') {
    const i = dist.choices.findIndex((c) => c === value);
    if (i < 0) throw new RangeError(`${JSON.stringify(value)} is not one of ${JSON.stringify(dist.choices)}`);
    return i;
  }
  if (typeof value !== 'number') throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
  return value;
}

export function toExternal(dist: Distribution, internal: number): ParamValue {
  if (dist.type === 'categorical') {
    const c = dist.choices[internal];
    if (c === undefined) throw new RangeError(`choice index ${internal} out of range`);
    return c;
  }
  return dist.type === 'int' ? Math.round(internal) : internal;
}

/** Whether an external value lies in the distribution (on its grid for stepped ranges). */
export function contains(dist: Distribution, value: ParamValue): boolean {
  if (dist.type === 'categorical') return dist.choices.some((c) => c === value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (dist.type === 'int' && !Number.isInteger(value)) return false;
  if (value < dist.low || value > dist.high) return false;
  if (dist.step !== null) {
    const k = (value - dist.low) / dist.step;
    return Math.abs(k - Math.round(k)) < 1e-8;
  }
  return true;
}

/** Whether a distribution admits exactly one value. */
export function isSingle(dist: Distribution): boolean {
  if (dist.type === 'categorical') return dist.choices.length === 1;
  if (dist.step !== null) return dist.high - dist.low < dist.step;
  return dist.low === dist.high;
}

/** Whether `params` (the values chosen so far) activate a parameter guarded by `when`. */
export function conditionHolds(when: Condition | undefined, params: Params): boolean {
  if (!when) return true;
  for (const [name, allowed] of Object.entries(when)) {
    if (!(name in params)) return false;
    const v = params[name] as ChoiceValue;
    if (!allowed.some((a) => a === v)) return false;
  }
  return true;
}

/** Equality of two distributions (used to tell whether a stored trial shares a parameter). */
export function sameDistribution(a: Distribution, b: Distribution): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The distributions of the parameters present in `params`, keyed by name. */
export function distributionsOf(space: readonly ParamSpec[], params: Params): Record<string, Distribution> {
  const out: Record<string, Distribution> = {};
  for (const spec of space) if (spec.name in params) out[spec.name] = spec.distribution;
  return out;
}
