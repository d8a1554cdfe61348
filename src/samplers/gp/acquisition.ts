import { erfc } from '../tpe/truncnorm.js';
import type { GaussianProcess } from './regressor.js';

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_HALF_PI = Math.sqrt(0.5 * Math.PI);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The scaled complementary error function erfcx(x) = exp(x²) erfc(x), for x ≥ 0. Beyond
 * x = 10 from the continued fraction √π erfcx(x) = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * (Abramowitz & Stegun 7.1.14), which converges fast there and never overflows; below, from
 * erfc directly, where exp(x²) is still small enough.
 */
export function erfcx(x: number): number {
  if (x < 10) return Math.exp(x * x) * erfc(x);
  let t = x;
  for (let k = 60; k >= 1; k--) t = x + k / 2 / t;
  return 1 / (Math.sqrt(Math.PI) * t);
}

/** log E[max(0, ξ + z)] for ξ ~ N(0, 1) and its derivative in z. */
export interface LogEIValue {
  readonly value: number;
  readonly derivative: number;
}

/**
 * log h(z) with h(z) = E[max(0, ξ + z)] = z Φ(z) + φ(z), the standardised expected
 * improvement, evaluated stably as in Ament et al. 2023, "Unexpected improvements to
 * expected improvement for Bayesian optimization", eq. 9, and optuna/_gp/acqf.py
 * `standard_logei`: directly for z ≥ −25, and for z < −25 (where z Φ(z) + φ(z) cancels
 * and underflows) as −z²/2 − log √(2π) + log(1 + z·r(z)), r(z) = √(π/2) erfcx(−z/√2) = Φ/φ.
 * The derivative is h'(z)/h(z) = Φ(z)/h(z) = r/(1 + z r).
 */
export function standardLogEI(z: number): LogEIValue {
  if (z >= -25) {
    const cdf = 0.5 * erfc(-SQRT_HALF * z);
    const h = z * cdf + Math.exp(-0.5 * z * z) * INV_SQRT_2PI;
    return { value: Math.log(h), derivative: cdf / h };
  }
  const r = SQRT_HALF_PI * erfcx(-SQRT_HALF * z);
  const q = 1 + z * r;
  return { value: -0.5 * z * z - LOG_SQRT_2PI + Math.log(q), derivative: r / q };
}

/** log EI of a Gaussian posterior and its partial derivatives in the mean and the variance. */
export interface LogEI {
  readonly value: number;
  readonly dMean: number;
  readonly dVariance: number;
}

/**
 * log E[max(0, Y − f0)] for Y ~ N(mean, variance): log h((mean − f0)/σ) + log σ. The values
 * are to be maximised (the sampler flips minimised objectives). A variance of 0 is raised
 * to `stabilizingNoise` (Optuna's 1e-12), as in `LogEI`, which keeps the logarithm finite
 * at the observed points.
 */
export function logExpectedImprovement(mean: number, variance: number, f0: number, stabilizingNoise = 1e-12): LogEI {
  const v = variance + stabilizingNoise;
  const sigma = Math.sqrt(v);
  const z = (mean - f0) / sigma;
  const h = standardLogEI(z);
  return {
    value: h.value + Math.log(sigma),
    dMean: h.derivative / sigma,
    // ∂z/∂v = −z / (2v), ∂ log σ/∂v = 1 / (2v).
    dVariance: (1 - h.derivative * z) / (2 * v),
  };
}

/**
 * log EI over a fitted GP as a function of the encoded point (optuna/_gp/acqf.py `LogEI`):
 * the improvement is over `threshold`, the best standardised value observed so far.
 */
export class LogEIAcquisition {
  readonly #gp: GaussianProcess;
  readonly #threshold: number;
  readonly #meanGrad: Float64Array;
  readonly #varGrad: Float64Array;

  constructor(gp: GaussianProcess, threshold: number) {
    this.#gp = gp;
    this.#threshold = threshold;
    this.#meanGrad = new Float64Array(gp.dim);
    this.#varGrad = new Float64Array(gp.dim);
  }

  get gp(): GaussianProcess {
    return this.#gp;
  }

  value(x: ArrayLike<number>): number {
    const p = this.#gp.posterior(x);
    return logExpectedImprovement(p.mean, p.variance, this.#threshold).value;
  }

  /** The value, with its gradient in the coordinates `dims` written to `grad` (same order). */
  valueAndGradient(x: ArrayLike<number>, dims: readonly number[], grad: Float64Array): number {
    const p = this.#gp.posterior(x, { dims, mean: this.#meanGrad, variance: this.#varGrad });
    const ei = logExpectedImprovement(p.mean, p.variance, this.#threshold);
    for (let k = 0; k < dims.length; k++) grad[k] = ei.dMean * this.#meanGrad[k]! + ei.dVariance * this.#varGrad[k]!;
    return ei.value;
  }
}
