/** The training hyperparameters of a trial (batch size, clipping, optimiser), read from its params. */
import type { Params } from '../core/search-space.js';
import type { ModelName } from '../config/settings.js';
import { resolveHyperparams } from '../config/hyperparams.js';
import { type OptimizerSettings, optimizerSettingsOf } from './optimizers.js';

/** Training hyperparameters read from params (then defaults, then `src/config/hyperparams.ts`). */
export interface TrainingHyper {
  readonly batchSize: number;
  /** Global-norm gradient clipping threshold; 0 = off. */
  readonly clipNorm: number;
  readonly optimizer: OptimizerSettings;
}

export function resolveTrainingHyper(model: ModelName, params: Params, defaults?: Params): TrainingHyper {
  const hp = resolveHyperparams(model, params, defaults);
  return { batchSize: hp.batchSize, clipNorm: hp.clipNorm, optimizer: optimizerSettingsOf(hp) };
}
