/**
 * The simplified multi-label 1D CNN of the 19-label ECG notebook our users ran, a Keras model
 * (so Keras' initialisers and batch-norm defaults; docs/searchspace.md "The models"):
 *
 *   Conv1D(64, 7, relu)  → BN → MaxPool(2) → Dropout(0.3)
 *   Conv1D(128, 5, relu) → BN → MaxPool(2) → Dropout(0.3)
 *   Conv1D(256, 3, relu) → BN → MaxPool(2) → Dropout(0.4)
 *   Conv1D(256, 3, relu) → BN              → Dropout(0.4)
 *   GlobalAveragePooling1D → Dense(128, relu) → BN → Dropout(0.5) → Dense(K)
 *
 * The output is logits; the sigmoid lives in the loss (binary cross-entropy with logits),
 * which is the numerically stable form of the notebook's `Dense(K, sigmoid)` + BCE.
 * The input length is left open ([null, C]) like the notebook's `input_shape=(None, 12)`:
 * global average pooling makes the model length-agnostic.
 *
 * A tunable `dropout` d scales the five rates by d / 0.3 (capped at 0.9), so d = 0.3 is
 * the notebook's 0.3 / 0.3 / 0.4 / 0.4 / 0.5.
 */
import * as tf from '@tensorflow/tfjs';

import { apply, dropout, kerasBatchNorm, kerasConv1d, kerasDense, type Sym } from './blocks.js';
import type { ModelHyper } from './hyper.js';
import type { SeedSequence, StepCounter } from './seeding.js';

export const CNN1D_BASE_DROPOUT = 0.3;
const BASE_RATES = [0.3, 0.3, 0.4, 0.4, 0.5] as const;

export function cnn1dDropoutRates(dropoutParam: number): number[] {
  if (dropoutParam === CNN1D_BASE_DROPOUT) return [...BASE_RATES];
  const scale = dropoutParam / CNN1D_BASE_DROPOUT;
  return BASE_RATES.map((r) => Math.min(0.9, r * scale));
}

export function buildCnn1d(
  hp: ModelHyper,
  shape: { length: number; channels: number; outputs: number },
  seeds: SeedSequence,
  stepCounter: StepCounter,
): tf.LayersModel {
  if (shape.length < 8) throw new Error(`cnn1d needs signals of at least 8 samples (three 2x poolings), got ${shape.length}`);
  const rates = cnn1dDropoutRates(hp.dropout);
  const input = tf.input({ shape: [null, shape.channels], name: 'signal' });
  const blocks: Array<{ filters: number; kernel: number; pool: boolean }> = [
    { filters: 64, kernel: 7, pool: true },
    { filters: 128, kernel: 5, pool: true },
    { filters: 256, kernel: 3, pool: true },
    { filters: 256, kernel: 3, pool: false },
  ];
  let x: Sym = input;
  blocks.forEach((b, i) => {
    const n = i + 1;
    x = apply(kerasConv1d(seeds, b.filters, b.kernel, `conv${n}`), x);
    x = apply(kerasBatchNorm(`conv${n}_bn`), x);
    if (b.pool) x = apply(tf.layers.maxPooling1d({ poolSize: 2, strides: 2, name: `conv${n}_pool` }), x);
    x = apply(dropout(seeds, rates[i], stepCounter, `conv${n}_dropout`), x);
  });
  x = apply(tf.layers.globalAveragePooling1d({ name: 'gap' }), x);
  x = apply(kerasDense(seeds, hp.hidden, 'fc1', 'relu'), x);
  x = apply(kerasBatchNorm('fc1_bn'), x);
  x = apply(dropout(seeds, rates[4], stepCounter, 'fc1_dropout'), x);
  const logits = apply(kerasDense(seeds, shape.outputs, 'out'), x);
  return tf.model({ inputs: input, outputs: logits, name: 'cnn1d' });
}
