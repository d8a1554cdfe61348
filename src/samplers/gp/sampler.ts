import type { ParamSpec, ParamValue, Params } from '../../core/search-space.js';
import { contains, isSingle, sameDistribution } from '../../core/distributions.js';
import type { FrozenTrial } from '../../core/trial.js';
import type { SampleContext, Sampler } from '../base.js';
import { RandomSampler, randomSeed, randomStream } from '../random.js';
import { LogEIAcquisition } from './acquisition.js';
import { fitGaussianProcess } from './fit.js';
import { NormalizedSpace } from './normalized-space.js';
import { optimizeAcquisition } from './optimize-acquisition.js';
import { GaussianProcess } from './regressor.js';

export interface GPSamplerOptions {
  /** Seed of the per-trial streams (and of the random startup sampler); random when omitted. */
  readonly seed?: number;
  /** Trials sampled at random until this many trials are COMPLETE. Default 10 (Optuna's). */
  readonly nStartupTrials?: number;
  /** Condition the GP on RUNNING trials at its own predictions so parallel workers spread out. Default false. */
  readonly constantLiar?: boolean;
  /** Uniform points scored before the local searches of the acquisition. Default 2048. */
  readonly nPreliminarySamples?: number;
  /** Local searches of the acquisition per proposal. Default 10. */
  readonly nLocalSearch?: number;
}

/** Optuna's floor on the standard deviation used to standardise the objective values. */
const MIN_STD = 1e-10;

/**
 * Gaussian-process Bayesian optimisation, on the design of Optuna's `GPSampler`
 * (optuna/samplers/_gp/sampler.py); docs/algorithms.md#gp-gaussian-process-bayesian-optimisation
 * describes it and where it differs.
 *
 * Until `nStartupTrials` trials are COMPLETE, parameters are drawn by `RandomSampler`.
 * After that the GP models the parameters that every COMPLETE trial holds with the current
 * distribution (Optuna's intersection search space, single-valued ones left out):
 *
 * 1. encode them in [0, 1] (`NormalizedSpace`) and standardise the values, flipped so
 *    that larger is better;
 * 2. fit a Matérn-5/2 ARD GP by maximising marginal likelihood + prior (`fit.ts`);
 * 3. maximise log EI over the best value so far (`optimize-acquisition.ts`), with
 *    enqueued (fixed) parameters held at their values.
 *
 * PRUNED, FAIL and RUNNING trials are not observations (as in Optuna); with
 * `constantLiar`, RUNNING trials that hold every modelled parameter are added to the
 * conditioning set at the GP's own mean there (the "kriging believer"), which leaves the
 * mean unchanged but removes the variance, and with it the EI, around points already
 * being evaluated. Parameters outside the modelled set (conditional ones, mostly) are
 * drawn uniformly, as Optuna's independent `RandomSampler` does.
 *
 * Stateless: the stream of a trial is derived from (seed, trial number), and the kernel is
 * fitted afresh each time (Optuna warm-starts it from the previous fit).
 */
export class GPSampler implements Sampler {
  readonly name = 'gp';
  readonly seed: number;
  readonly nStartupTrials: number;
  readonly constantLiar: boolean;
  readonly nPreliminarySamples: number;
  readonly nLocalSearch: number;
  readonly #random: RandomSampler;

  constructor(options: GPSamplerOptions = {}) {
    this.seed = options.seed ?? randomSeed();
    this.nStartupTrials = options.nStartupTrials ?? 10;
    this.constantLiar = options.constantLiar ?? false;
    this.nPreliminarySamples = options.nPreliminarySamples ?? 2048;
    this.nLocalSearch = options.nLocalSearch ?? 10;
    for (const [key, v, min] of [
      ['nStartupTrials', this.nStartupTrials, 0],
      ['nPreliminarySamples', this.nPreliminarySamples, 1],
      ['nLocalSearch', this.nLocalSearch, 1],
    ] as const) {
      if (!Number.isInteger(v) || v < min) throw new RangeError(`${key} must be an integer >= ${min}, got ${v}`);
    }
    this.#random = new RandomSampler({ seed: this.seed });
  }

  sample(ctx: SampleContext): Params {
    const history = ctx.trials.filter((t) => t.number !== ctx.trialNumber);
    const complete = history.filter(isObservation);
    if (complete.length < this.nStartupTrials) return this.#random.sample(ctx);
    const fixed = ctx.fixed ?? {};
    const specs = modelledSpace(ctx.space, complete, fixed);
    const joint = specs.length > 0 && complete.length > 0 ? this.#propose(ctx, specs, complete, history, fixed) : {};

    // The remaining active parameters (conditional ones, mostly) come from the random
    // sampler, which keeps given values and walks the conditions in order.
    return this.#random.sample({ ...ctx, fixed: { ...joint, ...fixed } });
  }

