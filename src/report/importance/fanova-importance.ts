/**
 * Parameter importance by fANOVA (Hutter, Hoos & Leyton-Brown 2014, "An Efficient Approach
 * for Assessing Hyperparameter Importance", ICML), computed the way Optuna's
 * `FanovaImportanceEvaluator` does:
 *
 * 1. take the COMPLETE trials with a finite objective value (a seeded random subset of
 *    `maxTrials` of them in a very large study);
 * 2. encode each trial's params as a row: numbers as they are (log-scaled params as their
 *    logarithm, so that the marginal integrates over the scale the sampler searched),
 *    categoricals one-hot; every encoded column is bounded by the param's range;
 * 3. fit a seeded random forest regressor (`forest.ts`) from rows to objective values;
 * 4. in every tree, the variance of a param's marginal prediction (all its one-hot columns
 *    together) over the tree's leaf partition, divided by the tree's total variance, is the
 *    param's share in that tree (`fanova-tree.ts`); average it over the trees with non-zero
 *    variance;
 * 5. normalise the shares to sum to 1 (Optuna's `get_param_importances(normalize=True)`).
 *
 * Conditional params: like Optuna (which assesses the intersection search space of the
 * trials), only the params present in every trial used are assessed; a param missing from
 * some of them (one with `when`) is reported as not assessed, with the count of trials that
 * have it. A param with a single possible value is assessed as 0, as in Optuna.
 *
 * Pure and deterministic given the seed: no I/O, no clock, no global random state.
 */
import type { Distribution, ParamValue, Params } from '../../core/search-space.js';
import { FanovaTree, type FeatureBounds } from './fanova-tree.js';
import seedrandom from 'seedrandom';
import { fitForest, type ForestOptions } from './forest.js';

export interface ImportanceParam {
  readonly name: string;
  readonly distribution: Distribution;
}

export interface ImportanceTrial {
  readonly params: Params;
  readonly value: number;
}

export interface ParamImportance {
  readonly name: string;
  /** Normalised share (the shares of the assessed params sum to 1). */
  readonly importance: number;
  /** Standard deviation over the trees of the un-normalised share, scaled like `importance`. */
  readonly std: number;
}

export interface NotAssessedParam {
  readonly name: string;
  readonly reason: string;
}

export type ImportanceResult =
  | {
      readonly status: 'ok';
      /** Most important first. */
      readonly importances: readonly ParamImportance[];
      readonly notAssessed: readonly NotAssessedParam[];
      readonly trialsUsed: number;
      /** True when `trialsUsed` is a random subset of more usable trials (`maxTrials`). */
      readonly subsampled: boolean;
      /** Trees whose prediction varies (the others, fitted to one repeated value, are skipped). */
      readonly trees: number;
      readonly forestSize: number;
      /**
       * Sum of the un-normalised shares: the fraction of the forest's variance that the
       * params explain one at a time (the rest is interactions between params).
       */
      readonly mainEffectsShare: number;
    }
  | { readonly status: 'insufficient'; readonly reason: string; readonly trialsUsed: number };

export interface ImportanceOptions extends Partial<ForestOptions> {
  /**
   * Above this many usable trials, a seeded random subset of this size is used: fitting and
   * integrating the forest grows faster than linearly (about 2 s for 1,000 trials of 8
   * params, 15 s for 5,000), and a few thousand trials pin the shares down already.
   */
  readonly maxTrials?: number;
}

export const DEFAULT_MAX_TRIALS = 2000;

/** Encoded columns of one param and how a value maps onto them. */
interface Encoder {
  readonly param: ImportanceParam;
  readonly columns: number;
  readonly bounds: FeatureBounds;
  /** Writes the encoding of `value` at `row[offset...]`; false when the value is not encodable. */
  encode(value: ParamValue, row: Float64Array, offset: number): boolean;
}

