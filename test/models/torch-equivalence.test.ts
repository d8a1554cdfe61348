/**
 * cnngru and cnn2d compute exactly the functions of CNNGRU and CNN2D in
 * scripts/compare/torch_reference.py: with the same weights (converted from PyTorch's
 * layouts), the logits agree with PyTorch's in training mode (batch statistics, the residual
 * orders, GRU gates, pooling, the NCHW flatten order) and in inference mode.
 *
 * Expected values: test/models/fixtures/torch_reference_outputs.py (torch 1.13, float64).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import type { DataInfo } from '../../src/data/types.js';
import { buildModel } from '../../src/models/index.js';
import { useTestBackend } from '../train/fixtures/backend.js';

/** The weight formula of the fixture script, over a parameter's PyTorch-layout flat index. */
function fill(shape: number[], k: number): Float64Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = 0.6 * Math.sin(0.7 * i + 1.3 * k) + 0.1 * Math.cos(2.3 * i * (k + 1)) + (shape.length === 1 ? 0.3 : 0);
  }
  return out;
}

const signal = (b: number, t: number): number => Math.cos(0.37 * t * (b + 1)) + 0.5 * Math.sin(1.1 * t + b);

/** PyTorch tensor (flat, row-major `shape`) → tfjs tensor by permuting axes. */
function permuted(values: Float64Array, shape: number[], perm: number[]): tf.Tensor {
  return tf.tidy(() => tf.transpose(tf.tensor(Array.from(values), shape, 'float32'), perm));
}

/** Where each PyTorch parameter goes: [layer name, weight index in the layer, tfjs value]. */
type Mapping = (name: string, shape: number[], values: Float64Array) => [string, number, tf.Tensor];

function loadTorchWeights(model: tf.LayersModel, params: Array<[string, number[]]>, map: Mapping): void {
  const byLayer = new Map<string, tf.Tensor[]>();
  params.forEach(([name, shape], k) => {
    const [layer, index, value] = map(name, shape, fill(shape, k));
    const list = byLayer.get(layer) ?? model.getLayer(layer).getWeights().slice();
    list[index] = value;
    byLayer.set(layer, list);
  });
  for (const [layer, weights] of byLayer) model.getLayer(layer).setWeights(weights);
}

/** Common parts of both models: conv kernels, biases, batch norm gamma/beta, linear layers. */
function commonMapping(name: string, shape: number[], values: Float64Array, layerOf: (torchModule: string) => string): [string, number, tf.Tensor] {
  const parts = name.split('.');
  const kind = parts.pop() as string;
  const module = parts.join('.');
  const layer = layerOf(module);
  const isBn = /(^|\.)(bn|b\d)$/.test(module);
  if (isBn) return [layer, kind === 'weight' ? 0 : 1, tf.tensor1d(Array.from(values))];
  if (kind === 'bias') return [layer, 1, tf.tensor1d(Array.from(values))];
  if (shape.length === 3) return [layer, 0, permuted(values, shape, [2, 1, 0])]; // [out,in,k] → [k,in,out]
  if (shape.length === 4) return [layer, 0, permuted(values, shape, [2, 3, 1, 0])]; // [out,in,kh,kw] → [kh,kw,in,out]
  return [layer, 0, permuted(values, shape, [1, 0])]; // Linear [out,in] → [in,out]
}

const blockLayer = (module: string): string => {
  const m = /^blocks\.(\d+)\.([cb])(\d)$/.exec(module);
  if (m === null) throw new Error(`unexpected module ${module}`);
  return `block${Number(m[1]) + 1}_${m[2] === 'c' ? 'conv' : 'bn'}${m[3]}`;
};

function compare(actual: Float32Array, expected: number[], what: string): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((v, i) => assert.ok(Math.abs(actual[i] - v) < 2e-4 * Math.max(1, Math.abs(v)), `${what}[${i}]: ${actual[i]} vs torch ${v}`));
}

function outputs(model: tf.LayersModel, x: tf.Tensor): { train: Float32Array; eval: Float32Array } {
  // Inference first: training mode updates the moving statistics (PyTorch's run reset them).
  const evalOut = tf.tidy(() => (model.apply(x, { training: false }) as tf.Tensor).dataSync() as Float32Array);
  const trainOut = tf.tidy(() => (model.apply(x, { training: true }) as tf.Tensor).dataSync() as Float32Array);
  return { train: trainOut, eval: evalOut };
}

