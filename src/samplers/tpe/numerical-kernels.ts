import type { Distribution } from '../../core/search-space.js';
import { roundToGrid, type Uniform } from '../random.js';
import { logSumExp, type Kernels } from './kernels.js';
import { logGaussMass, normLogPdf, ppfStandard } from './truncnorm.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

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
