/**
 * The training-step kernels of the 'native' backend that replace a sequence of tfjs ops —
 * the Adam/AdamW update (native/src/adam.cc) and seeded dropout (native/src/dropout.cc) —
 * give the cpu backend's numbers bit for bit, so a seeded rerun is the same whichever backend
 * trained it; and the fused GRU's arrays are recycled between steps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import { loadNativeAddon } from '../../src/backend/native/index.js';
import { recyclerOf } from '../../src/backend/native/output-recycler.js';
import { buildModel, SeededDropout, StepCounter } from '../../src/models/index.js';
import { AdamW } from '../../src/train/optimizers.js';

const load = loadNativeAddon();
const skip: string | false = load.ok ? false : `native addon unavailable: ${load.reason}`;

/** Weights, m and v after `steps` AdamW steps on seeded variables and gradients, on the active backend. */
function adamRun(weightDecay: number, steps: number): Float32Array[] {
  const shapes = [[3, 5], [7], [64, 33], [1]];
  const vars = shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 11 + i), true, `adam_test_${weightDecay}_${i}`));
  const opt = new AdamW({ learningRate: 3e-3, weightDecay });
  try {
    for (let step = 0; step < steps; step++) {
      tf.tidy(() => {
        // Gradients spanning magnitudes (and a zero), so ε and the bias corrections matter.
        const grads: tf.NamedTensorMap = {};
        vars.forEach((v, i) => {
          const g = tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 100 * step + i + 1), Math.pow(10, (i % 3) * 3 - 4));
          grads[v.name] = i === 3 ? tf.zerosLike(v) : g;
        });
        opt.applyGradients(grads);
      });
    }
    const slots = opt.slotsFor(vars);
    return [...vars.map((v) => Float32Array.from(v.dataSync())), ...slots.flatMap((s) => [Float32Array.from(s.m.dataSync()), Float32Array.from(s.v.dataSync())])];
  } finally {
    opt.dispose();
    tf.dispose(vars);
  }
}

describe('native Adam update', { skip }, () => {
  for (const weightDecay of [0, 0.01]) {
    it(`gives the tfjs op sequence's weights and moments bit for bit (weight decay ${weightDecay})`, async () => {
      await initBackend('cpu');
      const cpu = adamRun(weightDecay, 4);
      await initBackend('native');
      assert.ok(tf.getKernel('HpAdamUpdate', 'native') !== undefined);
      const native = adamRun(weightDecay, 4);
      assert.equal(native.length, cpu.length);
      for (let i = 0; i < cpu.length; i++) assert.deepEqual(native[i], cpu[i], `array ${i}`);
    });
  }

  it('runs one kernel per variable instead of fourteen', async () => {
    await initBackend('native');
    const v = tf.variable(tf.ones([4]), true, 'adam_count');
    const opt = new AdamW({ learningRate: 1e-3 });
    const g = tf.ones([4]);
    opt.slotsFor([v]); // the slots' zeros are made once, before the first step
    const prof = await tf.profile(() => opt.applyGradients({ [v.name]: g }));
    assert.deepEqual(prof.kernels.map((k) => k.name), ['HpAdamUpdate']);
    opt.dispose();
    tf.dispose([v, g]);
  });
});

/** Output and input gradient of a SeededDropout layer at two steps, on the active backend. */
function dropoutRun(rate: number): Float32Array[] {
  const counter = new StepCounter();
  const layer = new SeededDropout({ rate, seed: 12345, stepCounter: counter });
  const x = tf.randomNormal([4, 93, 16], 0, 1, 'float32', 3);
  const dy = tf.randomNormal([4, 93, 16], 0, 1, 'float32', 4);
  const out: Float32Array[] = [];
  for (let step = 0; step < 2; step++) {
    tf.tidy(() => {
      const f = (t: tf.Tensor): tf.Tensor => layer.apply(t, { training: true }) as tf.Tensor;
      out.push(Float32Array.from(f(x).dataSync()));
      out.push(Float32Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), dy)))(x).dataSync()));
    });
    counter.advance();
  }
  tf.dispose([x, dy]);
  return out;
}

describe('native seeded dropout', { skip }, () => {
  for (const rate of [0.4, 0.1]) {
    it(`draws tf.randomUniform's mask: output and gradient bit for bit as on cpu (rate ${rate})`, async () => {
      await initBackend('cpu');
      const cpu = dropoutRun(rate);
      await initBackend('native');
      const native = dropoutRun(rate);
      for (let i = 0; i < cpu.length; i++) assert.deepEqual(native[i], cpu[i], `array ${i}`);
      // A fresh mask each step, dropping about `rate` of the units.
      assert.notDeepEqual(native[0], native[2]);
      const dropped = native[0].filter((v) => v === 0).length / native[0].length;
      assert.ok(Math.abs(dropped - rate) < 0.05, `dropped ${dropped}`);
    });
  }
});

describe('native GRU arrays', { skip }, () => {
  it('a CNN-GRU training step reuses the arrays of the previous one (no fresh allocation in steady state)', async () => {
    await initBackend('native');
    const recycler = recyclerOf(tf.backend());
    assert.ok(recycler !== undefined);
    const info = { length: 48, channels: 1, numClasses: 3, multilabel: false, classes: ['a', 'b', 'c'] };
    const built = buildModel('cnngru', { hidden: 8, num_blocks: 1, gru_hidden: 16, num_layers: 2, dropout: 0.2 }, info, 1);
    const vars = built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const opt = new AdamW({ learningRate: 1e-3 });
    const x = tf.randomNormal([4, info.length, 1], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3).toFloat();
    const step = (): void => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, built.model.apply(x, { training: true }) as tf.Tensor), vars);
        opt.applyGradients(grads);
        return value;
      }).dispose();
      built.stepCounter.advance();
    };
    step();
    step();
    const misses = recycler.misses;
    for (let i = 0; i < 3; i++) step();
    assert.equal(recycler.misses, misses);
    opt.dispose();
    built.model.dispose();
    tf.dispose([x, y]);
  });
});
