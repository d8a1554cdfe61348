import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { AdamW, clipByGlobalNorm, optimizerSettings } from '../../src/train/optimizers.js';
import { useTestBackend } from './fixtures/backend.js';

/** Adam/AdamW written out in float64 for one parameter vector. */
function handAdamW(w0: number[], grads: number[][], lr: number, wd: number): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  let w = w0.slice();
  let m = w.map(() => 0);
  let v = w.map(() => 0);
  grads.forEach((g, step) => {
    const t = step + 1;
    m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]);
    v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i] * g[i]);
    w = w.map((wi, i) => {
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = v[i] / (1 - b2 ** t);
      return wi - lr * (mHat / (Math.sqrt(vHat) + eps) + wd * wi);
    });
  });
  return w;
}

function step(opt: AdamW, w: tf.Variable, g: number[]): void {
  tf.tidy(() => opt.applyGradients({ [w.name]: tf.tensor1d(g) }));
}

const near = (actual: ArrayLike<number>, expected: number[], tol = 1e-6): void =>
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)), `[${i}] ${actual[i]} vs ${e}`));

describe('AdamW', () => {
  before(async () => {
    await useTestBackend();
  });

  const w0 = [1, -2, 0.5];
  const grads = [
    [0.1, -0.3, 0.2],
    [0.05, 0.1, -0.4],
    [-0.2, 0.3, 0.01],
  ];

  it('matches a hand computation of decoupled weight decay (Loshchilov & Hutter)', () => {
    const w = tf.variable(tf.tensor1d(w0));
    const opt = new AdamW({ learningRate: 0.01, weightDecay: 0.1 });
    for (const g of grads) step(opt, w, g);
    near(w.dataSync(), handAdamW(w0, grads, 0.01, 0.1));
    assert.equal(opt.step, 3);
    opt.dispose();
    w.dispose();
  });

  it('with zero decay is Adam, and the two differ after one step by exactly lr·λ·w', () => {
    const wAdam = tf.variable(tf.tensor1d(w0));
    const wAdamW = tf.variable(tf.tensor1d(w0));
    const adam = new AdamW({ learningRate: 0.01 });
    const adamw = new AdamW({ learningRate: 0.01, weightDecay: 0.1 });
    step(adam, wAdam, grads[0]);
    step(adamw, wAdamW, grads[0]);
    near(wAdam.dataSync(), handAdamW(w0, [grads[0]], 0.01, 0));
    const diff = Array.from(wAdam.dataSync()).map((a, i) => a - wAdamW.dataSync()[i]);
    near(diff, w0.map((x) => 0.01 * 0.1 * x), 1e-6);
    // Adam's first step moves every weight by ≈ lr·sign(g), independent of |g| — and not by L2 decay.
    near(Array.from(wAdam.dataSync()).map((a, i) => a - w0[i]), grads[0].map((g) => -0.01 * Math.sign(g)), 1e-5);
    [adam, adamw].forEach((o) => o.dispose());
    tf.dispose([wAdam, wAdamW]);
  });

  it('uses a changed learning rate from the next step on', () => {
    const w = tf.variable(tf.tensor1d(w0));
    const opt = new AdamW({ learningRate: 0.01 });
    step(opt, w, grads[0]);
    const before = Array.from(w.dataSync());
    opt.learningRate = 0.001;
    step(opt, w, grads[0]);
    // Same gradient twice: m̂/√v̂ is exactly 1 in magnitude again, so the step is the new lr.
    near(Array.from(w.dataSync()).map((a, i) => a - before[i]), grads[0].map((g) => -0.001 * Math.sign(g)), 1e-5);
    opt.dispose();
    w.dispose();
  });

  it('continues bit-identically after its slots and step are copied to a fresh optimiser', () => {
    const a = tf.variable(tf.tensor1d(w0));
    const b = tf.variable(tf.tensor1d(w0));
    const optA = new AdamW({ learningRate: 0.01, weightDecay: 0.05 });
    step(optA, a, grads[0]);
    step(optA, a, grads[1]);
    // Rebuild b's optimiser from optA's state, as a checkpoint restore does.
    b.assign(a);
    const optB = new AdamW({ learningRate: 0.01, weightDecay: 0.05 });
    const [slotA] = optA.slotsFor([a]);
    const [slotB] = optB.slotsFor([b]);
    slotB.m.assign(slotA.m);
    slotB.v.assign(slotA.v);
    optB.step = optA.step;
    step(optA, a, grads[2]);
    step(optB, b, grads[2]);
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    [optA, optB].forEach((o) => o.dispose());
    tf.dispose([a, b]);
  });

  it('round-trips tfjs getWeights/setWeights', async () => {
    const w = tf.variable(tf.tensor1d(w0));
    const opt = new AdamW({ learningRate: 0.01 });
    step(opt, w, grads[0]);
    const saved = await opt.getWeights();
    assert.deepEqual(saved.map((s) => s.name), ['iter', `${w.name}/m`, `${w.name}/v`]);
    const copy = new AdamW({ learningRate: 0.01 });
    await copy.setWeights(saved);
    assert.equal(copy.step, 1);
    assert.deepEqual(Array.from(copy.slotsFor([w])[0].v.dataSync()), Array.from(opt.slotsFor([w])[0].v.dataSync()));
    [opt, copy].forEach((o) => o.dispose());
    w.dispose();
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients by maxNorm/(norm + 1e-6) above the threshold and leaves them bit-identical below', () => {
    tf.tidy(() => {
      const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) }; // global norm 5
      const clipped = clipByGlobalNorm(grads, 1);
      const f = 1 / (5 + 1e-6);
      near(clipped.a.dataSync(), [3 * f, 0]);
      near(clipped.b.dataSync(), [0, 4 * f]);
      const untouched = clipByGlobalNorm(grads, 10);
      assert.deepEqual(Array.from(untouched.a.dataSync()), [3, 0]);
      assert.equal(clipByGlobalNorm(grads, 0), grads, 'clip_norm 0 disables clipping');
    });
  });
});

describe('optimizerSettings', () => {
  it('reads optimizer, learning_rate and weight_decay with the registry\'s defaults', () => {
    assert.deepEqual(optimizerSettings({}), { name: 'adam', learningRate: 1e-3, weightDecay: 0 });
    assert.deepEqual(optimizerSettings({ optimizer: 'adamw' }), { name: 'adamw', learningRate: 1e-3, weightDecay: 1e-4 });
    assert.deepEqual(optimizerSettings({ optimizer: 'AdamW', weight_decay: 1e-4 }, { learning_rate: 3e-4 }), {
      name: 'adamw',
      learningRate: 3e-4,
      weightDecay: 1e-4,
    });
    assert.deepEqual(optimizerSettings({ optimizer: 'adam', weight_decay: 0.1 }).weightDecay, 0, 'decay only with adamw');
    assert.throws(() => optimizerSettings({ optimizer: 'sgd' }), /adam or adamw/);
  });
});
