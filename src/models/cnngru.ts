/**
 * CNN-GRU, exactly `CNNGRU` of the PyTorch reference (scripts/compare/torch_reference.py):
 *
 *   Conv1d(C, hidden, 3, padding=1) → ReLU → BatchNorm1d
 *   num_blocks × ResBlock1D: y = BN(ReLU(Conv(x))); y = BN(ReLU(Conv(y))); out = x + y
 *   max_pool1d(2)                                   (floor: 187 → 93)
 *   GRU(hidden → gru_hidden, num_layers, dropout between layers, PyTorch gates)
 *   last hidden state of the top layer → Linear(gru_hidden, hidden) → ReLU → Linear(hidden, classes)
 *
 * Layout is channels-last ([batch, L, C]) where PyTorch is channels-first; the maths is the same.
 */
import * as tf from '@tensorflow/tfjs';

import { apply, dropout, type Sym, torchBatchNorm, torchConv1d, torchDense } from './blocks.js';
import { PyTorchGRU } from './gru.js';
import type { ModelHyper } from './hyper.js';
import type { SeedSequence, StepCounter } from './seeding.js';

export function buildCnnGru(
  hp: ModelHyper,
  shape: { length: number; channels: number; outputs: number },
  seeds: SeedSequence,
  stepCounter: StepCounter,
): tf.LayersModel {
  const input = tf.input({ shape: [shape.length, shape.channels], name: 'signal' });
  let x: Sym = apply(torchConv1d(seeds, { filters: hp.hidden, kernelSize: 3, inChannels: shape.channels, activation: 'relu', name: 'stem_conv' }), input);
  x = apply(torchBatchNorm('stem_bn'), x);
  for (let b = 1; b <= hp.numBlocks; b++) {
    let y = apply(torchConv1d(seeds, { filters: hp.hidden, kernelSize: 3, inChannels: hp.hidden, activation: 'relu', name: `block${b}_conv1` }), x);
    y = apply(torchBatchNorm(`block${b}_bn1`), y);
    y = apply(torchConv1d(seeds, { filters: hp.hidden, kernelSize: 3, inChannels: hp.hidden, activation: 'relu', name: `block${b}_conv2` }), y);
    y = apply(torchBatchNorm(`block${b}_bn2`), y);
    x = apply(tf.layers.add({ name: `block${b}_add` }), [x, y]);
  }
  x = apply(tf.layers.maxPooling1d({ poolSize: 2, strides: 2, name: 'pool' }), x);
  for (let l = 1; l <= hp.numLayers; l++) {
    const last = l === hp.numLayers;
    x = apply(new PyTorchGRU({ units: hp.gruHidden, returnSequences: !last, seed: seeds.take(), name: `gru${l}` }), x);
    // nn.GRU's `dropout`: on the outputs of every layer except the last.
    if (!last && hp.dropout > 0) x = apply(dropout(seeds, hp.dropout, stepCounter, `gru${l}_dropout`), x);
  }
  x = apply(torchDense(seeds, hp.hidden, hp.gruHidden, 'fc1', 'relu'), x);
  const logits = apply(torchDense(seeds, shape.outputs, hp.hidden, 'fc2'), x);
  return tf.model({ inputs: input, outputs: logits, name: 'cnngru' });
}
