/**
 * The wasm Conv2DBackpropFilter against the cpu backend's, on the shapes the models use
 * (cnn2d: 11×17 beats, 3×3; cnngru / cnn1d: [N, 1, W, C] with 1×3 / 1×5 / 1×7) and on the
 * geometry corner cases (strides, 'same' with asymmetric padding, explicit padding, NCHW, the
 * batch split that bounds the im2col buffer).
 *
 * The cpu backend's own Conv2DBackpropFilter reads every element through TensorBuffer.get and
 * needs seconds for one 64→64 case (19 s for 128→128), so wide-channel cases are checked against
 * a float64 direct sum written here, and that sum is itself checked against the cpu backend on
 * the cases small enough to run there.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import { setIm2colLimit } from '../../src/backend/wasm-kernels/index.js';
import { onBothBackends, randomTensor, randomValues, relativeError } from './helpers.js';

const TOL = 1e-4;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  readonly name: string;
  /** NHWC input shape (NCHW when dataFormat is NCHW). */
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: number | [number, number];
  readonly pad: Pad;
  readonly dataFormat?: 'NHWC' | 'NCHW';
  readonly dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** dW from the kernel itself, on the current backend, for a seeded x and dy. */
function filterGrad(c: Case, seed: number): tf.Tensor {
  const x = randomTensor(c.x, seed);
  const info = tf.backend_util.computeConv2DInfo(
    c.dataFormat === 'NCHW' ? [c.x[0], c.x[2], c.x[3], c.x[1]] : c.x,
    c.filter,
    c.strides,
    1,
    c.pad,
    c.dimRoundingMode,
  );
  const [n, oh, ow, co] = info.outShape;
  const dy = randomTensor(c.dataFormat === 'NCHW' ? [n, co, oh, ow] : [n, oh, ow, co], seed + 1);
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.dataFormat ?? 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    filterShape: c.filter,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** dW by the defining sum, in float64, from the same seeded x and dy as filterGrad (NHWC only). */
function directFilterGrad(c: Case, seed: number): Float64Array {
  const x = randomValues(c.x.reduce((a, b) => a * b), seed);
  const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: Ci, outHeight: OH, outWidth: OW, outChannels: Co } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: sh, strideWidth: sw } = info;
  const dy = randomValues(N * OH * OW * Co, seed + 1);
  const dw = new Float64Array(KH * KW * Ci * Co);
  for (let kh = 0; kh < KH; kh++)
    for (let kw = 0; kw < KW; kw++)
      for (let n = 0; n < N; n++)
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh + kh - info.padInfo.top;
          if (ih < 0 || ih >= H) continue;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * sw + kw - info.padInfo.left;
            if (iw < 0 || iw >= W) continue;
            const xo = ((n * H + ih) * W + iw) * Ci;
            const dyo = ((n * OH + oh) * OW + ow) * Co;
            for (let ci = 0; ci < Ci; ci++) {
              const xv = x[xo + ci];
              const wo = ((kh * KW + kw) * Ci + ci) * Co;
              for (let co = 0; co < Co; co++) dw[wo + co] += xv * dy[dyo + co];
            }
          }
        }
  return dw;
}

/** Cases with more multiply-adds than this run against directFilterGrad instead of the cpu backend. */
const CPU_BUDGET_MACS = 3e6;

function macs(c: Case): number {
  return c.x.reduce((a, b) => a * b) * c.filter[0] * c.filter[1] * c.filter[3];
}

async function check(c: Case, seed = 1): Promise<void> {
  if (macs(c) > CPU_BUDGET_MACS && c.dataFormat !== 'NCHW') {
    await initBackend('wasm');
    const wasm = await tf.tidy(() => filterGrad(c, seed)).data();
    const err = relativeError(wasm, directFilterGrad(c, seed));
    assert.ok(err < TOL, `${c.name}: relative error ${err.toExponential(2)} ≥ ${TOL} (vs float64 direct sum)`);
    return;
  }
  const { cpu, wasm } = await onBothBackends(() => filterGrad(c, seed));
  const err = relativeError(wasm[0], cpu[0]);
  assert.ok(err < TOL, `${c.name}: relative error ${err.toExponential(2)} ≥ ${TOL}`);
}

