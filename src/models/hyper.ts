/**
 * The architecture hyperparameters a model reads from a trial's params, with defaults.
 *
 * Resolution order for each name: the trial's `params`, then the study's fixed
 * `defaults` (`StudySettings.defaults`), then the per-model constants below, which are
 * the best configurations of the study our users ran
 * (`seeds/cnngru-2dcnn-hyperparameter-tuning.md`) and the `cnn1d` notebook's values.
 */
import type { ModelName } from '../space/settings.js';
import type { ParamValue, Params } from '../core/search-space.js';

export interface ModelHyper {
  /** Conv width (cnngru, cnn2d) and the width of the dense layers after the GRU / flatten; cnn1d: its Dense(128) width. */
  readonly hidden: number;
  /** GRU units per layer (cnngru). */
  readonly gruHidden: number;
  /** GRU layers (cnngru), or dense layers including the output layer (cnn2d). */
  readonly numLayers: number;
  /** Residual blocks (cnngru, cnn2d). */
  readonly numBlocks: number;
  /** Dropout between GRU layers (cnngru), after each hidden dense layer (cnn2d), base rate (cnn1d). */
  readonly dropout: number;
}

export const MODEL_DEFAULTS: Readonly<Record<ModelName, ModelHyper>> = {
  cnngru: { hidden: 64, gruHidden: 256, numLayers: 2, numBlocks: 5, dropout: 0.4 },
  cnn2d: { hidden: 128, gruHidden: 0, numLayers: 3, numBlocks: 1, dropout: 0.3 },
  // cnn1d has a fixed topology; only `dropout` (the first block's rate, 0.3) is tunable.
  cnn1d: { hidden: 128, gruHidden: 0, numLayers: 0, numBlocks: 0, dropout: 0.3 },
};

/** The value of `name` from params, then defaults; undefined when neither has it. */
export function lookupParam(name: string, params: Params, defaults?: Params): ParamValue | undefined {
  if (Object.prototype.hasOwnProperty.call(params, name)) return params[name];
  if (defaults != null && Object.prototype.hasOwnProperty.call(defaults, name)) return defaults[name];
  return undefined;
}

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

export function resolveHyper(name: ModelName, params: Params, defaults?: Params): ModelHyper {
  const d = MODEL_DEFAULTS[name];
  return {
    hidden: numberParam('hidden', params, defaults, d.hidden, { integer: true, min: 1 }),
    gruHidden: name === 'cnngru' ? numberParam('gru_hidden', params, defaults, d.gruHidden, { integer: true, min: 1 }) : 0,
    numLayers: name === 'cnn1d' ? 0 : numberParam('num_layers', params, defaults, d.numLayers, { integer: true, min: 1 }),
    numBlocks: name === 'cnn1d' ? 0 : numberParam('num_blocks', params, defaults, d.numBlocks, { integer: true, min: 0 }),
    dropout: numberParam('dropout', params, defaults, d.dropout, { min: 0, max: 1, maxExclusive: true }),
  };
}
