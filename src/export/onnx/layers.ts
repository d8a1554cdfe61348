/**
 * The ONNX form of each tfjs layer class the models of src/models/ use. Each converter takes
 * the layer and its input values and returns its output value; a class without an entry has
 * no ONNX form and export fails naming it. Inference semantics throughout: batch norm uses
 * its moving statistics, dropout is the identity.
 */
import type * as tf from '@tensorflow/tfjs';

import type { GridReshape, PyTorchGRU } from '../../models/index.js';
import { floatValues, hasWeight, transposedValues, weightTensor } from '../layer-weights.js';
import { inputShapeOf } from '../model-graph.js';
import { gruToOnnx } from './gru.js';
import { LayerConfig } from './layer-config.js';
import { channelsFirst, identityPerm, type OnnxGraph, type Value } from './onnx-graph.js';
import { floatAttr, intAttr, intsAttr, stringAttr } from './proto.js';

export type OnnxConverter = (g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]) => Value;

function single(layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  if (inputs.length !== 1) throw new Error(`layer ${layer.name}: expected one input, got ${inputs.length}`);
  return inputs[0];
}

/** A layer's fused `activation` as a node after it. */
function activate(g: OnnxGraph, layer: tf.layers.Layer, x: Value, activation: string): Value {
  if (activation === 'linear') return x;
  const op = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' }[activation];
  if (op === undefined) throw new Error(`layer ${layer.name}: activation ${activation} has no ONNX form here`);
  return { name: g.op(op, [x.name], `${layer.name}_${activation}`), perm: x.perm };
}

/** tfjs padding → ONNX auto_pad; 'same' pads the extra sample at the end, like SAME_UPPER. */
function autoPad(layer: tf.layers.Layer, padding: string): string {
  if (padding === 'same') return 'SAME_UPPER';
  if (padding === 'valid') return 'VALID';
  throw new Error(`layer ${layer.name}: padding ${padding} has no ONNX form here`);
}

/** Conv1D / Conv2D: kernel [k…, in, out] → ONNX [out, in, k…], channels-first data. */
function conv(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  const c = new LayerConfig(layer);
  const kernel = weightTensor(layer, 'kernel');
  const rank = kernel.rank;
  const spatial = rank - 2;
  if (layer.getClassName() === 'Conv2D') c.expect('dataFormat', ['channelsLast']);
  const w = g.floats(`${layer.name}_kernel`, [kernel.shape[rank - 1], kernel.shape[rank - 2], ...kernel.shape.slice(0, spatial)], transposedValues(kernel, [rank - 1, rank - 2, ...identityPerm(spatial)]));
  const operands = [g.inLayout(x, channelsFirst(rank)), w];
  if (c.boolean('useBias')) {
    const bias = weightTensor(layer, 'bias');
    operands.push(g.floats(`${layer.name}_bias`, bias.shape, floatValues(bias)));
  }
  const out = g.op('Conv', operands, layer.name, [
    intsAttr('kernel_shape', kernel.shape.slice(0, spatial)),
    intsAttr('strides', c.numbers('strides', spatial)),
    intsAttr('dilations', c.numbers('dilationRate', spatial)),
    stringAttr('auto_pad', autoPad(layer, c.string('padding'))),
  ]);
  return activate(g, layer, { name: out, perm: channelsFirst(rank) }, c.string('activation'));
}

function batchNorm(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  const rank = x.perm.length;
  const c = new LayerConfig(layer);
  const axis = c.number('axis');
  if (axis !== -1 && axis !== rank - 1) throw new Error(`layer ${layer.name}: batch norm over axis ${axis} (only the channel axis, -1, is supported)`);
  const mean = weightTensor(layer, 'moving_mean');
  const channels = mean.shape[0] as number;
  const param = (name: string, fill: number): string =>
    g.floats(`${layer.name}_${name}`, [channels], hasWeight(layer, name) ? floatValues(weightTensor(layer, name)) : new Float32Array(channels).fill(fill));
  if (c.boolean('scale') !== hasWeight(layer, 'gamma') || c.boolean('center') !== hasWeight(layer, 'beta')) {
    throw new Error(`layer ${layer.name}: scale/center settings do not match its weights`);
  }
  const out = g.op(
    'BatchNormalization',
    [
      g.inLayout(x, channelsFirst(rank)),
      param('gamma', 1),
      param('beta', 0),
      g.floats(`${layer.name}_moving_mean`, [channels], floatValues(mean)),
      g.floats(`${layer.name}_moving_variance`, [channels], floatValues(weightTensor(layer, 'moving_variance'))),
    ],
    layer.name,
    [floatAttr('epsilon', c.number('epsilon'))],
  );
  return { name: out, perm: channelsFirst(rank) };
}

