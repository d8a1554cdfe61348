/**
 * A trained model as the list its converters walk: each layer once, in topological order,
 * with the layers it reads. Both formats are written from this walk, so what counts as the
 * model's graph is decided here only.
 *
 * The models of src/models/ are functional tfjs models with one input and one output that
 * apply each layer once; every layer has one output, so a value is named by the layer that
 * computes it.
 */
import type * as tf from '@tensorflow/tfjs';

export interface GraphLayer {
  readonly layer: tf.layers.Layer;
  /** The class name tfjs serialises the layer under ('Conv1D', 'PyTorchGRU', …). */
  readonly className: string;
  readonly name: string;
  /** Names of the layers whose outputs this layer reads, in argument order. */
  readonly inputs: readonly string[];
}

export interface ModelGraph {
  /** The input layer. */
  readonly input: tf.layers.Layer;
  /** Every other layer, each after the layers it reads. */
  readonly layers: readonly GraphLayer[];
  /** The layer whose output is the model's output (the logits). */
  readonly output: string;
}

export function modelGraph(model: tf.LayersModel): ModelGraph {
  if (model.inputLayers.length !== 1 || model.outputLayers.length !== 1) {
    throw new Error(`model ${model.name}: expected one input and one output, got ${model.inputLayers.length} and ${model.outputLayers.length}`);
  }
  const input = model.inputLayers[0];
  const seen = new Set<string>([input.name]);
  const layers: GraphLayer[] = [];
  for (const layer of model.layers) {
    if (layer === input) continue;
    if (layer.inboundNodes.length !== 1) {
      throw new Error(`model ${model.name}: layer ${layer.name} is applied ${layer.inboundNodes.length} times; export needs each layer applied once`);
    }
    const node = layer.inboundNodes[0];
    node.tensorIndices.forEach((t, i) => {
      if (t !== 0 || node.nodeIndices[i] !== 0) throw new Error(`model ${model.name}: layer ${layer.name} reads a second output of ${node.inboundLayers[i].name}`);
    });
    const inputs = node.inboundLayers.map((l) => l.name);
    for (const name of inputs) {
      if (!seen.has(name)) throw new Error(`model ${model.name}: layer ${layer.name} reads ${name}, which comes later`);
    }
    seen.add(layer.name);
    layers.push({ layer, className: layer.getClassName(), name: layer.name, inputs });
  }
  return { input, layers, output: model.outputLayers[0].name };
}

/** The static shape of a single-input layer's input in the model ([batch, …], null = open). */
export function inputShapeOf(layer: tf.layers.Layer): ReadonlyArray<number | null> {
  const shapes = layer.inboundNodes[0]?.inputShapes;
  if (shapes === undefined) throw new Error(`layer ${layer.name} is not part of a model`);
  if (shapes.length > 0 && Array.isArray(shapes[0])) {
    if (shapes.length !== 1) throw new Error(`layer ${layer.name}: expected one input, got ${shapes.length}`);
    return shapes[0] as Array<number | null>;
  }
  return shapes as Array<number | null>;
}
