import { cholesky, choleskyInverse, choleskyLogDet, choleskySolve, NotPositiveDefiniteError } from './linalg.js';
import { dimDistance, matern52, matern52Derivative, type KernelParams } from './kernel.js';
import { minimize } from './lbfgs.js';
import { GaussianProcess } from './regressor.js';

/** Lower bound of the noise variance (optuna/_gp/prior.py `DEFAULT_MINIMUM_NOISE_VAR`). */
export const DEFAULT_MINIMUM_NOISE_VAR = 1e-6;

/**
 * The kernel hyperparameters are optimised in log space so that they stay positive:
 * raw = [log isl_1 .. log isl_d, log kernelScale, log(noiseVar − minimumNoise)].
 */
export function kernelParamsFromRaw(raw: ArrayLike<number>, dim: number, minimumNoise: number): KernelParams {
  const isl = new Float64Array(dim);
  for (let i = 0; i < dim; i++) isl[i] = Math.exp(raw[i]!);
  return { inverseSquaredLengthscales: isl, kernelScale: Math.exp(raw[dim]!), noiseVar: Math.exp(raw[dim + 1]!) + minimumNoise };
}

/**
 * Log density of Optuna's hand-picked prior (optuna/_gp/prior.py `default_log_prior`),
 * up to a constant: −Σ (0.1/isl + 0.1·isl) on the inverse squared lengthscales (it keeps
 * every lengthscale near 1 on the unit cube, so a dimension is neither ignored nor
 * over-fitted from a few points), Gamma(2, 1) on the kernel scale and Gamma(1.1, 30) on
 * the noise variance (which favours small noise). Writes the gradient in raw parameters.
 */
export function logPrior(p: KernelParams, minimumNoise: number, grad: Float64Array): number {
  const dim = p.inverseSquaredLengthscales.length;
  let v = 0;
  for (let i = 0; i < dim; i++) {
    const isl = p.inverseSquaredLengthscales[i]!;
    v -= 0.1 / isl + 0.1 * isl;
    grad[i] = 0.1 / isl - 0.1 * isl;
  }
  v += Math.log(p.kernelScale) - p.kernelScale;
  grad[dim] = 1 - p.kernelScale;
  v += 0.1 * Math.log(p.noiseVar) - 30 * p.noiseVar;
  grad[dim + 1] = (0.1 / p.noiseVar - 30) * (p.noiseVar - minimumNoise);
  return v;
}

/**
 * Per-pair, per-dimension distances d_j(a, b) of the training points for a < b, laid out
 * pair-major, computed once per fit: the likelihood is evaluated for many kernel
 * parameters over the same points.
 */
export function pairDistances(x: Float64Array, n: number, dim: number, categorical: readonly boolean[]): Float64Array {
  const out = new Float64Array(((n * (n - 1)) / 2) * dim);
  let o = 0;
  for (let a = 1; a < n; a++) {
    for (let b = 0; b < a; b++) {
      for (let j = 0; j < dim; j++) out[o++] = dimDistance(x[a * dim + j]!, x[b * dim + j]!, categorical[j]!);
    }
  }
  return out;
}

/**
 * The log marginal likelihood of y under the GP, without its constant:
 * −½ log det C − ½ yᵀ C⁻¹ y, and its gradient in raw parameters,
 * ∂/∂θ = ½ tr((α αᵀ − C⁻¹) ∂C/∂θ) with α = C⁻¹ y (Rasmussen & Williams 2006, eq. 5.9).
 * Throws NotPositiveDefiniteError when C cannot be factored.
 */
