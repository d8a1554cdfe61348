import type { Uniform } from '../random.js';
import type { LogEIAcquisition } from './acquisition.js';
import { minimize } from './lbfgs.js';
import type { NormalizedSpace } from './normalized-space.js';

export interface AcquisitionSearchOptions {
  /** Encoded points to start a local search from besides the sampled ones (the best trial). */
  readonly warmStarts?: readonly Float64Array[];
  /** Coordinates held at a value (enqueued parameters): never searched. */
  readonly fixed?: ReadonlyMap<number, number>;
  /** Uniform points scored before the local searches (Optuna: 2048). */
  readonly nPreliminarySamples?: number;
  /** Local searches, warm starts included (Optuna: 10). */
  readonly nLocalSearch?: number;
  /** Tolerance of the continuous search: the projected gradient is below √tol at its end (Optuna: 1e-4). */
  readonly tol?: number;
}

/** Above this many values a discrete dimension is searched coarsely then locally, not exhaustively (Optuna: 16). */
const MAX_EXHAUSTIVE = 16;
/** Rounds of (continuous climb, each discrete dimension) per local search (Optuna: 100). */
const MAX_ROUNDS = 100;

/**
 * Maximises the acquisition over the encoded space as optuna/_gp/optim_mixed.py
 * `optimize_acqf_mixed` does: score `nPreliminarySamples` uniform points; start local
 * searches from the best of them, from the warm starts, and from others drawn by roulette
 * with probability ∝ exp(acquisition − best) (log EI values, so this favours promising
 * regions without ignoring the rest); return the best end point. A local search alternates
 * a bounded L-BFGS climb of the continuous coordinates, in coordinates divided by their
 * lengthscales (which equalises the curvature across dimensions), with a search of each
 * discrete coordinate over its values, until a round changes no discrete coordinate.
 * The only randomness is `rng`, so a seeded stream gives the same point.
 */
export function optimizeAcquisition(acq: LogEIAcquisition, space: NormalizedSpace, rng: Uniform, options: AcquisitionSearchOptions = {}): Float64Array {
  const dim = space.dim;
  const fixed = options.fixed ?? new Map<number, number>();
  const nPre = options.nPreliminarySamples ?? 2048;
  const nLocal = options.nLocalSearch ?? 10;
  const tol = options.tol ?? 1e-4;
  const applyFixed = (x: Float64Array): Float64Array => {
    for (const [i, v] of fixed) x[i] = v;
    return x;
  };

  const samples: Float64Array[] = [];
  const values = new Float64Array(nPre);
  let best = 0;
  for (let s = 0; s < nPre; s++) {
    const x = new Float64Array(dim);
    space.sample(rng, x);
    samples.push(applyFixed(x));
    values[s] = acq.value(x);
    if (values[s]! > values[best]!) best = s;
  }
  const warm = (options.warmStarts ?? []).map((w) => applyFixed(Float64Array.from(w)));
  const starts = [samples[best]!, ...warm];
  for (const s of roulette(values, best, Math.max(0, nLocal - starts.length), rng)) starts.push(samples[s]!);

  const search = new LocalSearch(acq, space, fixed, tol);
  let bestX = starts[0]!;
  let bestF = -Infinity;
  for (const x0 of starts) {
    const { x, f } = search.run(x0);
    if (f > bestF) {
      bestF = f;
      bestX = x;
    }
  }
  return bestX;
}

/**
 * Up to `k` distinct indices other than `exclude`, drawn without replacement with
 * probability ∝ exp(values − max). Fewer come back when fewer have a non-zero weight
 * (the acquisition is flat: the study has converged).
 */
function roulette(values: Float64Array, exclude: number, k: number, rng: Uniform): number[] {
  const top = values[exclude]!;
  const w = Float64Array.from(values, (v, i) => (i === exclude || !Number.isFinite(v) ? 0 : Math.exp(v - top)));
  let total = w.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  while (out.length < k && total > 0) {
    let u = rng() * total;
    let pick = -1;
    for (let i = 0; i < w.length; i++) {
      if (w[i]! === 0) continue;
      pick = i;
      u -= w[i]!;
      if (u < 0) break;
    }
    if (pick < 0) break;
    out.push(pick);
    total -= w[pick]!;
    w[pick] = 0;
  }
  return out;
}

