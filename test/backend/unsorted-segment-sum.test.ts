/** The wasm UnsortedSegmentSum (gradient of gather) against the cpu backend. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import { onBothBackends, randomTensor, randomValues, relativeError } from './helpers.js';

describe('UnsortedSegmentSum on wasm matches cpu', () => {
  it('sums rows by 1-D ids, dropping ids out of range', async () => {
    const { cpu, wasm } = await onBothBackends(() =>
      tf.unsortedSegmentSum(randomTensor([7, 3, 4], 1), tf.tensor1d([2, 0, 2, -1, 5, 1, 0], 'int32'), 4),
    );
    assert.ok(relativeError(wasm[0], cpu[0]) < 1e-6);
  });

  it('accepts multi-dimensional ids (a prefix of x shape)', async () => {
    // The cpu kernel mis-broadcasts ids of rank > 1, so the expectation is written out.
    await initBackend('wasm');
    const ids = [0, 1, 1, 2, 0, 3];
    const x = randomValues(6 * 5, 2);
    const out = tf.tidy(() =>
      tf.engine().runKernel('UnsortedSegmentSum', { x: tf.tensor3d(x, [2, 3, 5]), segmentIds: tf.tensor2d(ids, [2, 3], 'int32') }, { numSegments: 3 }) as tf.Tensor,
    );
    assert.deepEqual(out.shape, [3, 5]);
    const expected = new Float32Array(15);
    ids.forEach((s, i) => {
      if (s < 3) for (let j = 0; j < 5; j++) expected[s * 5 + j] += x[i * 5 + j];
    });
    assert.ok(relativeError(await out.data(), expected) < 1e-6);
    out.dispose();
  });

  it('gives tf.gather a gradient on wasm', async () => {
    const { cpu, wasm } = await onBothBackends(() => {
      const table = randomTensor([10, 6], 3);
      const idx = tf.tensor1d([3, 3, 0, 9, 4, 3], 'int32');
      const g0 = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, idx))))(table);
      const g1 = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([5, 1, 1], 'int32'), 1))))(table);
      return [g0, g1];
    });
    for (let i = 0; i < cpu.length; i++) assert.ok(relativeError(wasm[i], cpu[i]) < 1e-4, `gradient ${i}`);
  });
});
