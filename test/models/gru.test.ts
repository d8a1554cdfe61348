import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { type GruCellFn, pytorchGruCell, PyTorchGRU, setGruCell } from '../../src/models/gru.js';
import { useTestBackend } from '../train/fixtures/backend.js';

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/**
 * PyTorch's GRU equations written out as plain loops, in float64, over PyTorch-layout weights
 * (w_ih [3H, F], w_hh [3H, H], gate order r, z, n). Returns every hidden state [B, T, H].
 */
function referenceGru(
  x: number[][][],
  wIh: number[][],
  wHh: number[][],
  bIh: number[],
  bHh: number[],
  units: number,
): number[][][] {
  return x.map((sequence) => {
    let h = new Array<number>(units).fill(0);
    return sequence.map((xt) => {
      const gi = wIh.map((row, g) => row.reduce((s, w, f) => s + w * xt[f], bIh[g]));
      const gh = wHh.map((row, g) => row.reduce((s, w, j) => s + w * h[j], bHh[g]));
      const next = h.map((hj, j) => {
        const r = sigmoid(gi[j] + gh[j]);
        const z = sigmoid(gi[units + j] + gh[units + j]);
        const n = Math.tanh(gi[2 * units + j] + r * gh[2 * units + j]);
        return (1 - z) * n + z * hj;
      });
      h = next;
      return next;
    });
  });
}

const transpose = (m: number[][]): number[][] => m[0].map((_, j) => m.map((row) => row[j]));

function matrix(rows: number, cols: number, f: (i: number) => number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => f(r * cols + c)));
}

/** A PyTorchGRU with the given PyTorch-layout weights, applied to x. */
function runLayer(x: number[][][], wIh: number[][], wHh: number[][], bIh: number[], bHh: number[], units: number, returnSequences: boolean): number[] {
  const layer = new PyTorchGRU({ units, returnSequences, seed: 1 });
  const input = tf.tensor3d(x);
  layer.apply(input); // builds the weights
  layer.setWeights([tf.tensor2d(transpose(wIh)), tf.tensor2d(transpose(wHh)), tf.tensor1d(bIh), tf.tensor1d(bHh)]);
  const out = layer.apply(input) as tf.Tensor;
  const values = Array.from(out.dataSync());
  tf.dispose([input, out]);
  layer.dispose();
  return values;
}

