/**
 * A trained model as an ONNX ModelProto, for onnxruntime (Python, C++, mobile, the browser).
 */
import type { BuiltModel } from '../../models/index.js';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME } from '../io-names.js';
import { modelGraph } from '../model-graph.js';
import { ONNX_CONVERTERS } from './layers.js';
import { OnnxGraph, type Value } from './onnx-graph.js';
import { intAttr } from './proto.js';

/**
 * Opset 13 (onnx 1.8): Softmax over one axis, Squeeze/Pad/Reshape with tensor arguments;
 * IR version 7 is the one that release introduced. Every runtime of the last years reads it.
 */
export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;

export interface OnnxMeta {
  /** Written as `producer_version` (the producer is `hpsearch`). */
  readonly producerVersion?: string;
  /** Written as the model's `doc_string`. */
  readonly docString?: string;
}

/**
 * The ONNX encoding (opset 13, IR version 7) of `built`'s network with its current weights.
 * Graph input `signals` (EXPORT_INPUT_NAME): float32 `[batch, input.length, input.channels]`
 * (batch symbolic); output `probabilities` (EXPORT_OUTPUT_NAME): float32 `[batch, classes]`,
 * the softmax of the logits, or their sigmoid when `built.output === 'sigmoid'`. Batch norm
 * uses its moving statistics and dropout is left out (inference). `input` must match the
 * model's own input where that is fixed (cnn1d leaves the length open). Throws naming the
 * layer when a layer has no ONNX form.
 */
export function toOnnxModel(built: BuiltModel, input: { length: number; channels: number }, meta: OnnxMeta = {}): Uint8Array {
  const graph = modelGraph(built.model);
  const [, length, channels] = built.model.inputs[0].shape;
  for (const [what, want, own] of [['length', input.length, length], ['channels', input.channels, channels]] as const) {
    if (!Number.isInteger(want) || want < 1) throw new Error(`ONNX export: input ${what} must be a positive integer, got ${want}`);
    if (own != null && own !== want) throw new Error(`ONNX export: model ${built.name} takes ${what} ${own}, not ${want}`);
  }
  const logitsShape = built.model.outputs[0].shape;
  const classes = logitsShape[1];
  if (logitsShape.length !== 2 || classes == null) throw new Error(`ONNX export: model ${built.name} outputs [${logitsShape.join(', ')}], not [batch, classes]`);

  const g = new OnnxGraph();
  g.reserve(EXPORT_INPUT_NAME);
  g.reserve(EXPORT_OUTPUT_NAME);
  const values = new Map<string, Value>([[graph.input.name, { name: EXPORT_INPUT_NAME, perm: [0, 1, 2] }]]);
  for (const node of graph.layers) {
    const convert = ONNX_CONVERTERS[node.className];
    if (convert === undefined) throw new Error(`ONNX export: layer ${node.name} (${node.className}) has no ONNX form`);
    values.set(node.name, convert(g, node.layer, node.inputs.map((n) => values.get(n) as Value)));
  }
  const logits = g.inLayout(values.get(graph.output) as Value, [0, 1]);
  if (built.output === 'sigmoid') g.node('Sigmoid', [logits], [], 'sigmoid', [EXPORT_OUTPUT_NAME]);
  else g.node('Softmax', [logits], [intAttr('axis', 1)], 'softmax', [EXPORT_OUTPUT_NAME]);

  return g.encode({
    opset: ONNX_OPSET,
    irVersion: ONNX_IR_VERSION,
    producerVersion: meta.producerVersion,
    docString: meta.docString,
    graphName: built.name,
    input: { name: EXPORT_INPUT_NAME, dims: ['batch', input.length, input.channels] },
    output: { name: EXPORT_OUTPUT_NAME, dims: ['batch', classes] },
  });
}