  /** The GP's proposal for the modelled parameters. */
  #propose(ctx: SampleContext, specs: readonly ParamSpec[], complete: readonly FrozenTrial[], history: readonly FrozenTrial[], fixed: Params): Params {
    const space = new NormalizedSpace(specs);
    const d = space.dim;
    const x = encode(space, complete);
    const sign = ctx.direction === 'minimize' ? -1 : 1;
    const y = standardize(complete.map((t) => sign * (t.value as number)));
    let gp = fitGaussianProcess(x, y, d, space.categorical);
    let bestRow = 0;
    for (let i = 1; i < y.length; i++) if (y[i]! > y[bestRow]!) bestRow = i;
    const threshold = y[bestRow]!;

    if (this.constantLiar) {
      const running = history.filter((t) => t.state === 'RUNNING' && specs.every((s) => holds(t, s)));
      if (running.length > 0) gp = believe(gp, space, x, y, encode(space, running));
    }

    const fixedCoords = new Map<number, number>();
    specs.forEach((s, i) => {
      const v = fixed[s.name];
      if (v !== undefined) fixedCoords.set(i, space.normalize(i, v));
    });
    const rng = randomStream(this.seed, 'gp', ctx.trialNumber);
    const best = optimizeAcquisition(new LogEIAcquisition(gp, threshold), space, rng, {
      warmStarts: [x.subarray(bestRow * d, (bestRow + 1) * d)],
      fixed: fixedCoords,
      nPreliminarySamples: this.nPreliminarySamples,
      nLocalSearch: this.nLocalSearch,
    });
    const out: Params = {};
    specs.forEach((s, i) => (out[s.name] = space.unnormalize(i, best[i]!)));
    return out;
  }
}

/** A COMPLETE trial with a value (NaN is never an observation; ±Infinity is clipped later). */
function isObservation(t: FrozenTrial): boolean {
  return t.state === 'COMPLETE' && t.value !== null && !Number.isNaN(t.value);
}

/** Whether a trial holds a parameter drawn from the distribution the space has now. */
function holds(t: FrozenTrial, spec: ParamSpec): boolean {
  const dist = t.distributions[spec.name];
  return t.params[spec.name] !== undefined && dist !== undefined && sameDistribution(dist, spec.distribution);
}

/**
 * Optuna's `IntersectionSearchSpace` over COMPLETE trials: the parameters every one of
 * them holds with the current distribution, minus single-valued ones and enqueued values
 * outside the distribution (those are used as given, not modelled).
 */
function modelledSpace(space: readonly ParamSpec[], complete: readonly FrozenTrial[], fixed: Params): ParamSpec[] {
  return space.filter(
    (s) => !isSingle(s.distribution) && (fixed[s.name] === undefined || contains(s.distribution, fixed[s.name]!)) && complete.every((t) => holds(t, s)),
  );
}

/** The trials' parameters as rows of the encoded space (row-major). */
function encode(space: NormalizedSpace, trials: readonly FrozenTrial[]): Float64Array {
  const d = space.dim;
  const x = new Float64Array(trials.length * d);
  trials.forEach((t, r) => {
    for (let i = 0; i < d; i++) x[r * d + i] = space.normalize(i, t.params[space.dims[i]!.name] as ParamValue);
  });
  return x;
}

/**
 * (v − mean) / max(std, 1e-10) after clipping ±Infinity to the finite extremes, as
 * Optuna's `_standardize_values` and `warn_and_convert_inf` do (population std).
 */
export function standardize(values: readonly number[]): Float64Array {
  const finite = values.filter(Number.isFinite);
  const lo = finite.length > 0 ? Math.min(...finite) : 0;
  const hi = finite.length > 0 ? Math.max(...finite) : 0;
  const v = values.map((x) => Math.min(hi, Math.max(lo, x)));
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return Float64Array.from(v, (x) => (x - mean) / Math.max(MIN_STD, std));
}

/**
 * The GP conditioned also on the running trials' points, each "observed" at the fitted
 * GP's mean there, with the same kernel parameters. If that covariance cannot be factored
 * (a running point duplicates another), the GP without them is kept.
 */
function believe(gp: GaussianProcess, space: NormalizedSpace, x: Float64Array, y: Float64Array, running: Float64Array): GaussianProcess {
  const d = space.dim;
  const m = running.length / d;
  const yAll = new Float64Array(y.length + m);
  yAll.set(y);
  for (let r = 0; r < m; r++) yAll[y.length + r] = gp.posterior(running.subarray(r * d, (r + 1) * d)).mean;
  const xAll = new Float64Array(x.length + running.length);
  xAll.set(x);
  xAll.set(running, x.length);
  try {
    return new GaussianProcess(xAll, yAll, d, space.categorical, gp.params);
  } catch {
    return gp;
  }
}
