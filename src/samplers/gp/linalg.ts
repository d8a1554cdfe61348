/**
 * The dense linear algebra of the Gaussian process, on row-major n x n Float64Arrays:
 * a Cholesky factorisation and the triangular solves that use it. Covariance matrices are
 * symmetric positive definite, so nothing more general is needed, and solving with the
 * factor (rather than forming an inverse) is what keeps the posterior accurate when the
 * kernel matrix is badly conditioned (optuna/_gp/gp.py `_solve_cholesky` makes the same
 * choice). Sizes are the number of trials, a few hundred at most.
 */

/** Raised when a matrix is not (numerically) positive definite. */
export class NotPositiveDefiniteError extends Error {
  constructor(readonly column: number) {
    super(`matrix is not positive definite (pivot ${column} <= 0)`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * The lower-triangular L with A = L Lᵀ (Cholesky-Banachiewicz, row by row). Reads only the
 * lower triangle of `a`; the strict upper triangle of the result is zero.
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      if (i === j) {
        if (!(s > 0)) throw new NotPositiveDefiniteError(i);
        l[ri + i] = Math.sqrt(s);
      } else {
        l[ri + j] = s / l[rj + j]!;
      }
    }
  }
  return l;
}

/** x with L x = b (forward substitution); `out` may be `b`. */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[ri + k]! * out[k]!;
    out[i] = s / l[ri + i]!;
  }
  return out;
}

/** x with Lᵀ x = b (back substitution on the transpose of the lower factor); `out` may be `b`. */
export function solveUpperTransposed(l: Float64Array, n: number, b: ArrayLike<number>, out: Float64Array = new Float64Array(n)): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * out[k]!;
    out[i] = s / l[i * n + i]!;
  }
  return out;
}

/** x with (L Lᵀ) x = b. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  return solveUpperTransposed(l, n, solveLower(l, n, b));
}

/**
 * (L Lᵀ)⁻¹ as a full symmetric matrix, from the inverse of the factor: M = L⁻¹, then
 * A⁻¹ = Mᵀ M. The marginal-likelihood gradient needs every entry (its trace terms), which
 * n solves would also give at three times the cost.
 */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // M = L⁻¹ is lower triangular: column j solves L m = e_j from row j down.
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    m[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s -= l[ri + k]! * m[k * n + j]!;
      m[ri + j] = s / l[ri + i]!;
    }
  }
  // (Mᵀ M)_ij = Σ_{k ≥ max(i, j)} M_ki M_kj.
  const inv = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    for (let i = 0; i <= k; i++) {
      const mki = m[rk + i]!;
      if (mki === 0) continue;
      const ri = i * n;
      for (let j = 0; j <= i; j++) inv[ri + j] += mki * m[rk + j]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inv[j * n + i] = inv[i * n + j]!;
  return inv;
}

/** log det(L Lᵀ) = 2 Σ log L_ii. */
export function choleskyLogDet(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]!);
  return 2 * s;
}