export function logMarginalLikelihood(
  pairs: Float64Array,
  y: ArrayLike<number>,
  dim: number,
  p: KernelParams,
  minimumNoise: number,
  grad: Float64Array,
): number {
  const n = y.length;
  const isl = p.inverseSquaredLengthscales;
  const c = new Float64Array(n * n);
  // m'(r²) per pair, kept for the gradient.
  const dm = new Float64Array((n * (n - 1)) / 2);
  let pair = 0;
  for (let a = 0; a < n; a++) {
    c[a * n + a] = p.kernelScale + p.noiseVar;
    for (let b = 0; b < a; b++, pair++) {
      let s = 0;
      const o = pair * dim;
      for (let j = 0; j < dim; j++) s += isl[j]! * pairs[o + j]!;
      const k = p.kernelScale * matern52(s);
      c[a * n + b] = k;
      c[b * n + a] = k;
      dm[pair] = p.kernelScale * matern52Derivative(s);
    }
  }
  const l = cholesky(c, n);
  const alpha = choleskySolve(l, n, y);
  let quad = 0;
  for (let i = 0; i < n; i++) quad += y[i]! * alpha[i]!;
  const value = -0.5 * choleskyLogDet(l, n) - 0.5 * quad;

  const inv = choleskyInverse(l, n);
  grad.fill(0, 0, dim + 2);
  let dScale = 0;
  let dNoise = 0;
  pair = 0;
  for (let a = 0; a < n; a++) {
    const waa = alpha[a]! * alpha[a]! - inv[a * n + a]!;
    // Diagonal: ∂C_aa/∂log scale = kernelScale, ∂C_aa/∂raw noise = noiseVar − minimumNoise.
    dScale += 0.5 * waa * p.kernelScale;
    dNoise += 0.5 * waa * (p.noiseVar - minimumNoise);
    for (let b = 0; b < a; b++, pair++) {
      const wab = alpha[a]! * alpha[b]! - inv[a * n + b]!;
      // Off-diagonal pairs count twice in the trace; ∂C_ab/∂log scale = C_ab.
      dScale += wab * c[a * n + b]!;
      const coef = wab * dm[pair]!;
      const o = pair * dim;
      for (let j = 0; j < dim; j++) grad[j] = grad[j]! + coef * pairs[o + j]! * isl[j]!;
    }
  }
  grad[dim] = dScale;
  grad[dim + 1] = dNoise;
  return value;
}

export interface FitOptions {
  readonly minimumNoise?: number;
  /** Stop when the largest gradient component of the loss is below this (Optuna: 1e-2). */
  readonly gtol?: number;
  readonly maxIterations?: number;
}

/**
 * Fits the kernel parameters by maximising log marginal likelihood + log prior
 * (a MAP estimate) from Optuna's starting point (every raw parameter 0: lengthscales,
 * kernel scale and noise 1), then conditions the GP on the data with them. Optuna warm
 * starts from the previous trial's fit, which this stateless sampler cannot; its fallback,
 * the default parameters, is used here too when the optimisation fails outright.
 */
export function fitGaussianProcess(x: Float64Array, y: Float64Array, dim: number, categorical: readonly boolean[], options: FitOptions = {}): GaussianProcess {
  const minimumNoise = options.minimumNoise ?? DEFAULT_MINIMUM_NOISE_VAR;
  const pairs = pairDistances(x, y.length, dim, categorical);
  const priorGrad = new Float64Array(dim + 2);
  const loss = (raw: Float64Array, grad: Float64Array): number => {
    const p = kernelParamsFromRaw(raw, dim, minimumNoise);
    let mll: number;
    try {
      mll = logMarginalLikelihood(pairs, y, dim, p, minimumNoise, grad);
    } catch (e) {
      if (e instanceof NotPositiveDefiniteError) return Infinity;
      throw e;
    }
    const prior = logPrior(p, minimumNoise, priorGrad);
    for (let i = 0; i < dim + 2; i++) grad[i] = -(grad[i]! + priorGrad[i]!);
    return -(mll + prior);
  };
  // Optuna starts the noise at 1 + 0.01·minimumNoise, i.e. raw log(1 − 0.99·minimumNoise).
  const raw0 = new Float64Array(dim + 2);
  raw0[dim + 1] = Math.log(1 - 0.99 * minimumNoise);
  const result = minimize(loss, raw0, { gtol: options.gtol ?? 1e-2, maxIterations: options.maxIterations ?? 200 });
  if (Number.isFinite(result.f)) {
    try {
      return new GaussianProcess(x, y, dim, categorical, kernelParamsFromRaw(result.x, dim, minimumNoise));
    } catch (e) {
      if (!(e instanceof NotPositiveDefiniteError)) throw e;
    }
  }
  return new GaussianProcess(x, y, dim, categorical, kernelParamsFromRaw(raw0, dim, minimumNoise));
}
