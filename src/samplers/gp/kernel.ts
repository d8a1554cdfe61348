/**
 * The Matérn-5/2 kernel with automatic relevance determination (one lengthscale per
 * parameter), as in optuna/_gp/gp.py: for points x, x' of the normalised space,
 *
 *   k(x, x') = kernelScale · m(r²),  r² = Σ_i isl_i · d_i(x_i, x'_i),
 *   m(s) = (1 + √(5s) + 5s/3) · exp(-√(5s)),
 *
 * where isl_i = 1 / lengthscale_i² and d_i is the squared difference for numerical
 * parameters and the Hamming distance (0 when equal, 1 otherwise) for categorical ones.
 * Working in the squared distance keeps the derivative finite at r = 0, where the
 * derivative in r would divide by zero.
 */

/** What the kernel and the GP are parameterised by (all positive). */
export interface KernelParams {
  /** 1 / lengthscale² per dimension. */
  readonly inverseSquaredLengthscales: Float64Array;
  /** k(x, x): the prior variance of the standardised objective. */
  readonly kernelScale: number;
  /** Variance of the observation noise, added to the diagonal of the training covariance. */
  readonly noiseVar: number;
}

/** m(s) of the Matérn-5/2 kernel at squared distance s ≥ 0 (m(0) = 1). */
export function matern52(s: number): number {
  const r = Math.sqrt(5 * s);
  return (1 + r + (5 / 3) * s) * Math.exp(-r);
}

/** dm/ds = -5/6 · (1 + √(5s)) · exp(-√(5s)), finite at s = 0. */
export function matern52Derivative(s: number): number {
  const r = Math.sqrt(5 * s);
  return (-5 / 6) * (1 + r) * Math.exp(-r);
}

/** Per-dimension distance term: squared difference, or Hamming for categorical dimensions. */
export function dimDistance(a: number, b: number, categorical: boolean): number {
  if (categorical) return a === b ? 0 : 1;
  const d = a - b;
  return d * d;
}

/** r² between rows `x` (at offset xo) and `y` (at offset yo) of two row-major point sets. */
export function squaredDistance(
  x: ArrayLike<number>,
  xo: number,
  y: ArrayLike<number>,
  yo: number,
  isl: ArrayLike<number>,
  categorical: readonly boolean[],
): number {
  let s = 0;
  for (let i = 0; i < isl.length; i++) s += isl[i]! * dimDistance(x[xo + i]!, y[yo + i]!, categorical[i]!);
  return s;
}