export function fanovaImportance(
  params: readonly ImportanceParam[],
  trials: readonly ImportanceTrial[],
  options: ImportanceOptions = {},
): ImportanceResult {
  const finite = trials.filter((t) => Number.isFinite(t.value));
  const usable = subsample(finite, options.maxTrials ?? DEFAULT_MAX_TRIALS, options.seed ?? 0);
  if (usable.length < 2) {
    return {
      status: 'insufficient',
      reason: `fANOVA needs at least 2 completed trials with a finite value; this study has ${usable.length}.`,
      trialsUsed: usable.length,
    };
  }
  const notAssessed: NotAssessedParam[] = [];
  const single: ImportanceParam[] = [];
  const assessed: ImportanceParam[] = [];
  for (const p of params) {
    const present = usable.filter((t) => p.name in t.params).length;
    if (present < usable.length) {
      notAssessed.push({ name: p.name, reason: `conditional: set in ${present} of ${usable.length} completed trials` });
    } else if (isSingle(p.distribution)) {
      single.push(p);
    } else {
      assessed.push(p);
    }
  }
  if (assessed.length === 0) {
    return { status: 'insufficient', reason: 'no parameter is set in every completed trial with more than one possible value.', trialsUsed: usable.length };
  }
  const encoders = assessed.map(encoderFor);
  const width = encoders.reduce((s, e) => s + e.columns, 0);
  const rows: Float64Array[] = [];
  const values: number[] = [];
  for (const t of usable) {
    const row = new Float64Array(width);
    let offset = 0;
    let ok = true;
    for (const e of encoders) {
      ok &&= e.encode(t.params[e.param.name], row, offset);
      offset += e.columns;
    }
    // A value outside the stored space (a space edited between runs) cannot be placed.
    if (ok) {
      rows.push(row);
      values.push(t.value);
    }
  }
  if (rows.length < 2) {
    return { status: 'insufficient', reason: 'fewer than 2 completed trials have params inside the search space.', trialsUsed: rows.length };
  }
  if (Math.min(...values) === Math.max(...values)) {
    return { status: 'insufficient', reason: 'every completed trial has the same objective value, so no parameter explains any variance.', trialsUsed: rows.length };
  }

  const bounds: FeatureBounds = encoders.flatMap((e) => e.bounds);
  const columnsOf: number[][] = [];
  let offset = 0;
  for (const e of encoders) {
    columnsOf.push(Array.from({ length: e.columns }, (_, i) => offset + i));
    offset += e.columns;
  }
  const { maxTrials: _maxTrials, ...forestOptions } = options;
  const forest = fitForest(rows, values, forestOptions);
  const trees = forest.map((t) => new FanovaTree(t, bounds)).filter((t) => t.variance > 0);
  if (trees.length === 0) {
    return { status: 'insufficient', reason: 'the random forest predicts a constant: no parameter explains any variance.', trialsUsed: rows.length };
  }
  const shares = columnsOf.map((columns) => {
    const fractions = trees.map((t) => t.marginalVariance(columns) / t.variance);
    const mean = fractions.reduce((s, f) => s + f, 0) / fractions.length;
    const std = Math.sqrt(fractions.reduce((s, f) => s + (f - mean) ** 2, 0) / fractions.length);
    return { mean, std };
  });
  const total = shares.reduce((s, x) => s + x.mean, 0);
  const importances: ParamImportance[] = assessed.map((p, i) => ({
    name: p.name,
    importance: total > 0 ? shares[i].mean / total : 1 / assessed.length,
    std: total > 0 ? shares[i].std / total : 0,
  }));
  for (const p of single) importances.push({ name: p.name, importance: 0, std: 0 });
  importances.sort((a, b) => b.importance - a.importance || a.name.localeCompare(b.name));
  return { status: 'ok', importances, notAssessed, trialsUsed: rows.length, subsampled: usable.length < finite.length, trees: trees.length, forestSize: forest.length, mainEffectsShare: total };
}

/** `n` of `items` drawn without replacement by a seeded partial Fisher-Yates, in their original order. */
function subsample<T>(items: readonly T[], n: number, seed: number): readonly T[] {
  if (items.length <= n) return items;
  const rng = seedrandom.alea(`hpsearch-fanova-subsample/${seed}`);
  const index = Array.from(items, (_, i) => i);
  for (let k = 0; k < n; k++) {
    const j = k + Math.floor(rng() * (index.length - k));
    [index[k], index[j]] = [index[j], index[k]];
  }
  return index
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i]);
}

function isSingle(d: Distribution): boolean {
  return d.type === 'categorical' ? d.choices.length <= 1 : d.low === d.high;
}

function encoderFor(param: ImportanceParam): Encoder {
  const d = param.distribution;
  if (d.type === 'categorical') {
    return {
      param,
      columns: d.choices.length,
      bounds: d.choices.map(() => [0, 1] as const),
      encode(value, row, offset) {
        const k = d.choices.findIndex((c) => c === value);
        if (k < 0) return false;
        row[offset + k] = 1;
        return true;
      },
    };
  }
  const scale = d.log ? Math.log : (v: number): number => v;
  const lo = scale(d.low);
  const hi = scale(d.high);
  return {
    param,
    columns: 1,
    bounds: [[lo, hi]],
    encode(value, row, offset) {
      if (typeof value !== 'number' || !Number.isFinite(value) || (d.log && value <= 0)) return false;
      // Values a hair outside the range (float rounding of a stored bound) are clamped.
      row[offset] = Math.min(hi, Math.max(lo, scale(value)));
      return true;
    },
  };
}
