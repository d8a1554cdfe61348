import type { Distribution } from '../../core/search-space.js';
import type { Uniform } from '../random.js';
import { CategoricalKernels } from './categorical-kernels.js';
import { logSumExp } from './kernels.js';
import { NumericalKernels } from './numerical-kernels.js';

/**
 * How the Parzen estimators of TPE are built. The defaults (see `TPESampler`) are
 * Optuna's: prior weight 1, magic clip on, endpoints off, `defaultWeights`.
 */
export interface ParzenEstimatorParameters {
  /** Weight of the prior kernel, relative to observation weights (Optuna: 1.0). */
  readonly priorWeight: number;
  /** Clip every bandwidth from below at range / min(100, n + 2) (hyperopt's "magic clip"). */
  readonly considerMagicClip: boolean;
  /**
   * Let the range ends count as neighbours of the outermost observations when choosing
   * their bandwidths. Off by default: the outermost kernels then take the distance to their
   * only inner neighbour, which keeps them narrow near a boundary optimum.
   */
  readonly considerEndpoints: boolean;
  /** Weights of n observations given in trial-number order (oldest first). */
  readonly weights: (n: number) => readonly number[];
}

/** One dimension of an estimator's space. */
export interface EstimatorParam {
  readonly name: string;
  readonly distribution: Distribution;
}

/**
 * Points in internal representation (numbers as they are, categoricals as choice
 * indices), one array per parameter, all of the same length.
 */
export type Points = Record<string, number[]>;

/** Below this, a bandwidth is taken as degenerate (Optuna's EPS). */
const EPS = 1e-12;

/**
 * Optuna's `default_weights`: 1 for the newest 25 observations and, below them, a linear
 * ramp from 1/n up to 1 for the older ones (Bergstra et al. 2013, "Making a science of
 * model search"), so that the model forgets the early, random part of the history.
 */
export function defaultWeights(n: number): number[] {
  if (n <= 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = linspace(1 / n, 1, n - 25);
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** numpy.linspace(start, stop, num) with endpoint. */
function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const out = new Array<number>(num);
  const d = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * d;
  out[num - 1] = stop;
  return out;
}

/**
 * Bandwidths of TPE (Bergstra et al. 2011, and Optuna's `_calculate_numerical_distributions`):
 * each kernel's sigma is the larger distance to its neighbours in the sorted list low,
 * mu_1..mu_n, high. Without `considerEndpoints` (and n >= 2) the smallest and largest
 * observations use their inner neighbour only. The prior's mean is not among the
 * neighbours (Optuna 3.1 counted it, its main branch does not; docs/algorithms.md has
 * what counting it costs).
 */
export function neighbourBandwidths(mus: readonly number[], low: number, high: number, considerEndpoints: boolean): Float64Array {
  const n = mus.length;
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sorted = [low, ...order.map((i) => mus[i]!), high];
  const sortedSigmas = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    sortedSigmas[j] = Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!);
  }
  if (!considerEndpoints && n >= 2) {
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[n - 1] = sorted[n]! - sorted[n - 1]!;
  }
  const sigmas = new Float64Array(n);
  for (let j = 0; j < n; j++) sigmas[order[j]!] = sortedSigmas[j]!;
  return sigmas;
}

/**
 * The Parzen estimator of TPE: a mixture over components k = 1..n (one per observation)
 * plus a prior component, each a product over dimensions of a truncated normal (numeric
 * parameters) or a smoothed one-hot distribution (categoricals).
 *
 * - Mixture weights: `weights(n)` for the observations (in trial-number order) and
 *   `priorWeight` for the prior, normalised; with no observation, the prior alone.
 * - Numeric kernels sit on the observations, in log space for log parameters, truncated to
 *   the range (widened by step/2 for grids). Bandwidths: univariate, the larger distance
 *   to the sorted neighbours (`neighbourBandwidths`), per dimension in joint estimators too
 *   (as Optuna does since multivariate became its default; see docs/algorithms.md for what
 *   the Scott's-rule bandwidth of the BOHB paper cost). They are clipped to
 *   [(high - low) / min(100, n + 2), high - low] when `considerMagicClip` is set
 *   (hyperopt's magic clip), else to [EPS, high - low].
 * - The prior kernel: mean at the middle of the range, sigma = high - low; uniform over
 *   categorical choices.
 *
 * References: Bergstra, Bardenet, Bengio, Kégl 2011, "Algorithms for hyper-parameter
 * optimization"; Watanabe 2023, "Tree-structured Parzen estimator: understanding its
 * algorithm components and their roles for better empirical performance"; Optuna's
 * `optuna/samplers/_tpe/parzen_estimator.py`.
 */
export class ParzenEstimator {
  readonly space: readonly EstimatorParam[];
  /** Normalised mixture weights; the last one is the prior's. */
  readonly weights: Float64Array;
  readonly #kernels: ReadonlyMap<string, NumericalKernels | CategoricalKernels>;
  readonly #cumWeights: Float64Array;
  readonly #logWeights: Float64Array;