/** One local search of the acquisition from a start point (see `optimizeAcquisition`). */
class LocalSearch {
  readonly #acq: LogEIAcquisition;
  readonly #space: NormalizedSpace;
  readonly #continuous: number[];
  readonly #discrete: number[];
  readonly #lengthscales: Float64Array;
  readonly #tol: number;

  constructor(acq: LogEIAcquisition, space: NormalizedSpace, fixed: ReadonlyMap<number, number>, tol: number) {
    this.#acq = acq;
    this.#space = space;
    this.#continuous = space.continuous.filter((i) => !fixed.has(i));
    this.#discrete = space.discrete.filter((i) => !fixed.has(i) && space.dims[i]!.size > 1);
    const isl = acq.gp.params.inverseSquaredLengthscales;
    this.#lengthscales = Float64Array.from(this.#continuous, (i) => 1 / Math.sqrt(isl[i]!));
    this.#tol = tol;
  }

  run(x0: Float64Array): { x: Float64Array; f: number } {
    let x: Float64Array = Float64Array.from(x0);
    let f = this.#acq.value(x);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      ({ x, f } = this.#climbContinuous(x, f));
      let changed = false;
      for (const i of this.#discrete) {
        const r = this.#searchDiscrete(x, f, i);
        if (r.f > f) {
          changed = true;
          x = r.x;
          f = r.f;
        }
      }
      if (!changed) break;
    }
    return { x, f };
  }

  /** Bounded L-BFGS on the continuous coordinates z = x / lengthscale, z in [0, 1/lengthscale]. */
  #climbContinuous(x0: Float64Array, f0: number): { x: Float64Array; f: number } {
    const dims = this.#continuous;
    if (dims.length === 0) return { x: x0, f: f0 };
    const ls = this.#lengthscales;
    const x = Float64Array.from(x0);
    const grad = new Float64Array(dims.length);
    const negAcq = (z: Float64Array, g: Float64Array): number => {
      for (let k = 0; k < dims.length; k++) x[dims[k]!] = z[k]! * ls[k]!;
      const v = this.#acq.valueAndGradient(x, dims, grad);
      for (let k = 0; k < dims.length; k++) g[k] = -grad[k]! * ls[k]!;
      return -v;
    };
    const z0 = Float64Array.from(dims, (i, k) => x0[i]! / ls[k]!);
    const upper = Float64Array.from(ls, (l) => 1 / l);
    const r = minimize(negAcq, z0, { lower: new Float64Array(dims.length), upper, gtol: Math.sqrt(this.#tol), maxIterations: 200 });
    if (!(-r.f > f0)) return { x: x0, f: f0 };
    const out = Float64Array.from(x0);
    for (let k = 0; k < dims.length; k++) out[dims[k]!] = r.x[k]! * ls[k]!;
    return { x: out, f: -r.f };
  }

  /**
   * The best value of discrete coordinate i given the others: every value when there are
   * few (or the parameter is categorical); otherwise 16 evenly spaced values and the
   * current one, then single steps from the best while they improve (EI is multimodal
   * along a long integer range, so a purely local walk would miss distant peaks).
   */
  #searchDiscrete(x0: Float64Array, f0: number, i: number): { x: Float64Array; f: number } {
    const space = this.#space;
    const size = space.dims[i]!.size;
    const x = Float64Array.from(x0);
    const current = space.gridIndex(i, x0[i]!);
    const scored = new Map<number, number>([[current, f0]]);
    const score = (k: number): number => {
      let v = scored.get(k);
      if (v === undefined) {
        x[i] = space.gridPoint(i, k);
        v = this.#acq.value(x);
        scored.set(k, v);
      }
      return v;
    };
    let bestK = current;
    const consider = (k: number): void => {
      if (score(k) > score(bestK)) bestK = k;
    };
    if (space.dims[i]!.kind === 'categorical' || size <= MAX_EXHAUSTIVE) {
      for (let k = 0; k < size; k++) consider(k);
    } else {
      for (let j = 0; j < MAX_EXHAUSTIVE; j++) consider(Math.round((j * (size - 1)) / (MAX_EXHAUSTIVE - 1)));
      for (let moved = true; moved; ) {
        const from = bestK;
        if (from > 0) consider(from - 1);
        if (from < size - 1) consider(from + 1);
        moved = bestK !== from;
      }
    }
    if (bestK === current) return { x: x0, f: f0 };
    x[i] = space.gridPoint(i, bestK);
    return { x, f: score(bestK) };
  }
}
