/**
 * A trained model in the TF.js Layers format (model.json + one weights file), loadable by
 * stock `@tensorflow/tfjs` `tf.loadLayersModel` with nothing of hpsearch registered.
 */
import type { BuiltModel } from '../../models/index.js';

/** The file `weightsManifest` names, to be written next to model.json. */
export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

export interface TfjsLayersArtifacts {
  /** The content of model.json: `format`, `generatedBy`, `convertedBy`, `modelTopology`, `weightsManifest`. */
  readonly modelJson: object;
  /** The bytes of the weights file (float32, little-endian, in manifest order). */
  readonly weightData: Uint8Array;
  /** The weights file's name relative to model.json (`TFJS_WEIGHTS_FILE`). */
  readonly weightsPath: string;
}

/**
 * `built`'s network as standard Keras layers only: the PyTorch-style GRU unrolled into
 * stock Dense / Add / Multiply / Activation layers, SeededDropout left out (identity at
 * inference), GridReshape as ZeroPadding2D + Reshape, and a final softmax or sigmoid
 * Activation on the logits, so the model outputs probabilities `[batch, classes]`.
 * The input layer is `signals` and the last layer `probabilities` (src/export/io-names.ts).
 * Throws naming the layer when a layer has no stock form.
 */
export function toTfjsLayers(built: BuiltModel): TfjsLayersArtifacts {
  void built;
  throw new Error('toTfjsLayers: not implemented yet');
}
