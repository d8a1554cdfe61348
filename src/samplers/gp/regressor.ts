import { cholesky, choleskySolve, solveLower, solveUpperTransposed } from './linalg.js';
import { matern52, matern52Derivative, squaredDistance, type KernelParams } from './kernel.js';

/** Where `posterior` writes the gradient of the mean and variance, for some of the dimensions. */
export interface PosteriorGradient {
  /** Dimensions to differentiate in (the continuous ones: categorical distances are not smooth). */
  readonly dims: readonly number[];
  /** ∂mean/∂x_dims[k] at k. */
  readonly mean: Float64Array;
  /** ∂variance/∂x_dims[k] at k. */
  readonly variance: Float64Array;
}

export interface Posterior {
  mean: number;
  variance: number;
}

/**
 * A Gaussian process conditioned on n observations (optuna/_gp/gp.py `GPRegressor`): with
 * C = K(X, X) + noiseVar·I factored once as C = L Lᵀ and α = C⁻¹ y, the posterior at x is
 *
 *   mean(x) = k(x)ᵀ α,   variance(x) = kernelScale − k(x)ᵀ C⁻¹ k(x)  (clamped at 0),
 *
 * with k(x) = K(X, x), the second term computed as |L⁻¹ k(x)|² for accuracy. The prior
 * mean is 0, which is why the sampler standardises the objective values first.
 */
export class GaussianProcess {
  readonly n: number;
  readonly dim: number;
  readonly #x: Float64Array;
  readonly #categorical: readonly boolean[];
  readonly params: KernelParams;
  readonly #l: Float64Array;
  readonly #alpha: Float64Array;
  // Scratch space of `posterior` (one GP is used by one caller at a time).
  readonly #k: Float64Array;
  readonly #ds: Float64Array;
  readonly #v: Float64Array;

  /** X is row-major n x dim; throws NotPositiveDefiniteError when C cannot be factored. */
  constructor(x: Float64Array, y: ArrayLike<number>, dim: number, categorical: readonly boolean[], params: KernelParams) {
    this.n = y.length;
    this.dim = dim;
    this.#x = x;
    this.#categorical = categorical;
    this.params = params;
    this.#l = cholesky(trainingCovariance(x, this.n, dim, categorical, params), this.n);
    this.#alpha = choleskySolve(this.#l, this.n, y);
    this.#k = new Float64Array(this.n);
    this.#ds = new Float64Array(this.n);
    this.#v = new Float64Array(this.n);
  }

  /** Posterior mean and variance at the point x (length dim), and their gradient if asked. */
  posterior(x: ArrayLike<number>, gradient?: PosteriorGradient): Posterior {
    const { n, dim } = this;
    const { inverseSquaredLengthscales: isl, kernelScale } = this.params;
    const k = this.#k;
    const ds = this.#ds;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const s = squaredDistance(x, 0, this.#x, i * dim, isl, this.#categorical);
      k[i] = kernelScale * matern52(s);
      if (gradient !== undefined) ds[i] = kernelScale * matern52Derivative(s);
      mean += k[i]! * this.#alpha[i]!;
    }
    const v = solveLower(this.#l, n, k, this.#v);
    let explained = 0;
    for (let i = 0; i < n; i++) explained += v[i]! * v[i]!;
    const variance = Math.max(0, kernelScale - explained);
    if (gradient !== undefined) {
      // w = C⁻¹ k; ∂k_i/∂x_j = kernelScale · m'(r_i²) · isl_j · 2 (x_j − X_ij).
      const w = solveUpperTransposed(this.#l, n, v, v);
      gradient.dims.forEach((j, idx) => {
        let dm = 0;
        let dv = 0;
        const xj = x[j]!;
        const c = 2 * isl[j]!;
        for (let i = 0; i < n; i++) {
          const dk = ds[i]! * c * (xj - this.#x[i * dim + j]!);
          dm += this.#alpha[i]! * dk;
          dv += w[i]! * dk;
        }
        gradient.mean[idx] = dm;
        // The clamp at zero has zero slope.
        gradient.variance[idx] = variance > 0 ? -2 * dv : 0;
      });
    }
    return { mean, variance };
  }
}

/** C = K(X, X) + noiseVar·I, row-major n x n (both triangles filled). */
export function trainingCovariance(x: Float64Array, n: number, dim: number, categorical: readonly boolean[], params: KernelParams): Float64Array {
  const c = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    c[a * n + a] = params.kernelScale + params.noiseVar;
    for (let b = 0; b < a; b++) {
      const kab = params.kernelScale * matern52(squaredDistance(x, a * dim, x, b * dim, params.inverseSquaredLengthscales, categorical));
      c[a * n + b] = kab;
      c[b * n + a] = kab;
    }
  }
  return c;
}
