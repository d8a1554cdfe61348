/**
 * What a model builder reads of a trial's hyperparameters. The values, their defaults per
 * model and their rules are those of `src/config/hyperparams.ts` (`resolveHyperparams`).
 */
import { type Hyperparams, lookupParam } from '../config/hyperparams.js';
import type { Params } from '../core/search-space.js';

export type ModelHyper = Pick<Hyperparams, 'hidden' | 'gruHidden' | 'numLayers' | 'numBlocks' | 'dropout'>;

export function modelHyper(hp: Hyperparams): ModelHyper {
  return { hidden: hp.hidden, gruHidden: hp.gruHidden, numLayers: hp.numLayers, numBlocks: hp.numBlocks, dropout: hp.dropout };
}

/**
 * A number from params, then defaults, then `fallback`, with a range check. Only `lr_factor`
 * is read this way (`src/train/run-state.ts`): its fallback is the study's
 * `lr_schedule.factor`, not a table value; everything else reads `resolveHyperparams`.
 */
export function numberParam(
  name: string,
  params: Params,
  defaults: Params | undefined,
  fallback: number,
  check: { integer?: boolean; min?: number; max?: number; maxExclusive?: boolean } = {},
): number {
  const raw = lookupParam(name, params, defaults);
  const value = raw === undefined ? fallback : raw;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`parameter ${name} must be a finite number, got ${JSON.stringify(value)}`);
  }
  if (check.integer === true && !Number.isInteger(value)) throw new Error(`parameter ${name} must be an integer, got ${value}`);
  if (check.min !== undefined && value < check.min) throw new Error(`parameter ${name} must be >= ${check.min}, got ${value}`);
  if (check.max !== undefined && (check.maxExclusive === true ? value >= check.max : value > check.max)) {
    throw new Error(`parameter ${name} must be ${check.maxExclusive === true ? '<' : '<='} ${check.max}, got ${value}`);
  }
  return value;
}
