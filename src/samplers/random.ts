import seedrandom from 'seedrandom';
import type { Distribution, ParamValue, Params } from '../core/search-space.js';
import { conditionHolds } from '../core/distributions.js';
import type { SampleContext, Sampler } from './base.js';

/** A source of uniform numbers on [0, 1). */
export type Uniform = () => number;

/**
 * A reproducible random stream named by a seed and any number of labels (the trial number,
 * the sampler's purpose). Streams are derived, not advanced: the stream of trial 17 is the
 * same whichever process draws it and whatever was drawn before, which is what keeps two
 * processes sharing a study reproducible.
 */
export function randomStream(seed: number, ...labels: readonly (string | number)[]): Uniform {
  return seedrandom([String(seed), ...labels.map(String)].join('/'));
}

/** A fresh 32-bit seed for samplers created without one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}

/** Number of grid points of a stepped range (the parser checks that step divides it). */
export function gridSize(low: number, high: number, step: number): number {
  return Math.floor((high - low) / step + 1e-9) + 1;
}

/**
 * The grid point `low + k step` (k = 0 .. gridSize - 1) nearest to x. The result is
 * rounded to 15 significant digits so that a grid of 0.05 yields 0.15, not
 * 0.15000000000000002, which would otherwise be stored and shown as such.
 */
export function roundToGrid(x: number, low: number, high: number, step: number): number {
  const k = Math.min(gridSize(low, high, step) - 1, Math.max(0, Math.round((x - low) / step)));
  return Number((low + k * step).toPrecision(15));
}

/**
 * One draw from the uniform prior of a distribution: uniform for floats, log-uniform for
 * `log`, uniform over the grid points for stepped floats and integers, uniform over the
 * choices for categoricals. Log integers are drawn log-uniformly on
 * [low - 1/2, high + 1/2] and rounded, as Optuna's `RandomSampler` does, so that every
 * integer gets the log-width of its own bin.
 */
export function sampleUniform(dist: Distribution, rng: Uniform): ParamValue {
  if (dist.type === 'categorical') return dist.choices[Math.floor(rng() * dist.choices.length)]!;
  const { low, high, step } = dist;
  if (dist.log) {
    const half = step === null ? 0 : step / 2;
    const lo = Math.log(low - half);
    const hi = Math.log(high + half);
    const x = Math.exp(lo + rng() * (hi - lo));
    return step === null ? Math.min(high, Math.max(low, x)) : roundToGrid(x, low, high, step);
  }
  if (step !== null) {
    const k = Math.floor(rng() * gridSize(low, high, step));
    return roundToGrid(low + k * step, low, high, step);
  }
  return low + rng() * (high - low);
}

export interface RandomSamplerOptions {
  /** Seed of every per-trial stream; a random one when omitted. */
  readonly seed?: number;
}

/**
 * Random search (Bergstra & Bengio 2012): each active parameter is drawn independently
 * from the uniform prior of its distribution. The stream of a trial is derived from
 * (seed, trial number) only, so the same seed gives the same parameters for the same trial
 * numbers in any process. Conditional parameters are drawn only when their `when` holds
 * for the values chosen before them (the space is ordered so that parents come first).
 */
export class RandomSampler implements Sampler {
  readonly name = 'random';
  readonly seed: number;

  constructor(options: RandomSamplerOptions = {}) {
    this.seed = options.seed ?? randomSeed();
  }

  sample(ctx: SampleContext): Params {
    const rng = randomStream(this.seed, 'random', ctx.trialNumber);
    const fixed = ctx.fixed ?? {};
    const out: Params = {};
    for (const spec of ctx.space) {
      if (!conditionHolds(spec.when, out)) continue;
      const given = fixed[spec.name];
      out[spec.name] = given !== undefined ? given : sampleUniform(spec.distribution, rng);
    }
    return out;
  }
}
