import type { SamplerSettings } from '../config/settings.js';
import type { Sampler } from './base.js';
import { RandomSampler } from './random.js';
import { TPESampler } from './tpe/sampler.js';
import { GPSampler } from './gp/sampler.js';

export type { SampleContext, Sampler } from './base.js';
export { RandomSampler, randomStream, roundToGrid, sampleUniform, type RandomSamplerOptions, type Uniform } from './random.js';
export { TPESampler, defaultGamma, splitTrials, type TPESamplerOptions, type TrialSplit } from './tpe/sampler.js';
export { GPSampler, type GPSamplerOptions } from './gp/sampler.js';
export { ParzenEstimator, defaultWeights, neighbourBandwidths, type ParzenEstimatorParameters, type EstimatorParam } from './tpe/parzen-estimator.js';

/**
 * Sampler settings as written in YAML or passed to `createStudy`: `type` is required, every
 * other key falls back to its default (`{ type: 'tpe', seed: 0 }` is enough).
 */
export type SamplerConfig = Pick<SamplerSettings, 'type'> & Partial<Omit<SamplerSettings, 'type'>>;

/**
 * Builds the sampler a study's settings describe. The constant liar of TPE and GP, when not
 * set (null or absent), is on exactly when more than one worker runs trials in parallel.
 */
export function createSampler(settings: SamplerConfig, workers = 1): Sampler {
  switch (settings.type) {
    case 'random':
      return new RandomSampler({ seed: settings.seed });
    case 'tpe':
      return new TPESampler({
        seed: settings.seed,
        nStartupTrials: settings.n_startup_trials,
        nEiCandidates: settings.n_ei_candidates,
        multivariate: settings.multivariate,
        constantLiar: settings.constant_liar ?? workers > 1,
      });
    case 'gp':
      return new GPSampler({
        seed: settings.seed,
        nStartupTrials: settings.n_startup_trials,
        constantLiar: settings.constant_liar ?? workers > 1,
      });
    default:
      throw new TypeError(`unknown sampler type ${JSON.stringify((settings as { type: unknown }).type)} (expected random, tpe or gp)`);
  }
}
