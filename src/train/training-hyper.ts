/** The training hyperparameters of a trial (batch size, clipping, optimiser), read from its params. */
import { numberParam } from '../models/hyper.js';
import type { Params } from '../core/search-space.js';
import { type OptimizerSettings, optimizerSettings } from './optimizers.js';

export const DEFAULT_BATCH_SIZE = 32;

/** Training hyperparameters read from params (then defaults). */
export interface TrainingHyper {
  readonly batchSize: number;
  /** Global-norm gradient clipping threshold; 0 = off. */
  readonly clipNorm: number;
  readonly optimizer: OptimizerSettings;
}

export function resolveTrainingHyper(params: Params, defaults?: Params): TrainingHyper {
  return {
    batchSize: numberParam('batch_size', params, defaults, DEFAULT_BATCH_SIZE, { integer: true, min: 1 }),
    clipNorm: numberParam('clip_norm', params, defaults, 0, { min: 0 }),
    optimizer: optimizerSettings(params, defaults),
  };
}
