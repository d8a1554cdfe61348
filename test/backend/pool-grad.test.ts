/**
 * Pooling gradients on wasm against the cpu backend: our MaxPoolGrad (the stock wasm one drops
 * the gradient of windows whose values are all ≤ 0) and the stock AvgPoolGrad.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { onBothBackends, randomTensor, randomValues, relativeError } from './helpers.js';

type Pool = 'max' | 'avg';

interface Case {
  readonly name: string;
  readonly x: [number, number, number, number];
  readonly size: [number, number];
  readonly strides: [number, number];
  readonly pad: 'same' | 'valid';
}

const cases: Case[] = [
  // tfjs-layers maxPooling1d pools [N, W, 1, C] with a [2, 1] window (cnngru: 187 → 93, odd tail dropped).
  { name: '1d as [N, W, 1, C], 2×1 stride 2 valid', x: [4, 187, 1, 16], size: [2, 1], strides: [2, 1], pad: 'valid' },
  { name: '1d as [N, 1, W, C], 1×2 stride 2 same', x: [3, 1, 45, 8], size: [1, 2], strides: [1, 2], pad: 'same' },
  // cnn2d: 11×17 → 5×8.
  { name: '2d 2×2 stride 2 valid', x: [4, 11, 17, 8], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { name: '2d 3×3 stride 2 same', x: [2, 11, 17, 5], size: [3, 3], strides: [2, 2], pad: 'same' },
  { name: '2d 3×2 stride 1 same (overlapping windows)', x: [2, 7, 9, 3], size: [3, 2], strides: [1, 1], pad: 'same' },
];

function poolGrad(kind: Pool, c: Case, x: tf.Tensor4D): tf.Tensor {
  const weights = randomTensor(
    kind === 'max' ? (tf.maxPool(x, c.size, c.strides, c.pad).shape as number[]) : (tf.avgPool(x, c.size, c.strides, c.pad).shape as number[]),
    99,
  );
  const f = (t: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(kind === 'max' ? tf.maxPool(t as tf.Tensor4D, c.size, c.strides, c.pad) : tf.avgPool(t as tf.Tensor4D, c.size, c.strides, c.pad), weights));
  return tf.grad(f)(x);
}

async function check(kind: Pool, c: Case, makeX: () => tf.Tensor4D): Promise<void> {
  const { cpu, wasm } = await onBothBackends(() => poolGrad(kind, c, makeX()));
  const err = relativeError(wasm[0], cpu[0]);
  assert.ok(err < 1e-6, `${kind} ${c.name}: relative error ${err.toExponential(2)}`);
}

describe('pooling gradients on wasm match cpu', () => {
  for (const c of cases) {
    it(`MaxPoolGrad ${c.name}`, () => check('max', c, () => randomTensor(c.x, 5) as tf.Tensor4D));
    it(`AvgPoolGrad ${c.name}`, () => check('avg', c, () => randomTensor(c.x, 6) as tf.Tensor4D));
  }

  it('MaxPoolGrad routes all-negative windows (what the stock wasm kernel drops)', async () => {
    const c = cases[2];
    await check('max', c, () => tf.sub(tf.abs(randomTensor(c.x, 7)), 2) as tf.Tensor4D);
  });

  it('MaxPoolGrad gives a tie to the first maximum, as cpu does', async () => {
    const c = cases[4];
    // Values in {-1, 0, 1}: most windows hold ties.
    const values = Float32Array.from(randomValues(c.x.reduce((a, b) => a * b), 8), (v) => Math.round(v));
    await check('max', c, () => tf.tensor4d(values, c.x));
  });
});
