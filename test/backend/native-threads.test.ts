/**
 * The native kernels with several threads (native/src/parallel.h): the same bits with 1, 2 and
 * 3 threads for the products, convolutions (im2col and Winograd, forward and both gradients)
 * and the fused GRU with its gradients, at sizes where every parallel path is taken; and with
 * 3 threads the same numbers as tfjs' cpu backend within the kernels' tolerance (1e-4 relative).
 * Skipped, with the reason, when the addon is not built.
 */
import assert from 'node:assert/strict';
import { describe, it, after } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { loadNativeAddon, setNativeThreads } from '../../src/backend/native/index.js';
import { gruSequence } from '../../src/models/gru-fused.js';
import { randomTensor, relativeError, runOnBackend } from './helpers.js';

const load = loadNativeAddon();
const skip: string | false = load.ok ? false : `native addon unavailable: ${load.reason}`;

/** Each case's outputs (and gradients), built from seeded inputs inside `f`. */
const CASES: readonly { readonly label: string; readonly f: () => tf.Tensor[] }[] = [
  // M ≤ 144 rows: one row block, the columns' panels shared out.
  { label: 'matmul [60, 256]·[256, 768]', f: () => [tf.matMul(randomTensor([60, 256], 1) as tf.Tensor2D, randomTensor([256, 768], 2) as tf.Tensor2D)] },
  // Many row blocks and K in two blocks (K = 600 > 256: every element sums its K blocks in order).
  { label: 'matmul [700, 600]·[600, 70]', f: () => [tf.matMul(randomTensor([700, 600], 3) as tf.Tensor2D, randomTensor([600, 70], 4) as tf.Tensor2D)] },
  { label: 'matmul transposed [300, 200]ᵀ·[400, 300]ᵀ', f: () => [tf.matMul(randomTensor([300, 200], 5) as tf.Tensor2D, randomTensor([400, 300], 6) as tf.Tensor2D, true, true)] },
  {
    label: 'conv2d 3×3 32→32 on [16, 11, 17] (Winograd) and both gradients',
    f: () => {
      const x = randomTensor([16, 11, 17, 32], 7) as tf.Tensor4D;
      const w = randomTensor([3, 3, 32, 32], 8) as tf.Tensor4D;
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'))))([x, w]);
      return [tf.conv2d(x, w, 1, 'same'), dx!, dw!];
    },
  },
  {
    label: 'conv1d k5 16→24 stride 2 on [32, 187] (im2col) and both gradients',
    f: () => {
      const x = randomTensor([32, 1, 187, 16], 9) as tf.Tensor4D;
      const w = randomTensor([1, 5, 16, 24], 10) as tf.Tensor4D;
      const conv = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [1, 2], 'same'));
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(conv(a, b))))([x, w]);
      return [conv(x, w), dx!, dw!];
    },
  },
];

const GRU_CASE = {
  label: 'fused GRU 48→128 units over 20 steps, batch 48, and its gradients',
  f: (): tf.Tensor[] => {
    const x = randomTensor([48, 20, 48], 11) as tf.Tensor3D;
    const kernel = randomTensor([48, 384], 12).mul(0.2) as tf.Tensor2D;
    const recurrentKernel = randomTensor([128, 384], 13).mul(0.2) as tf.Tensor2D;
    const bias = randomTensor([384], 14).mul(0.1) as tf.Tensor1D;
    const recurrentBias = randomTensor([384], 15).mul(0.1) as tf.Tensor1D;
    const run = (xi: tf.Tensor, k: tf.Tensor, r: tf.Tensor): tf.Tensor =>
      gruSequence(xi as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: r as tf.Tensor2D, bias, recurrentBias }, true, 'native');
    const grads = tf.grads((xi: tf.Tensor, k: tf.Tensor, r: tf.Tensor) => tf.sum(tf.square(run(xi, k, r))))([x, kernel, recurrentKernel]);
    return [run(x, kernel, recurrentKernel), ...grads];
  },
};

async function onNativeWith(threads: number, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  assert.equal(setNativeThreads(threads), threads);
  return runOnBackend('native', f);
}

function assertBitIdentical(label: string, a: Float32Array[], b: Float32Array[]): void {
  assert.equal(a.length, b.length);
  a.forEach((out, i) => {
    const x = new Uint32Array(out.buffer, out.byteOffset, out.length);
    const y = new Uint32Array(b[i]!.buffer, b[i]!.byteOffset, b[i]!.length);
    const at = x.findIndex((v, j) => v !== y[j]);
    assert.equal(at, -1, `${label}, output ${i}: element ${at} differs (${out[at]} vs ${b[i]![at]})`);
  });
}

describe('native kernels with threads', { skip }, () => {
  after(() => setNativeThreads(1));

  for (const c of [...CASES, GRU_CASE]) {
    it(`give the same bits with 1, 2 and 3 threads: ${c.label}`, async () => {
      const one = await onNativeWith(1, c.f);
      assertBitIdentical(`${c.label}, 2 threads`, await onNativeWith(2, c.f), one);
      assertBitIdentical(`${c.label}, 3 threads`, await onNativeWith(3, c.f), one);
    });
  }

  for (const c of CASES) {
    it(`equal the cpu backend with 3 threads: ${c.label}`, async () => {
      const native = await onNativeWith(3, c.f);
      const cpu = await runOnBackend('cpu', c.f);
      native.forEach((out, i) => {
        const err = relativeError(out, cpu[i]!);
        assert.ok(err < 1e-4, `${c.label}, output ${i}: relative error ${err}`);
      });
    });
  }

  it('clamp the thread count to at least 1', () => {
    assert.equal(setNativeThreads(0), 1);
    assert.equal(setNativeThreads(-3), 1);
  });
});