function relu(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  if (new LayerConfig(layer).optional('maxValue') !== undefined) throw new Error(`layer ${layer.name}: ReLU with maxValue has no ONNX form here`);
  return { name: g.op('Relu', [x.name], layer.name), perm: x.perm };
}

function add(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  if (inputs.length < 2) throw new Error(`layer ${layer.name}: Add needs at least two inputs`);
  const perm = inputs[0].perm;
  const names = inputs.map((v) => g.inLayout(v, perm));
  return { name: g.op(names.length === 2 ? 'Add' : 'Sum', names, layer.name), perm };
}

function maxPool(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  const rank = x.perm.length;
  const spatial = rank - 2;
  const c = new LayerConfig(layer);
  if (layer.getClassName() === 'MaxPooling2D') c.expect('dataFormat', ['channelsLast']);
  const out = g.op('MaxPool', [g.inLayout(x, channelsFirst(rank))], layer.name, [
    intsAttr('kernel_shape', c.numbers('poolSize', spatial)),
    intsAttr('strides', c.numbers('strides', spatial)),
    stringAttr('auto_pad', autoPad(layer, c.string('padding'))),
  ]);
  return { name: out, perm: channelsFirst(rank) };
}

/** GlobalAveragePooling1D: [N, C, 1] from ONNX, flattened to [N, C]. */
function globalAveragePool(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  const pooled = g.op('GlobalAveragePool', [g.inLayout(x, channelsFirst(x.perm.length))], layer.name);
  return { name: g.op('Flatten', [pooled], `${layer.name}_flatten`, [intAttr('axis', 1)]), perm: [0, 1] };
}

/** Flatten in tfjs' (channels-last, row-major) order, so the next Dense's kernel is used as is. */
function flatten(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  return { name: g.op('Flatten', [g.inLayout(x, identityPerm(x.perm.length))], layer.name, [intAttr('axis', 1)]), perm: [0, 1] };
}

function dense(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  if (x.perm.length !== 2) throw new Error(`layer ${layer.name}: Dense on a rank-${x.perm.length} input has no ONNX form here`);
  const c = new LayerConfig(layer);
  const kernel = weightTensor(layer, 'kernel');
  const operands = [x.name, g.floats(`${layer.name}_kernel`, kernel.shape, floatValues(kernel))];
  if (c.boolean('useBias')) {
    const bias = weightTensor(layer, 'bias');
    operands.push(g.floats(`${layer.name}_bias`, bias.shape, floatValues(bias)));
  }
  return activate(g, layer, { name: g.op('Gemm', operands, layer.name), perm: [0, 1] }, c.string('activation'));
}

/** [N, L, C] → zero-pad L to h·w → [N, h, w, C], row-major (src/models/layers.ts). */
function gridReshape(g: OnnxGraph, layer: tf.layers.Layer, inputs: readonly Value[]): Value {
  const x = single(layer, inputs);
  const grid = layer as GridReshape;
  const [, length, channels] = inputShapeOf(layer);
  if (length == null || channels == null) throw new Error(`layer ${layer.name}: GridReshape needs a fixed length and channel count`);
  const pad = grid.height * grid.width - length;
  let signal = g.inLayout(x, [0, 1, 2]);
  if (pad > 0) signal = g.op('Pad', [signal, g.int64s(`${layer.name}_pads`, [0, 0, 0, 0, pad, 0])], `${layer.name}_pad`);
  const out = g.op('Reshape', [signal, g.int64s(`${layer.name}_shape`, [-1, grid.height, grid.width, channels])], layer.name);
  return { name: out, perm: [0, 1, 2, 3] };
}

export const ONNX_CONVERTERS: Readonly<Record<string, OnnxConverter>> = {
  Conv1D: conv,
  Conv2D: conv,
  BatchNormalization: batchNorm,
  ReLU: relu,
  Add: add,
  MaxPooling1D: maxPool,
  MaxPooling2D: maxPool,
  GlobalAveragePooling1D: globalAveragePool,
  Flatten: flatten,
  Dense: dense,
  // Identity at inference.
  SeededDropout: (_g, layer, inputs) => single(layer, inputs),
  GridReshape: gridReshape,
  PyTorchGRU: (g, layer, inputs) => gruToOnnx(g, layer as PyTorchGRU, single(layer, inputs)),
};
