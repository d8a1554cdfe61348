/**
 * Model construction: `buildModel(name, params, info, seed)` → a functional tfjs-layers
 * model whose weights and dropout masks are functions of `seed` alone.
 *
 * Every model takes `[batch, length, channels]` float32 signals (the layout of
 * `Batch.x`) and outputs logits `[batch, numClasses]`; `output` says how the loss and the
 * metrics turn them into probabilities (softmax for multi-class, sigmoid for multi-label).
 */
import type * as tf from '@tensorflow/tfjs';

import type { DataInfo } from '../data/types.js';
import type { ModelName } from '../config/settings.js';
import type { Params } from '../core/search-space.js';
import { resolveHyperparams } from '../config/hyperparams.js';
import { buildCnn1d } from './cnn1d.js';
import { buildCnn2d } from './cnn2d.js';
import { buildCnnGru } from './cnngru.js';
import { type ModelHyper, modelHyper } from './hyper.js';
import { SeedSequence, StepCounter } from './seeding.js';

export type { ModelName } from '../config/settings.js';
export { CNN1D_BASE_DROPOUT, cnn1dDropoutRates } from './cnn1d.js';
export { getGruCell, type GruCellFn, pytorchGruCell, PyTorchGRU, setGruCell } from './gru.js';
export { type ModelHyper, modelHyper } from './hyper.js';
export { GridReshape, gridShape, SeededDropout } from './layers.js';
export { mixSeed, SeedSequence, StepCounter } from './seeding.js';

export const MODEL_NAMES: readonly ModelName[] = ['cnngru', 'cnn2d', 'cnn1d'];

export type OutputKind = 'softmax' | 'sigmoid';

export interface BuiltModel {
  readonly model: tf.LayersModel;
  readonly name: ModelName;
  /** The architecture hyperparameters actually used (params → defaults → `src/config/hyperparams.ts`). */
  readonly hyper: ModelHyper;
  /** softmax cross-entropy (multi-class) or sigmoid binary cross-entropy (multi-label). */
  readonly output: OutputKind;
  /**
   * Read by every SeededDropout of the model to pick its mask; the training loop advances
   * it once per optimiser step and stores it in checkpoints.
   */
  readonly stepCounter: StepCounter;
}

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/**
 * @param defaults the study's fixed hyperparameters, consulted for names absent from params.
 */
export function buildModel(name: ModelName, params: Params, info: DataInfo, seed: number, defaults?: Params): BuiltModel {
  if (!isModelName(name)) throw new Error(`unknown model "${String(name)}" (expected one of ${MODEL_NAMES.join(', ')})`);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  if (!(info.numClasses >= 1) || !(info.length >= 1) || !(info.channels >= 1)) {
    throw new Error(`invalid data shape: length ${info.length}, channels ${info.channels}, classes ${info.numClasses}`);
  }
  const hyper = modelHyper(resolveHyperparams(name, params, defaults));
  const stepCounter = new StepCounter();
  const seeds = new SeedSequence(seed);
  const shape = { length: info.length, channels: info.channels, outputs: info.numClasses };
  const build = name === 'cnngru' ? buildCnnGru : name === 'cnn2d' ? buildCnn2d : buildCnn1d;
  const model = build(hyper, shape, seeds, stepCounter);
  return { model, name, hyper, output: info.multilabel ? 'sigmoid' : 'softmax', stepCounter };
}

/** Number of trainable scalars. */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}