describe('PyTorchGRU', () => {
  before(async () => {
    await useTestBackend();
  });

  it('matches a hand-written loop of the PyTorch GRU equations', () => {
    const [B, T, F, H] = [3, 5, 4, 3];
    const x = Array.from({ length: B }, (_, b) => matrix(T, F, (i) => Math.sin(0.9 * i + b) * 1.5));
    const wIh = matrix(3 * H, F, (i) => 0.4 * Math.cos(1.7 * i + 0.2));
    const wHh = matrix(3 * H, H, (i) => 0.6 * Math.sin(1.3 * i + 0.5));
    const bIh = Array.from({ length: 3 * H }, (_, i) => 0.3 * Math.sin(i + 2));
    const bHh = Array.from({ length: 3 * H }, (_, i) => 0.3 * Math.cos(2 * i + 1));
    const expected = referenceGru(x, wIh, wHh, bIh, bHh, H);

    const sequences = runLayer(x, wIh, wHh, bIh, bHh, H, true);
    assert.equal(sequences.length, B * T * H);
    expected.flat(2).forEach((v, i) => assert.ok(Math.abs(v - sequences[i]) < 1e-5, `state ${i}: ${sequences[i]} vs ${v}`));

    const last = runLayer(x, wIh, wHh, bIh, bHh, H, false);
    const expectedLast = expected.map((seq) => seq[T - 1]).flat();
    expectedLast.forEach((v, i) => assert.ok(Math.abs(v - last[i]) < 1e-5, `last ${i}: ${last[i]} vs ${v}`));
  });

  it('matches torch.nn.GRU outputs', () => {
    // From test/models/fixtures/torch_reference_outputs.py (torch 1.13, float64): nn.GRU(3, 2),
    // weight_ih = wave((6, 3), 1), weight_hh = wave((6, 2), 2), bias_ih = wave(6, 3),
    // bias_hh = wave(6, 4) with wave(shape, k)[i] = 0.5·sin(0.7 i + k), x[i] = cos(0.3 i) of shape (2, 4, 3).
    const torchOut = [
      -0.504523366, -0.0944141552, -0.410517247, -0.0972909846, 0.025022286, 0.238864429, 0.355962957, 0.562491006,
      0.164185132, 0.513659058, -0.0812742134, 0.407984401, -0.483321199, 0.225244883, -0.63894082, 0.0525452937,
    ];
    const [B, T, F, H] = [2, 4, 3, 2];
    const wave = (n: number, k: number): number[] => Array.from({ length: n }, (_, i) => 0.5 * Math.sin(0.7 * i + k));
    const rows = (flat: number[], cols: number): number[][] => Array.from({ length: flat.length / cols }, (_, r) => flat.slice(r * cols, (r + 1) * cols));
    const x = Array.from({ length: B }, (_, b) => matrix(T, F, (i) => Math.cos(0.3 * (b * T * F + i))));
    const out = runLayer(x, rows(wave(3 * H * F, 1), F), rows(wave(3 * H * H, 2), H), wave(3 * H, 3), wave(3 * H, 4), H, true);
    torchOut.forEach((v, i) => assert.ok(Math.abs(v - out[i]) < 1e-6, `output ${i}: ${out[i]} vs torch ${v}`));
  });

  it('has PyTorch parameter shapes and init range U(-1/sqrt(H), 1/sqrt(H))', () => {
    const layer = new PyTorchGRU({ units: 16, seed: 3 });
    const x = tf.zeros([1, 2, 5]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const shapes = layer.getWeights().map((w) => w.shape);
    assert.deepEqual(shapes, [[5, 48], [16, 48], [48], [48]]);
    const bound = 1 / Math.sqrt(16);
    for (const w of layer.getWeights()) {
      const v = w.dataSync();
      assert.ok(v.every((a) => Math.abs(a) <= bound), 'within bound');
      assert.ok(v.some((a) => Math.abs(a) > bound / 2), 'spread over the range');
    }
    x.dispose();
    layer.dispose();
  });

  it('uses the cell registered with setGruCell', () => {
    let calls = 0;
    const counting: GruCellFn = (xp, h, wh, bh) => {
      calls++;
      return pytorchGruCell(xp, h, wh, bh);
    };
    setGruCell(counting);
    try {
      const layer = new PyTorchGRU({ units: 2, seed: 1 });
      const x = tf.ones([2, 7, 3]);
      tf.dispose(layer.apply(x) as tf.Tensor);
      assert.equal(calls, 7, 'one cell call per timestep');
      x.dispose();
      layer.dispose();
    } finally {
      setGruCell(null);
    }
  });

  it('computes gradients through the time loop that agree with finite differences', () => {
    const layer = new PyTorchGRU({ units: 3, seed: 9 });
    const x = tf.tensor3d([[[0.5, -1], [1, 0.25], [-0.5, 0.75]]]);
    tf.dispose(layer.apply(x) as tf.Tensor);
    const kernel = layer.trainableWeights[0].read() as tf.Variable;
    const f = (): tf.Scalar => tf.sum(tf.square(layer.apply(x) as tf.Tensor));
    const { grads } = tf.variableGrads(f, [kernel]);
    const analytic = grads[kernel.name].dataSync();
    const base = kernel.dataSync().slice();
    const eps = 1e-2;
    for (const idx of [0, 4, 10, 17]) {
      const at = (delta: number): number => {
        const w = base.slice();
        w[idx] += delta;
        kernel.assign(tf.tensor(w, kernel.shape));
        return tf.tidy(() => f().dataSync()[0]);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      assert.ok(Math.abs(numeric - analytic[idx]) < 2e-3 + 2e-2 * Math.abs(numeric), `d/dkernel[${idx}]: ${analytic[idx]} vs ${numeric}`);
    }
    kernel.assign(tf.tensor(base, kernel.shape));
    tf.dispose(Object.values(grads));
    x.dispose();
    layer.dispose();
  });
});