  constructor(observations: Readonly<Record<string, readonly number[]>>, space: readonly EstimatorParam[], parameters: ParzenEstimatorParameters) {
    if (!(parameters.priorWeight >= 0)) throw new RangeError(`priorWeight must be >= 0, got ${parameters.priorWeight}`);
    if (space.length === 0) throw new RangeError('a Parzen estimator needs at least one parameter');
    this.space = space;
    const n = observations[space[0]!.name]?.length ?? 0;
    for (const p of space) {
      if ((observations[p.name]?.length ?? 0) !== n) throw new RangeError(`observations of ${p.name} differ in length`);
    }

    let weights: number[];
    if (n === 0) {
      weights = [1];
    } else {
      weights = checkWeights(parameters.weights(n).slice(0, n), n);
      weights.push(parameters.priorWeight);
    }
    const total = weights.reduce((s, w) => s + w, 0);
    this.weights = Float64Array.from(weights, (w) => w / total);
    this.#logWeights = this.weights.map(Math.log);
    this.#cumWeights = new Float64Array(this.weights.length);
    let s = 0;
    for (let k = 0; k < this.weights.length; k++) this.#cumWeights[k] = s += this.weights[k]!;
    this.#cumWeights[this.weights.length - 1] = 1;

    const kernels = new Map<string, NumericalKernels | CategoricalKernels>();
    for (const p of space) {
      const obs = observations[p.name] ?? [];
      const dist = p.distribution;
      kernels.set(
        p.name,
        dist.type === 'categorical'
          ? new CategoricalKernels(obs, dist.choices.length, parameters.priorWeight)
          : numericalKernels(dist, obs, parameters),
      );
    }
    this.#kernels = kernels;
  }

  /** Number of mixture components (observations plus the prior). */
  get size(): number {
    return this.weights.length;
  }

  /** The kernels of one parameter (for inspection and tests). */
  kernels(name: string): NumericalKernels | CategoricalKernels {
    const k = this.#kernels.get(name);
    if (!k) throw new RangeError(`${name} is not a parameter of this estimator`);
    return k;
  }

  /** n draws from the mixture, in internal representation. */
  sample(rng: Uniform, n: number): Points {
    const out: Points = {};
    for (const p of this.space) out[p.name] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const k = this.#component(rng());
      for (const p of this.space) out[p.name]![i] = this.#kernels.get(p.name)!.sample(k, rng);
    }
    return out;
  }

  /** log of the mixture density at each point (bin mass for grid dimensions). */
  logPdf(points: Points): Float64Array {
    if (this.space.length === 1) {
      const name = this.space[0]!.name;
      return this.#kernels.get(name)!.mixtureLogPdf(points[name]!, this.weights);
    }
    const nPoints = points[this.space[0]!.name]!.length;
    const nK = this.weights.length;
    const acc = new Float64Array(nPoints * nK);
    for (let i = 0; i < nPoints; i++) acc.set(this.#logWeights, i * nK);
    for (const p of this.space) this.#kernels.get(p.name)!.accumulateLogPdf(points[p.name]!, acc);
    const out = new Float64Array(nPoints);
    for (let i = 0; i < nPoints; i++) out[i] = logSumExp(acc.subarray(i * nK, (i + 1) * nK));
    return out;
  }

  #component(u: number): number {
    const cum = this.#cumWeights;
    // Binary search for the first cumulative weight above u.
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

function checkWeights(w: readonly number[], n: number): number[] {
  if (w.length !== n) throw new RangeError(`the weights function returned ${w.length} weights for ${n} observations`);
  if (w.some((v) => !Number.isFinite(v) || v < 0)) throw new RangeError(`weights must be finite and non-negative, got ${JSON.stringify(w)}`);
  if (n > 0 && w.reduce((s, v) => s + v, 0) <= 0) throw new RangeError('weights must not be all zero');
  return [...w];
}

function numericalKernels(
  dist: Exclude<Distribution, { type: 'categorical' }>,
  observed: readonly number[],
  parameters: ParzenEstimatorParameters,
): NumericalKernels {
  let low = dist.low;
  let high = dist.high;
  if (dist.step !== null) {
    low -= dist.step / 2;
    high += dist.step / 2;
  }
  let mus = observed;
  if (dist.log) {
    low = Math.log(low);
    high = Math.log(high);
    mus = observed.map(Math.log);
  }
  const range = high - low;
  const n = mus.length;

  const sigmas = neighbourBandwidths(mus, low, high, parameters.considerEndpoints);
  const minSigma = parameters.considerMagicClip ? range / Math.min(100, n + 2) : EPS;
  for (let k = 0; k < n; k++) sigmas[k] = Math.min(range, Math.max(minSigma, sigmas[k]!));

  const allMus = new Float64Array(n + 1);
  allMus.set(mus);
  allMus[n] = 0.5 * (low + high);
  const allSigmas = new Float64Array(n + 1);
  allSigmas.set(sigmas);
  allSigmas[n] = range;
  return new NumericalKernels(dist, allMus, allSigmas, low, high);
}
