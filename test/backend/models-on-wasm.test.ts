/**
 * The real models (src/models, small sizes) give the same loss and gradients on wasm as on the
 * cpu backend: the end-to-end check of the wasm training kernels, whatever GRU implementation
 * the models pick for the backend.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import type { DataInfo } from '../../src/data/types.js';
import { buildModel } from '../../src/models/index.js';
import type { ModelName } from '../../src/config/settings.js';
import type { Params } from '../../src/core/search-space.js';
import { randomTensor } from './helpers.js';

/** Small enough for the cpu backend, whose convolution gradients cost about 1 µs per multiply-add. */
const CONFIGS: Record<ModelName, { params: Params; info: DataInfo; batch: number }> = {
  cnngru: {
    params: { hidden: 8, num_blocks: 1, gru_hidden: 6, num_layers: 2, dropout: 0 },
    info: { length: 30, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] },
    batch: 4,
  },
  cnn2d: {
    params: { hidden: 8, num_blocks: 1, num_layers: 2, dropout: 0 },
    info: { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] },
    batch: 4,
  },
  cnn1d: {
    params: { dropout: 0 },
    // Fixed widths 64/128/256/256: kept short and narrow in batch.
    info: { length: 16, channels: 2, numClasses: 4, multilabel: true, classes: ['a', 'b', 'c', 'd'] },
    batch: 2,
  },
};

/** Loss, then every trainable weight's gradient, on the current backend, from a freshly built model. */
async function lossAndGrads(name: ModelName): Promise<Float32Array[]> {
  const { params, info, batch } = CONFIGS[name];
  const built = buildModel(name, params, info, 3);
  try {
    const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const out = tf.tidy(() => {
      const x = randomTensor([batch, info.length, info.channels], 1);
      const y = info.multilabel
        ? tf.cast(tf.greater(randomTensor([batch, info.numClasses], 2), 0), 'float32')
        : tf.oneHot(tf.tensor1d([0, 1, 2, 3].slice(0, batch), 'int32'), info.numClasses).toFloat();
      const { value, grads } = tf.variableGrads(() => {
        const logits = built.model.apply(x, { training: true }) as tf.Tensor;
        return built.output === 'sigmoid' ? tf.losses.sigmoidCrossEntropy(y, logits) : tf.losses.softmaxCrossEntropy(y, logits);
      }, vars);
      return [value, ...vars.map((v) => grads[v.name])];
    });
    const data = await Promise.all(out.map(async (t) => Float32Array.from(await t.data())));
    tf.dispose(out);
    return data;
  } finally {
    built.model.dispose();
  }
}

function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

describe('the models train with the same gradients on wasm as on cpu', () => {
  for (const name of Object.keys(CONFIGS) as ModelName[]) {
    it(name, async () => {
      await initBackend('cpu');
      const cpu = await lossAndGrads(name);
      await initBackend('wasm');
      const wasm = await lossAndGrads(name);
      assert.equal(wasm.length, cpu.length);
      // Each tensor's error relative to its own scale; except that a tensor at the rounding level
      // (a conv bias feeding BatchNorm directly: zero up to rounding, about 1e-8 here, where two
      // rounding noises cannot agree relatively) is measured against the largest gradient.
      const largest = Math.max(...cpu.slice(1).map(maxAbs));
      const errors = cpu.map((c, i) => {
        let diff = 0;
        for (let j = 0; j < c.length; j++) diff = Math.max(diff, Math.abs(wasm[i][j] - c[j]));
        const scale = maxAbs(c);
        return diff / (scale < 1e-5 * largest ? largest : Math.max(scale, 1e-12));
      });
      assert.ok(
        errors.every((e) => e < 1e-4),
        `${name}: relative errors (loss first): ${errors.map((e) => e.toExponential(1)).join(' ')}`,
      );
    });
  }
});
