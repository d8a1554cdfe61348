/**
 * 2D CNN, exactly `CNN2D` of the PyTorch reference (scripts/compare/torch_reference.py):
 *
 *   beat [L, C] → zero-pad and reshape to an h × w grid (187 → 11 × 17)
 *   Conv2d(C, hidden, 3×3, padding=1) → ReLU → BatchNorm2d
 *   num_blocks × ResBlock2D: y = ReLU(BN(Conv(x))); y = BN(Conv(y)); out = ReLU(x + y)
 *       (note: BN before ReLU here, the 1D block has ReLU before BN)
 *   max_pool2d(2)                                   (floor: 11 × 17 → 5 × 8)
 *   flatten → (num_layers − 1) × [Linear(·, hidden) → ReLU → Dropout] → Linear(·, classes)
 *
 * Channels-last; the flatten order therefore differs from PyTorch's (a fixed permutation
 * of the first dense layer's inputs, the same function class).
 */
import * as tf from '@tensorflow/tfjs';

import { apply, dropout, type Sym, torchBatchNorm, torchConv2d, torchDense } from './blocks.js';
import type { ModelHyper } from './hyper.js';
import { GridReshape, gridShape } from './layers.js';
import type { SeedSequence, StepCounter } from './seeding.js';

export function buildCnn2d(
  hp: ModelHyper,
  shape: { length: number; channels: number; outputs: number },
  seeds: SeedSequence,
  stepCounter: StepCounter,
): tf.LayersModel {
  const grid = gridShape(shape.length);
  const input = tf.input({ shape: [shape.length, shape.channels], name: 'signal' });
  let x: Sym = apply(new GridReshape({ height: grid.height, width: grid.width, name: 'grid' }), input);
  x = apply(torchConv2d(seeds, { filters: hp.hidden, kernelSize: 3, inChannels: shape.channels, activation: 'relu', name: 'stem_conv' }), x);
  x = apply(torchBatchNorm('stem_bn'), x);
  for (let b = 1; b <= hp.numBlocks; b++) {
    let y = apply(torchConv2d(seeds, { filters: hp.hidden, kernelSize: 3, inChannels: hp.hidden, name: `block${b}_conv1` }), x);
    y = apply(torchBatchNorm(`block${b}_bn1`), y);
    y = apply(tf.layers.reLU({ name: `block${b}_relu1` }), y);
    y = apply(torchConv2d(seeds, { filters: hp.hidden, kernelSize: 3, inChannels: hp.hidden, name: `block${b}_conv2` }), y);
    y = apply(torchBatchNorm(`block${b}_bn2`), y);
    x = apply(tf.layers.add({ name: `block${b}_add` }), [x, y]);
    x = apply(tf.layers.reLU({ name: `block${b}_relu2` }), x);
  }
  x = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool' }), x);
  x = apply(tf.layers.flatten({ name: 'flatten' }), x);
  let width = Math.floor(grid.height / 2) * Math.floor(grid.width / 2) * hp.hidden;
  for (let l = 1; l < hp.numLayers; l++) {
    x = apply(torchDense(seeds, hp.hidden, width, `fc${l}`, 'relu'), x);
    if (hp.dropout > 0) x = apply(dropout(seeds, hp.dropout, stepCounter, `fc${l}_dropout`), x);
    width = hp.hidden;
  }
  const logits = apply(torchDense(seeds, shape.outputs, width, 'out'), x);
  return tf.model({ inputs: input, outputs: logits, name: 'cnn2d' });
}
