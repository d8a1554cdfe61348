/**
 * A trained model as an ONNX ModelProto, for onnxruntime (Python, C++, mobile, the browser).
 */
import type { BuiltModel } from '../../models/index.js';

export interface OnnxMeta {
  /** Written as `producer_version` (the producer is `hpsearch`). */
  readonly producerVersion?: string;
  /** Written as the model's `doc_string`. */
  readonly docString?: string;
}

/**
 * The ONNX encoding (opset 13, IR version 7) of `built`'s network with its current weights.
 * Graph input `signals` (EXPORT_INPUT_NAME): float32 `[batch, input.length, input.channels]` (batch symbolic);
 * output `probabilities` (EXPORT_OUTPUT_NAME): float32 `[batch, classes]`, the softmax of the logits, or their
 * sigmoid when `built.output === 'sigmoid'`. Batch norm uses its moving statistics and
 * dropout is left out (inference). Throws naming the layer when a layer has no ONNX form.
 */
export function toOnnxModel(built: BuiltModel, input: { length: number; channels: number }, meta: OnnxMeta = {}): Uint8Array {
  void built;
  void input;
  void meta;
  throw new Error('toOnnxModel: not implemented yet');
}
