/**
 * A trained model's weights as one self-describing blob: what a study keeps of a trial (its
 * 'model' artifact), what `export-model` writes beside the card, what `predict` loads. The
 * one-file tensor format of checkpoint.ts, holding every weight of the model (trainable and
 * batch-norm statistics, in `model.weights` order) and, as meta, what is needed to build the
 * same model again without the data: the model name, its output kind and the data's shape
 * and classes.
 */
import * as tf from '@tensorflow/tfjs';

import type { ModelName } from '../config/settings.js';
import type { DataInfo } from '../data/types.js';
import type { Params } from '../core/search-space.js';
import { buildModel, type BuiltModel, type OutputKind } from '../models/index.js';
import { decodeTensorFile, encodeTensorFile, type CheckpointTensor } from './checkpoint.js';

const KIND = 'hpsearch-model-weights';
export const MODEL_WEIGHTS_VERSION = 1;

export interface ModelWeightsMeta {
  readonly kind: typeof KIND;
  readonly version: number;
  readonly model: ModelName;
  readonly output: OutputKind;
  readonly info: DataInfo;
}

export interface ModelWeights {
  readonly meta: ModelWeightsMeta;
  readonly tensors: readonly CheckpointTensor[];
}

/** The current weights of `built` (after training: the restored best ones). */
export async function encodeModelWeights(built: BuiltModel, info: DataInfo): Promise<Uint8Array> {
  const tensors: CheckpointTensor[] = [];
  const weights = built.model.weights;
  for (let i = 0; i < weights.length; i++) {
    const t = weights[i].read();
    if (t.dtype !== 'float32') throw new Error(`model weights: only float32 tensors are supported, got ${t.dtype}`);
    tensors.push({ name: `weight/${i}/${weights[i].originalName}`, shape: t.shape, data: (await t.data()) as Float32Array });
  }
  const meta: ModelWeightsMeta = {
    kind: KIND,
    version: MODEL_WEIGHTS_VERSION,
    model: built.name,
    output: built.output,
    info: { length: info.length, channels: info.channels, numClasses: info.numClasses, multilabel: info.multilabel, classes: [...info.classes] },
  };
  return new Uint8Array(encodeTensorFile(meta, tensors));
}

/** Reads a blob of encodeModelWeights; `what` names it in errors (a file, a trial). */
export function decodeModelWeights(bytes: Uint8Array, what: string): ModelWeights {
  const file = decodeTensorFile<ModelWeightsMeta>(bytes, what);
  if (file.meta?.kind !== KIND) throw new Error(`${what} does not hold hpsearch model weights`);
  if (file.meta.version > MODEL_WEIGHTS_VERSION) {
    throw new Error(`${what} holds model weights of format ${file.meta.version}; this hpsearch reads up to ${MODEL_WEIGHTS_VERSION} (upgrade hpsearch)`);
  }
  return { meta: file.meta, tensors: file.tensors };
}

/** Puts `weights` into `built` (built with the same model, params and data shape). */
export function loadModelWeights(built: BuiltModel, weights: ModelWeights, what: string): void {
  const vars = built.model.weights;
  if (weights.tensors.length !== vars.length) throw new Error(`${what} holds ${weights.tensors.length} weights, the model has ${vars.length}`);
  const values = vars.map((v, i) => {
    const t = weights.tensors[i];
    const shape = v.read().shape;
    if (t.shape.join('x') !== shape.join('x')) throw new Error(`${what}: weight ${i} (${v.originalName}) has shape ${t.shape.join('x')}, the model ${shape.join('x')}`);
    return tf.tensor(t.data, [...shape], 'float32');
  });
  built.model.setWeights(values);
  tf.dispose(values);
}

/**
 * The trained model again: built as the trial built it (model, params, seed, the study's
 * defaults, the data's shape), then given the kept weights.
 */
export function buildWithWeights(weights: ModelWeights, trial: { readonly params: Params; readonly seed: number; readonly defaults?: Params }, what: string): BuiltModel {
  const built = buildModel(weights.meta.model, trial.params, weights.meta.info, trial.seed, trial.defaults);
  try {
    loadModelWeights(built, weights, what);
  } catch (err) {
    built.model.dispose();
    throw err;
  }
  return built;
}
