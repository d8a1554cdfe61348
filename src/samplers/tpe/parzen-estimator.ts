import type { Distribution } from '../../core/search-space.js';
import { roundToGrid, type Uniform } from '../random.js';
import { logGaussMass, normLogPdf, ppfStandard } from './truncnorm.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

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
  /**
   * Joint kernels with Scott's-rule bandwidth 0.2 n^(-1/(d+4)) * range in every dimension
   * (Falkner et al. 2018, "BOHB"), instead of per-dimension neighbour distances.
   */
  readonly multivariate: boolean;
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
/** Scott's-rule magnitude of the multivariate bandwidth (Optuna's SIGMA0_MAGNITUDE). */
const SIGMA0_MAGNITUDE = 0.2;

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

/** The kernels of one dimension of the mixture: one row per mixture component. */
interface Kernels {
  /** Draws the value of this dimension from component k. */
  sample(k: number, rng: Uniform): number;
  /** Adds log p_k(x_i) to acc[i * nKernels + k] for every point i and component k. */
  accumulateLogPdf(xs: readonly number[], acc: Float64Array): void;
  /**
   * log sum_k w_k p_k(x_i) for every point: the density of a one-dimensional mixture,
   * computed without the (points x kernels) matrix where the kernels allow it.
   */
  mixtureLogPdf(xs: readonly number[], weights: Float64Array): Float64Array;
}

/**
 * Categorical kernels (Optuna's `_BatchedCategoricalDistributions`): observation j puts
 * 1 + w/(n+1) on its observed choice and w/(n+1) on every choice, the prior row w/(n+1)
 * everywhere (w = prior weight), each row normalised. With no observation there is one
 * uniform row.
 *
 * Every observation row holds only two values (on and off its choice), so rows are kept
 * as the observed choice index rather than as n arrays of C probabilities.
 */
export class CategoricalKernels implements Kernels {
  readonly nChoices: number;
  /** The observed choice of each observation kernel (the prior kernel comes after them). */
  readonly #observed: Int32Array;
  /** Probability of an observation row on its own choice, and on any other choice. */
  readonly #pOn: number;
  readonly #pOff: number;
  /** Probability of each choice under the prior row: 1/C, or 0 when the prior weight is 0. */
  readonly #pPrior: number;

  constructor(observed: readonly number[], nChoices: number, priorWeight: number) {
    this.nChoices = nChoices;
    this.#observed = Int32Array.from(observed);
    if (observed.length === 0) {
      this.#pOn = this.#pOff = this.#pPrior = 1 / nChoices;
      return;
    }
    const base = priorWeight / (observed.length + 1);
    const sum = 1 + nChoices * base;
    this.#pOn = (1 + base) / sum;
    this.#pOff = base / sum;
    // A prior weight of 0 leaves the prior row all zero (its mixture weight is 0 too), as in Optuna.
    this.#pPrior = priorWeight > 0 ? 1 / nChoices : 0;
  }

