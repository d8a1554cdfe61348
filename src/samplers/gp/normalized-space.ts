import type { Distribution, ParamSpec, ParamValue } from '../../core/search-space.js';
import { toInternal } from '../../core/distributions.js';
import { gridSize, roundToGrid, type Uniform } from '../random.js';

/**
 * How the GP sees a parameter: a coordinate in [0, 1] for numbers (`continuous` floats,
 * `discrete` stepped floats and integers), or the choice index for `categorical` ones,
 * which the kernel compares by equality only.
 */
export type DimKind = 'continuous' | 'discrete' | 'categorical';

export interface Dim {
  readonly name: string;
  readonly distribution: Distribution;
  readonly kind: DimKind;
  /** Number of values of a discrete or categorical dimension (0 for continuous ones). */
  readonly size: number;
  /** Normalisation interval, in log space for `log` parameters. */
  readonly lo: number;
  readonly hi: number;
}

/**
 * The unit-cube encoding of a search space used by the GP, as optuna/_gp/search_space.py
 * does it: a number is mapped linearly (or its logarithm, for `log` parameters) from
 * [low − step/2, high + step/2] to [0, 1], so that every grid point of a discrete
 * parameter owns an interval of equal width (in log space for log integers); a categorical
 * parameter keeps its choice index (no one-hot: the kernel's Hamming distance treats the
 * index as a label).
 */
export class NormalizedSpace {
  readonly dims: readonly Dim[];
  readonly categorical: readonly boolean[];
  /** Indices of the continuous dimensions (climbed by gradient). */
  readonly continuous: readonly number[];
  /** Indices of the discrete and categorical dimensions (searched over their values). */
  readonly discrete: readonly number[];

  constructor(specs: readonly ParamSpec[]) {
    this.dims = specs.map(({ name, distribution: d }) => {
      if (d.type === 'categorical') return { name, distribution: d, kind: 'categorical', size: d.choices.length, lo: 0, hi: d.choices.length };
      const step = d.step ?? 0;
      const lo = d.log ? Math.log(d.low - step / 2) : d.low - step / 2;
      const hi = d.log ? Math.log(d.high + step / 2) : d.high + step / 2;
      const size = d.step === null ? 0 : gridSize(d.low, d.high, d.step);
      return { name, distribution: d, kind: d.step === null ? 'continuous' : 'discrete', size, lo, hi };
    });
    this.categorical = this.dims.map((d) => d.kind === 'categorical');
    this.continuous = this.dims.flatMap((d, i) => (d.kind === 'continuous' ? [i] : []));
    this.discrete = this.dims.flatMap((d, i) => (d.kind === 'continuous' ? [] : [i]));
  }

  get dim(): number {
    return this.dims.length;
  }

  /** The coordinate of an external value of dimension i. */
  normalize(i: number, value: ParamValue): number {
    const d = this.dims[i]!;
    if (d.kind === 'categorical') return toInternal(d.distribution, value);
    const v = d.distribution.type !== 'categorical' && d.distribution.log ? Math.log(value as number) : (value as number);
    return d.hi === d.lo ? 0.5 : (v - d.lo) / (d.hi - d.lo);
  }

  /** The external value at coordinate x of dimension i: clipped to the range, on the grid, an integer for ints. */
  unnormalize(i: number, x: number): ParamValue {
    const d = this.dims[i]!;
    const dist = d.distribution;
    if (dist.type === 'categorical') return dist.choices[Math.min(dist.choices.length - 1, Math.max(0, Math.round(x)))]!;
    let v = d.lo + x * (d.hi - d.lo);
    if (dist.log) v = Math.exp(v);
    if (dist.step !== null) return roundToGrid(v, dist.low, dist.high, dist.step);
    return Math.min(dist.high, Math.max(dist.low, v));
  }

  /** Coordinate of the k-th value (k = 0 .. size − 1) of a discrete or categorical dimension. */
  gridPoint(i: number, k: number): number {
    const d = this.dims[i]!;
    const dist = d.distribution;
    if (dist.type === 'categorical') return k;
    return this.normalize(i, roundToGrid(dist.low + k * (dist.step as number), dist.low, dist.high, dist.step as number));
  }

  /** Index of the grid value nearest to coordinate x of a discrete or categorical dimension. */
  gridIndex(i: number, x: number): number {
    const d = this.dims[i]!;
    const dist = d.distribution;
    if (dist.type === 'categorical') return Math.min(d.size - 1, Math.max(0, Math.round(x)));
    const v = this.unnormalize(i, x) as number;
    return Math.round((v - dist.low) / (dist.step as number));
  }

  /**
   * A uniform point of the encoded space, written into `out`: uniform coordinates for
   * numbers, rounded to the grid for discrete ones, a uniform index for categoricals.
   */
  sample(rng: Uniform, out: Float64Array): void {
    for (let i = 0; i < this.dims.length; i++) {
      const d = this.dims[i]!;
      const u = rng();
      if (d.kind === 'categorical') out[i] = Math.min(d.size - 1, Math.floor(u * d.size));
      else if (d.kind === 'discrete') out[i] = this.gridPoint(i, this.gridIndex(i, u));
      else out[i] = u;
    }
  }
}
