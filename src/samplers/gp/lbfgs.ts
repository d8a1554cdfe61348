/**
 * A small limited-memory BFGS minimiser with optional box bounds (projected L-BFGS): the
 * quasi-Newton direction is computed on the free variables (those not held at a bound by
 * a gradient pushing outwards), and the step is found by an Armijo backtracking search
 * along the projected path. It stands in for SciPy's L-BFGS-B, which Optuna's GPSampler
 * uses both to fit the kernel (unbounded, in log space) and to climb the acquisition
 * function (bounded to the unit box); the problems are small (a few to a few dozen
 * variables) and smooth, which is where this simpler scheme does as well.
 * Deterministic: no random numbers, so seeded callers stay reproducible.
 */

/** Objective and gradient: returns f(x) and writes ∇f(x) into `grad`. */
export type ValueAndGradient = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeOptions {
  readonly lower?: ArrayLike<number>;
  readonly upper?: ArrayLike<number>;
  /** Stop when the largest projected-gradient component is at most this. */
  readonly gtol: number;
  readonly maxIterations: number;
  /** Stop when an iteration lowers f by less than this, relative to max(|f|, 1). Default 2.2e-9 (SciPy's factr 1e7). */
  readonly ftol?: number;
  /** Number of (s, y) pairs kept. Default 10. */
  readonly memory?: number;
}

export interface MinimizeResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly iterations: number;
  /** Whether a stopping criterion (gtol or ftol) was met rather than the iteration limit or a failed line search. */
  readonly converged: boolean;
}

export function minimize(fg: ValueAndGradient, x0: ArrayLike<number>, options: MinimizeOptions): MinimizeResult {
  const n = x0.length;
  const { lower, upper, gtol, maxIterations } = options;
  const ftol = options.ftol ?? 2.2e-9;
  const memory = options.memory ?? 10;
  const project = (v: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      if (lower !== undefined && v[i]! < lower[i]!) v[i] = lower[i]!;
      if (upper !== undefined && v[i]! > upper[i]!) v[i] = upper[i]!;
    }
  };
  let x = Float64Array.from(x0);
  project(x);
  let g = new Float64Array(n);
  let f = fg(x, g);
  if (!Number.isFinite(f)) return { x, f, iterations: 0, converged: false };
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  const pg = new Float64Array(n);
  const d = new Float64Array(n);
  const alpha = new Float64Array(memory);
  const xn = new Float64Array(n);
  let gn = new Float64Array(n);

  for (let it = 0; it < maxIterations; it++) {
    // Projected gradient: a component pushing against an active bound is zero.
    let pgMax = 0;
    for (let i = 0; i < n; i++) {
      const atLow = lower !== undefined && x[i]! <= lower[i]! && g[i]! > 0;
      const atHigh = upper !== undefined && x[i]! >= upper[i]! && g[i]! < 0;
      pg[i] = atLow || atHigh ? 0 : g[i]!;
      pgMax = Math.max(pgMax, Math.abs(pg[i]!));
    }
    if (pgMax <= gtol) return { x, f, iterations: it, converged: true };

    // Two-loop recursion on the free components.
    d.set(pg);
    for (let k = ss.length - 1; k >= 0; k--) {
      alpha[k] = rhos[k]! * dot(ss[k]!, d);
      axpy(-alpha[k]!, ys[k]!, d);
    }
    if (ss.length > 0) {
      const last = ss.length - 1;
      const gamma = dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!);
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    }
    for (let k = 0; k < ss.length; k++) {
      const beta = rhos[k]! * dot(ys[k]!, d);
      axpy(alpha[k]! - beta, ss[k]!, d);
    }
    for (let i = 0; i < n; i++) d[i] = pg[i] === 0 ? 0 : -d[i]!;
    if (!(dot(d, pg) < 0)) {
      // Not a descent direction (curvature information gone stale at a bound): restart.
      for (let i = 0; i < n; i++) d[i] = -pg[i]!;
      ss.length = ys.length = rhos.length = 0;
    }

    // Armijo backtracking along the projected path; the first step of a fresh history is
    // scaled to unit length, as SciPy does, since -g carries the units of f.
    let t = ss.length === 0 ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
    let accepted = false;
    let fn = f;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xn[i] = x[i]! + t * d[i]!;
      project(xn);
      let decrease = 0;
      let moved = false;
      for (let i = 0; i < n; i++) {
        const s = xn[i]! - x[i]!;
        if (s !== 0) moved = true;
        decrease += g[i]! * s;
      }
      if (!moved) break;
      fn = fg(xn, gn);
      if (Number.isFinite(fn) && fn <= f + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) return { x, f, iterations: it, converged: false };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xn[i]! - x[i]!;
      y[i] = gn[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * dot(y, y)) {
      ss.push(s);
      ys.push(y);
      rhos.push(1 / sy);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
    }
    const fOld = f;
    x = Float64Array.from(xn);
    [g, gn] = [gn, g];
    f = fn;
    if ((fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: maxIterations, converged: false };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** y += a x */
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = y[i]! + a * x[i]!;
}