  /** Number of rows (mixture components). */
  get size(): number {
    return Math.max(1, this.#observed.length + 1);
  }

  /** P(choice c | component k). */
  probability(k: number, c: number): number {
    if (k >= this.#observed.length) return this.#pPrior;
    return c === this.#observed[k] ? this.#pOn : this.#pOff;
  }

  /** rows[k][c] = P(choice c | component k), materialised (for inspection and tests). */
  get rows(): Float64Array[] {
    return Array.from({ length: this.size }, (_, k) => Float64Array.from({ length: this.nChoices }, (_, c) => this.probability(k, c)));
  }

  sample(k: number, rng: Uniform): number {
    const u = rng();
    let cum = 0;
    for (let c = 0; c < this.nChoices - 1; c++) {
      cum += this.probability(k, c);
      if (u < cum) return c;
    }
    return this.nChoices - 1; // rounding of the cumulative sum lands here
  }

  accumulateLogPdf(xs: readonly number[], acc: Float64Array): void {
    const nK = this.size;
    const nObs = this.#observed.length;
    const logOn = Math.log(this.#pOn);
    const logOff = Math.log(this.#pOff);
    const logPrior = Math.log(this.#pPrior);
    for (let i = 0; i < xs.length; i++) {
      const c = xs[i]!;
      const row = i * nK;
      for (let k = 0; k < nObs; k++) acc[row + k]! += c === this.#observed[k] ? logOn : logOff;
      if (nK > nObs) acc[row + nObs]! += nObs === 0 ? Math.log(1 / this.nChoices) : logPrior;
    }
  }

  /** The mixture is itself a categorical distribution: sum_k w_k rows[k], once per choice. */
  mixtureLogPdf(xs: readonly number[], weights: Float64Array): Float64Array {
    const probs = new Float64Array(this.nChoices);
    const nObs = this.#observed.length;
    if (nObs === 0) {
      probs.fill(1 / this.nChoices);
    } else {
      let wObs = 0;
      for (let k = 0; k < nObs; k++) {
        wObs += weights[k]!;
        probs[this.#observed[k]!]! += weights[k]! * (this.#pOn - this.#pOff);
      }
      for (let c = 0; c < this.nChoices; c++) probs[c]! += wObs * this.#pOff + weights[nObs]! * this.#pPrior;
    }
    return Float64Array.from(xs, (c) => Math.log(probs[c]!));
  }
}

/** log(sum_j exp(v_j)) over a row. */
function logSumExp(v: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < v.length; j++) if (v[j]! > max) max = v[j]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += Math.exp(v[j]! - max);
  return max + Math.log(sum);
}

/** Sums below this are recomputed in log space (the exp of far kernels underflowed). */
const SAFE_SUM = 1e-280;

/**
 * Normal kernels truncated to the range of a numeric parameter, in the space TPE models it
 * in: log(x) for log parameters, and for stepped floats and integers the range widened by
 * step/2 on each side with the density of a grid point taken as the kernel's mass on its
 * bin [x - step/2, x + step/2] (Optuna's `_BatchedDiscreteTrunc(Log)NormDistributions`).
 */
export class NumericalKernels implements Kernels {
  readonly mus: Float64Array;
  readonly sigmas: Float64Array;
  /** The modelled range: transformed (log) and widened by step/2 for grids. */
  readonly low: number;
  readonly high: number;
  readonly #dist: Exclude<Distribution, { type: 'categorical' }>;
  readonly #step: number | null;
  /** log(sigma_k Z_k), Z_k = mass of kernel k on [low, high] (continuous kernels only). */
  readonly #logNorm: Float64Array | null;
  /** For grids: the distinct (mu, sigma) pairs, their log Z, and each kernel's index among them. */
  readonly #unique: { mus: Float64Array; sigmas: Float64Array; logZ: Float64Array; of: Int32Array } | null;

  constructor(
    dist: Exclude<Distribution, { type: 'categorical' }>,
    mus: Float64Array,
    sigmas: Float64Array,
    low: number,
    high: number,
  ) {
    this.#dist = dist;
    this.#step = dist.step;
    this.mus = mus;
    this.sigmas = sigmas;
    this.low = low;
    this.high = high;
    // A kernel with both range ends beyond 8.5 sigma loses under 2e-17 of its mass: log Z
    // is 0 to below the rounding of the O(1) log densities it is added to, so skip the
    // two erfc calls (most kernels of a large bad group are narrow and far from the ends).
    const logZ = (mu: number, sigma: number) => {
      const a = (low - mu) / sigma;
      const b = (high - mu) / sigma;
      return a < -8.5 && b > 8.5 ? 0 : logGaussMass(a, b);
    };
    if (this.#step === null) {
      this.#logNorm = new Float64Array(mus.length);
      for (let k = 0; k < mus.length; k++) this.#logNorm[k] = logZ(mus[k]!, sigmas[k]!) + Math.log(sigmas[k]!);
      this.#unique = null;
      return;
    }
    // Bin masses cost two log-cdf evaluations per (point, kernel); the kernels of a large
    // history on a small grid repeat (same value, clipped bandwidth), so work per distinct pair.
    this.#logNorm = null;
    const index = new Map<number, Map<number, number>>();
    const of = new Int32Array(mus.length);
    const uMus: number[] = [];
    const uSigmas: number[] = [];
    for (let k = 0; k < mus.length; k++) {
      let bySigma = index.get(mus[k]!);
      if (bySigma === undefined) index.set(mus[k]!, (bySigma = new Map()));
      let j = bySigma.get(sigmas[k]!);
      if (j === undefined) {
        j = uMus.length;
        bySigma.set(sigmas[k]!, j);
        uMus.push(mus[k]!);
        uSigmas.push(sigmas[k]!);
      }
      of[k] = j;
    }
    this.#unique = {
      mus: Float64Array.from(uMus),
      sigmas: Float64Array.from(uSigmas),
      logZ: Float64Array.from(uMus, (mu, j) => logZ(mu, uSigmas[j]!)),
      of,
    };
  }

  sample(k: number, rng: Uniform): number {
    const mu = this.mus[k]!;
    const sigma = this.sigmas[k]!;
    let x = mu + sigma * ppfStandard(rng(), (this.low - mu) / sigma, (this.high - mu) / sigma);
    if (this.#dist.log) x = Math.exp(x);
    const { low, high } = this.#dist;
    if (this.#step !== null) return roundToGrid(x, low, high, this.#step);
    // exp(log(high)) can exceed high by an ulp.
    return Math.min(high, Math.max(low, x));
  }

  /** The point in modelled space, or NaN outside the support. */
  #transform(x: number): number {
    const t = this.#dist.log ? Math.log(x) : x;
    return t < this.low || t > this.high ? NaN : t;
  }

  /** For a grid point x: log(mass of each distinct kernel on x's bin / its Z). */
  #binLogMasses(x: number): Float64Array {
    const u = this.#unique!;
    const half = this.#step! / 2;
    const left = this.#dist.log ? Math.log(x - half) : x - half;
    const right = this.#dist.log ? Math.log(x + half) : x + half;
    const row = new Float64Array(u.mus.length);
    for (let j = 0; j < row.length; j++) {
      const mu = u.mus[j]!;
      const sigma = u.sigmas[j]!;
      row[j] = logGaussMass((left - mu) / sigma, (right - mu) / sigma) - u.logZ[j]!;
    }
    return row;
  }

  /**
   * log sum_j W_j mass_j(bin of x) / Z_j over the distinct kernels, skipping the kernels
   * that cannot matter: a kernel's mass on [a, b] is at most (b - a) phi(t*), t* the point
   * of [a, b] nearest 0, and a kernel whose bound is e^50 below a mass already computed
   * changes the sum by less than 1e-21 relative, so its two log-cdf calls are saved. In a
   * large history most kernels are far from any given candidate.
   */
  #binMixtureLogPdf(x: number, logW: Float64Array): number {
    const u = this.#unique!;
    const half = this.#step! / 2;
    const left = this.#dist.log ? Math.log(x - half) : x - half;
    const right = this.#dist.log ? Math.log(x + half) : x + half;
    const n = u.mus.length;
    const bound = new Float64Array(n);
    let best = 0;
    for (let j = 0; j < n; j++) {
      const sigma = u.sigmas[j]!;
      const a = (left - u.mus[j]!) / sigma;
      const b = (right - u.mus[j]!) / sigma;
      const nearest = a > 0 ? a : b < 0 ? b : 0;
      bound[j] = Math.log(b - a) + normLogPdf(nearest) - u.logZ[j]! + logW[j]!;
      if (bound[j]! > bound[best]!) best = j;
    }
    const exact = (j: number) => {
      const sigma = u.sigmas[j]!;
      return logGaussMass((left - u.mus[j]!) / sigma, (right - u.mus[j]!) / sigma) - u.logZ[j]! + logW[j]!;
    };
    const floor = exact(best) - 50;
    const terms: number[] = [];
    for (let j = 0; j < n; j++) if (j === best || bound[j]! >= floor) terms.push(j === best ? floor + 50 : exact(j));
    return logSumExp(Float64Array.from(terms));
  }

  accumulateLogPdf(xs: readonly number[], acc: Float64Array): void {
    const nK = this.mus.length;
    if (this.#logNorm !== null) {
      const logNorm = this.#logNorm;
      for (let i = 0; i < xs.length; i++) {
        const x = this.#transform(xs[i]!);
        for (let k = 0; k < nK; k++) {
          const z = (x - this.mus[k]!) / this.sigmas[k]!;
          // NaN (outside the support) makes the density 0.
          acc[i * nK + k]! += Number.isNaN(z) ? -Infinity : normLogPdf(z) - logNorm[k]!;
        }
      }
      return;
    }
    const of = this.#unique!.of;
    const cache = new Map<number, Float64Array>();
    for (let i = 0; i < xs.length; i++) {
      let row = cache.get(xs[i]!);
      if (row === undefined) cache.set(xs[i]!, (row = this.#binLogMasses(xs[i]!)));
      for (let k = 0; k < nK; k++) acc[i * nK + k]! += row[of[k]!]!;
    }
  }

  mixtureLogPdf(xs: readonly number[], weights: Float64Array): Float64Array {
    const out = new Float64Array(xs.length);
    const nK = this.mus.length;
    if (this.#logNorm !== null) {
      // Sum the densities directly: one exp per (point, kernel), no log-space matrix.
      const logNorm = this.#logNorm;
      const coef = Float64Array.from(logNorm, (ln, k) => weights[k]! * Math.exp(-ln - LOG_SQRT_2PI));
      for (let i = 0; i < xs.length; i++) {
        const x = this.#transform(xs[i]!);
        if (Number.isNaN(x)) {
          out[i] = -Infinity;
          continue;
        }
        let sum = 0;
        for (let k = 0; k < nK; k++) {
          const z = (x - this.mus[k]!) / this.sigmas[k]!;
          // Beyond |z| = 38.6, exp(-z^2/2) underflows to 0 anyway: skip the call.
          if (z * z < 1490) sum += coef[k]! * Math.exp(-0.5 * z * z);
        }
        if (sum > SAFE_SUM) {
          out[i] = Math.log(sum);
          continue;
        }
        // Every kernel is far away: redo this point in log space.
        const terms = new Float64Array(nK);
        for (let k = 0; k < nK; k++) terms[k] = Math.log(weights[k]!) + normLogPdf((x - this.mus[k]!) / this.sigmas[k]!) - logNorm[k]!;
        out[i] = logSumExp(terms);
      }
      return out;
    }
    // Grid: the mixture weight of each distinct kernel is the sum of its copies' weights.
    const u = this.#unique!;
    const logW = new Float64Array(u.mus.length);
    for (let k = 0; k < nK; k++) logW[u.of[k]!]! += weights[k]!;
    for (let j = 0; j < logW.length; j++) logW[j] = Math.log(logW[j]!);
    const cache = new Map<number, number>();
    for (let i = 0; i < xs.length; i++) {
      let v = cache.get(xs[i]!);
      if (v === undefined) cache.set(xs[i]!, (v = this.#binMixtureLogPdf(xs[i]!, logW)));
      out[i] = v;
    }
    return out;
  }
}

/**
 * Bandwidths of univariate TPE (Bergstra et al. 2011, and Optuna's
 * `_calculate_numerical_distributions`): each kernel's sigma is the larger distance to its
 * neighbours in the sorted list low, mu_1..mu_n, high. Without `considerEndpoints` (and
 * n >= 2) the smallest and largest observations use their inner neighbour only.
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
 *   to the sorted neighbours (`neighbourBandwidths`); multivariate, Scott's rule
 *   0.2 n^(-1/(d+4)) (high - low). Both are clipped to
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
          : numericalKernels(dist, obs, parameters, space.length),
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
  dimensions: number,
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

  let sigmas: Float64Array;
  if (parameters.multivariate) {
    sigmas = new Float64Array(n).fill(SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (dimensions + 4)) * range);
  } else {
    sigmas = neighbourBandwidths(mus, low, high, parameters.considerEndpoints);
  }
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