describe('equivalence with the PyTorch reference', () => {
  before(async () => {
    await useTestBackend();
  });

  it('cnngru = CNNGRU(hidden 4, blocks 2, gru_hidden 3, layers 2)', () => {
    const torchParams: Array<[string, number[]]> = [
      ['conv.weight', [4, 1, 3]], ['conv.bias', [4]], ['bn.weight', [4]], ['bn.bias', [4]],
      ...[0, 1].flatMap((b): Array<[string, number[]]> => [
        [`blocks.${b}.c1.weight`, [4, 4, 3]], [`blocks.${b}.c1.bias`, [4]], [`blocks.${b}.b1.weight`, [4]], [`blocks.${b}.b1.bias`, [4]],
        [`blocks.${b}.c2.weight`, [4, 4, 3]], [`blocks.${b}.c2.bias`, [4]], [`blocks.${b}.b2.weight`, [4]], [`blocks.${b}.b2.bias`, [4]],
      ]),
      ['gru.weight_ih_l0', [9, 4]], ['gru.weight_hh_l0', [9, 3]], ['gru.bias_ih_l0', [9]], ['gru.bias_hh_l0', [9]],
      ['gru.weight_ih_l1', [9, 3]], ['gru.weight_hh_l1', [9, 3]], ['gru.bias_ih_l1', [9]], ['gru.bias_hh_l1', [9]],
      ['fc1.weight', [4, 3]], ['fc1.bias', [4]], ['fc2.weight', [5, 4]], ['fc2.bias', [5]],
    ];
    const info: DataInfo = { length: 12, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] };
    const { model } = buildModel('cnngru', { hidden: 4, num_blocks: 2, gru_hidden: 3, num_layers: 2, dropout: 0 }, info, 0);
    loadTorchWeights(model, torchParams, (name, shape, values) => {
      const gru = /^gru\.(weight|bias)_(ih|hh)_l(\d)$/.exec(name);
      if (gru !== null) {
        const layer = `gru${Number(gru[3]) + 1}`;
        const index = gru[1] === 'weight' ? (gru[2] === 'ih' ? 0 : 1) : gru[2] === 'ih' ? 2 : 3;
        const value = gru[1] === 'weight' ? permuted(values, shape, [1, 0]) : tf.tensor1d(Array.from(values));
        return [layer, index, value];
      }
      return commonMapping(name, shape, values, (m) => (m === 'conv' ? 'stem_conv' : m === 'bn' ? 'stem_bn' : m.startsWith('blocks') ? blockLayer(m) : m));
    });
    const x = tf.tensor3d(Array.from({ length: 3 }, (_, b) => Array.from({ length: 12 }, (_, t) => [signal(b, t)])));
    const out = outputs(model, x);
    compare(out.train, [
      1.74683795, -1.16409433, 1.26883485, -1.72273872, 1.14138474, 1.77348651, -1.19563907, 1.29892409, -1.74324031, 1.14542563,
      1.77467129, -1.19697341, 1.30007244, -1.74377925, 1.14502395,
    ], 'train-mode logits');
    compare(out.eval, [
      1.79583938, -1.22588035, 1.32933898, -1.76432681, 1.14969337, 1.79859474, -1.22994994, 1.33363408, -1.76752322, 1.15075784,
      1.79879185, -1.23006805, 1.33370982, -1.76759058, 1.15082496,
    ], 'inference logits');
    x.dispose();
    model.dispose();
  });

  it('cnn2d = CNN2D(hidden 3, blocks 1, dense layers 3)', () => {
    const hidden = 3;
    const torchParams: Array<[string, number[]]> = [
      ['conv.weight', [3, 1, 3, 3]], ['conv.bias', [3]], ['bn.weight', [3]], ['bn.bias', [3]],
      ['blocks.0.c1.weight', [3, 3, 3, 3]], ['blocks.0.c1.bias', [3]], ['blocks.0.b1.weight', [3]], ['blocks.0.b1.bias', [3]],
      ['blocks.0.c2.weight', [3, 3, 3, 3]], ['blocks.0.c2.bias', [3]], ['blocks.0.b2.weight', [3]], ['blocks.0.b2.bias', [3]],
      ['head.0.weight', [3, 120]], ['head.0.bias', [3]], ['head.3.weight', [3, 3]], ['head.3.bias', [3]],
      ['head.6.weight', [5, 3]], ['head.6.bias', [5]],
    ];
    const { model } = buildModel('cnn2d', { hidden, num_blocks: 1, num_layers: 3, dropout: 0 }, { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] }, 0);
    const headLayer: Record<string, string> = { 'head.0': 'fc1', 'head.3': 'fc2', 'head.6': 'out' };
    loadTorchWeights(model, torchParams, (name, shape, values) => {
      if (name === 'head.0.weight') {
        // PyTorch flattens (C, 5, 8); we flatten (5, 8, C): row c·40 + h·8 + w of PyTorch's input
        // dimension is our row (h·8 + w)·C + c.
        const [H, W, C] = [5, 8, hidden];
        const kernel = new Float32Array(H * W * C * shape[0]);
        for (let o = 0; o < shape[0]; o++) {
          for (let c = 0; c < C; c++) {
            for (let h = 0; h < H; h++) {
              for (let w = 0; w < W; w++) kernel[((h * W + w) * C + c) * shape[0] + o] = values[o * shape[1] + c * H * W + h * W + w];
            }
          }
        }
        return ['fc1', 0, tf.tensor2d(kernel, [H * W * C, shape[0]])];
      }
      return commonMapping(name, shape, values, (m) => (m === 'conv' ? 'stem_conv' : m === 'bn' ? 'stem_bn' : m.startsWith('blocks') ? blockLayer(m) : headLayer[m]));
    });
    const x = tf.tensor3d(Array.from({ length: 3 }, (_, b) => Array.from({ length: 187 }, (_, t) => [signal(b, t)])));
    const out = outputs(model, x);
    compare(out.train, [
      1.48727425, -1.5447515, -0.0673593305, 0.959038602, -1.22493519, 2.19143711, -2.07930126, -0.233359031, 1.65899609,
      -1.76196175, 1.19807528, -1.47795888, 0.155146161, 0.668989567, -1.15669866,
    ], 'train-mode logits');
    compare(out.eval, [
      2.10800416, -2.35720922, 0.134991167, 1.5623801, -2.03453445, 2.30038238, -2.12036292, -0.301660706, 1.76910149,
      -1.80409473, 1.92975721, -1.83231436, -0.220869835, 1.40042587, -1.51456679,
    ], 'inference logits');
    x.dispose();
    model.dispose();
  });
});