const cases: Case[] = [];
for (const strides of [1, 2] as const) {
  for (const pad of ['same', 'valid'] as const) {
    // cnn2d: first conv on the 11×17 beat image, and the 64→64 residual convs.
    cases.push({ name: `2d 1→8 3×3 s${strides} ${pad}`, x: [4, 11, 17, 1], filter: [3, 3, 1, 8], strides, pad });
    cases.push({ name: `2d 64→64 3×3 s${strides} ${pad}`, x: [2, 11, 17, 64], filter: [3, 3, 64, 64], strides, pad });
    // cnngru / cnn1d: Conv1D as [N, 1, W, C] with 1×k filters.
    for (const k of [3, 5, 7]) {
      cases.push({ name: `1d 8→16 1×${k} s${strides} ${pad}`, x: [4, 1, 187, 8], filter: [1, k, 8, 16], strides, pad });
    }
    cases.push({ name: `1d 64→64 1×3 s${strides} ${pad}`, x: [2, 1, 187, 64], filter: [1, 3, 64, 64], strides, pad });
  }
}
cases.push(
  { name: '1d 1→64 1×3 same (first cnngru conv)', x: [8, 1, 187, 1], filter: [1, 3, 1, 64], strides: 1, pad: 'same' },
  { name: '2d 128→128 3×3 same (cnn2d seed-best)', x: [2, 11, 17, 128], filter: [3, 3, 128, 128], strides: 1, pad: 'same' },
  { name: 'even kernel, asymmetric same padding', x: [3, 10, 13, 5], filter: [2, 4, 5, 6], strides: [2, 3], pad: 'same' },
  { name: 'kernel as large as the input, valid', x: [2, 5, 7, 3], filter: [5, 7, 3, 4], strides: 1, pad: 'valid' },
  { name: 'numeric padding with rounding', x: [2, 9, 12, 3], filter: [3, 3, 3, 4], strides: 2, pad: 1, dimRoundingMode: 'ceil' },
  {
    name: 'explicit padding',
    x: [2, 9, 12, 3],
    filter: [3, 2, 3, 4],
    strides: [1, 2],
    pad: [[0, 0], [1, 2], [0, 3], [0, 0]],
  },
  { name: 'NCHW', x: [3, 4, 9, 11], filter: [3, 3, 4, 5], strides: 2, pad: 'same', dataFormat: 'NCHW' },
);

describe('Conv2DBackpropFilter on wasm matches cpu', () => {
  for (const c of cases) it(c.name, () => check(c));

  it('the float64 reference agrees with the cpu backend', async () => {
    // A 1-D case and the odd geometries (asymmetric, full-size, numeric and explicit padding).
    const names = ['1d 8→16 1×7 s2 same', 'even kernel, asymmetric same padding', 'kernel as large as the input, valid', 'numeric padding with rounding', 'explicit padding'];
    const small = cases.filter((c) => names.includes(c.name));
    assert.equal(small.length, names.length);
    for (const c of small) {
      await initBackend('cpu');
      const cpu = await tf.tidy(() => filterGrad(c, 7)).data();
      const err = relativeError(cpu, directFilterGrad(c, 7));
      assert.ok(err < 1e-5, `${c.name}: cpu vs float64 ${err.toExponential(2)}`);
    }
  });

  it('wide channels against cpu too (one 64→64 2-D and one 1-D case, batch 1)', async () => {
    await check({ name: '2d 64→64 cpu', x: [1, 11, 17, 64], filter: [3, 3, 64, 64], strides: 1, pad: 'same' });
    await check({ name: '1d 64→64 cpu', x: [1, 1, 187, 64], filter: [1, 3, 64, 64], strides: 2, pad: 'valid' });
  });

  it('splits a large batch into im2col chunks with the same result', async () => {
    const previous = setIm2colLimit(3 * 1 * 187 * 5); // two batch items per chunk, last chunk partial
    try {
      await check({ name: 'chunked 1d', x: [5, 1, 187, 3], filter: [1, 5, 3, 7], strides: 1, pad: 'same' });
      await check({ name: 'chunked NCHW', x: [5, 3, 11, 17], filter: [3, 3, 3, 4], strides: 2, pad: 'valid', dataFormat: 'NCHW' });
    } finally {
      setIm2colLimit(previous);
    }
  });

  it('is what autodiff uses for conv1d and conv2d filter gradients', async () => {
    const grads = (): tf.Tensor[] => {
      const x1 = randomTensor([4, 60, 3], 11);
      const w1 = randomTensor([5, 3, 6], 12);
      const x2 = randomTensor([4, 11, 17, 2], 13);
      const w2 = randomTensor([3, 3, 2, 4], 14);
      const g1 = tf.grad((w: tf.Tensor) => tf.sum(tf.square(tf.conv1d(x1 as tf.Tensor3D, w as tf.Tensor3D, 2, 'same'))))(w1);
      const g2 = tf.grad((w: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x2 as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid'))))(w2);
      return [g1, g2];
    };
    const { cpu, wasm } = await onBothBackends(grads);
    for (let i = 0; i < cpu.length; i++) {
      const err = relativeError(wasm[i], cpu[i]);
      assert.ok(err < TOL, `gradient ${i}: relative error ${err.toExponential(2)}`);
    }
  });

  it('leaks no tensor memory', async () => {
    await initBackend('wasm');
    const c: Case = { name: 'leak', x: [2, 11, 17, 4], filter: [3, 3, 4, 8], strides: 1, pad: 'same' };
    filterGrad(c, 3).dispose(); // warm-up: first calls may allocate caches
    const before = tf.memory().numTensors;
    const bytes = tf.engine().backend.numDataIds();
    for (let i = 0; i < 3; i++) tf.tidy(() => filterGrad(c, 5 + i)).dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.equal(tf.engine().backend.numDataIds(), bytes);
  });
});

after(() => tf.disposeVariables());
