/**
 * A trained model in the TF.js Layers format (model.json + one weights file), loadable by
 * stock `@tensorflow/tfjs` `tf.loadLayersModel` with nothing of hpsearch registered.
 *
 * The model is rebuilt in memory from stock layers only — the stock layers of the model
 * cloned from their own config, each custom layer replaced by stock ones — and serialised
 * by tfjs itself (`toJSON`), so the topology is exactly what tfjs writes and reads.
 */
import * as tf from '@tensorflow/tfjs';

import type { BuiltModel, GridReshape, PyTorchGRU } from '../../models/index.js';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME } from '../io-names.js';
import { floatValues } from '../layer-weights.js';
import { littleEndianFloats } from '../little-endian.js';
import { inputShapeOf, modelGraph } from '../model-graph.js';
import { type StockValue, UnrolledGru } from './unrolled-gru.js';

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

/** Layer classes of tfjs-layers itself that the models use: copied as they are. */
export const STOCK_CLASSES: ReadonlySet<string> = new Set([
  'Conv1D',
  'Conv2D',
  'BatchNormalization',
  'ReLU',
  'Add',
  'MaxPooling1D',
  'MaxPooling2D',
  'GlobalAveragePooling1D',
  'Flatten',
  'Dense',
]);

/** The custom layers of src/models/, each written as stock layers below. */
export const REPLACED_CLASSES: ReadonlySet<string> = new Set(['SeededDropout', 'PyTorchGRU', 'GridReshape']);

type Sym = tf.SymbolicTensor;

function tensorOf(value: StockValue, consumer: string): Sym {
  if ('tensor' in value) return value.tensor;
  throw new Error(`TF.js export: layer ${consumer} reads a GRU's whole sequence, which only another GRU can read here`);
}

/** The same layer, new (tfjs' own fromConfig), with the same weights once applied. */
function cloneStock(layer: tf.layers.Layer): tf.layers.Layer {
  const cls = layer.constructor as tf.serialization.SerializableConstructor<tf.layers.Layer>;
  return cls.fromConfig(cls, layer.getConfig());
}

/** GridReshape (src/models/layers.ts): [N, L, C] → zero-pad L to h·w → [N, h, w, C]. */
function stockGridReshape(layer: GridReshape, x: Sym): Sym {
  const [, length, channels] = inputShapeOf(layer);
  if (length == null || channels == null) throw new Error(`TF.js export: layer ${layer.name} (GridReshape) needs a fixed length and channel count`);
  const pad = layer.height * layer.width - length;
  let signal = x;
  if (pad > 0) {
    // ZeroPadding2D pads rows: view [L, C] as rows of an image with one channel.
    const image = tf.layers.reshape({ targetShape: [length, channels, 1], name: `${layer.name}_image` }).apply(x) as Sym;
    signal = tf.layers.zeroPadding2d({ padding: [[0, pad], [0, 0]], name: `${layer.name}_pad` }).apply(image) as Sym;
  }
  return tf.layers.reshape({ targetShape: [layer.height, layer.width, channels], name: layer.name }).apply(signal) as Sym;
}

/**
 * `built`'s network as standard Keras layers only: the PyTorch-style GRU unrolled into
 * stock Dense / Concatenate / Add / Multiply / Activation / Rescaling layers, its input cut
 * into timesteps by Reshape / Cropping2D / Flatten (src/export/tfjs/unrolled-gru.ts),
 * SeededDropout left out (identity at inference), GridReshape as Reshape (+ ZeroPadding2D),
 * and a final softmax or sigmoid Activation on the logits, so the model outputs
 * probabilities `[batch, classes]`. Batch norm keeps its moving statistics.
 * The input layer is `signals` and the last layer `probabilities` (src/export/io-names.ts).
 * Throws naming the layer when a layer has no stock form.
 */
export function toTfjsLayers(built: BuiltModel): TfjsLayersArtifacts {
  const graph = modelGraph(built.model);
  // Refused before anything is built, so a failure leaves no half-built layers behind.
  for (const node of graph.layers) {
    if (!STOCK_CLASSES.has(node.className) && !REPLACED_CLASSES.has(node.className)) {
      throw new Error(`TF.js export: layer ${node.name} (${node.className}) has no stock TF.js form`);
    }
  }
  const gru = new UnrolledGru();
  const copies: Array<{ clone: tf.layers.Layer; from: tf.layers.Layer }> = [];
  let model: tf.LayersModel | null = null;
  try {
    const input = tf.input({ batchShape: graph.input.batchInputShape, name: EXPORT_INPUT_NAME });
    const values = new Map<string, StockValue>([[graph.input.name, { tensor: input }]]);
    for (const node of graph.layers) {
      const inputs = node.inputs.map((n) => values.get(n) as StockValue);
      let out: StockValue;
      if (node.className === 'SeededDropout') {
        out = inputs[0];
      } else if (node.className === 'PyTorchGRU') {
        out = gru.apply(node.layer as PyTorchGRU, inputs[0]);
      } else if (node.className === 'GridReshape') {
        out = { tensor: stockGridReshape(node.layer as GridReshape, tensorOf(inputs[0], node.name)) };
      } else {
        const clone = cloneStock(node.layer);
        const args = inputs.map((v) => tensorOf(v, node.name));
        out = { tensor: clone.apply(args.length === 1 ? args[0] : args) as Sym };
        copies.push({ clone, from: node.layer });
      }
      values.set(node.name, out);
    }
    const logits = tensorOf(values.get(graph.output) as StockValue, EXPORT_OUTPUT_NAME);
    const probabilities = tf.layers.activation({ activation: built.output, name: EXPORT_OUTPUT_NAME }).apply(logits) as Sym;
    model = tf.model({ inputs: input, outputs: probabilities, name: built.model.name });
    for (const { clone, from } of copies) clone.setWeights(from.getWeights());

    const specs: tf.io.WeightsManifestEntry[] = [];
    const parts: Uint8Array[] = [];
    for (const w of model.weights) {
      if (w.dtype !== 'float32') throw new Error(`TF.js export: weight ${w.originalName} is ${w.dtype}, not float32`);
      specs.push({ name: w.originalName, shape: w.shape.map((d) => d as number), dtype: 'float32' });
      parts.push(littleEndianFloats(floatValues(w.read())));
    }
    const weightData = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      weightData.set(p, at);
      at += p.length;
    }
    const modelJson = {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
      convertedBy: 'hpsearch',
      modelTopology: model.toJSON(null, false),
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: specs }],
    };
    return { modelJson, weightData, weightsPath: TFJS_WEIGHTS_FILE };
  } finally {
    // Not model.dispose(): a layer applied at every timestep counts one reference per call,
    // so the Dense layers shared by the unrolled GRU would keep their variables.
    for (const w of model?.weights ?? []) w.dispose();
    gru.dispose();
  }
}
