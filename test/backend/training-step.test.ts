/**
 * Small versions of the three model families take full training steps on wasm, with the same
 * gradients as on cpu. This is the check that wasm has every kernel a training step needs
 * (a missing one throws "Kernel '…' not registered for backend 'wasm'"), independent of the
 * real models in src/models.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import { randomTensor, randomValues, relativeError } from './helpers.js';

interface TinyModel {
  readonly variables: tf.Variable[];
  /** Logits (softmax families) or per-label logits (cnn1d). */
  forward(x: tf.Tensor, training: boolean): tf.Tensor;
  readonly loss: 'softmax' | 'sigmoid';
  readonly inputShape: number[];
  readonly outputs: number;
  dispose(): void;
}

/** A layer stack applied in order; each layer's weights become variables of the model. */
function layerStack(layers: tf.layers.Layer[], inputShape: number[]): { apply(x: tf.Tensor, training: boolean): tf.Tensor; variables: tf.Variable[] } {
  let shape: tf.Shape = [null, ...inputShape];
  for (const l of layers) {
    l.build(shape);
    shape = l.computeOutputShape(shape) as tf.Shape;
  }
  return {
    apply: (x, training) => layers.reduce((h, l) => l.apply(h, { training }) as tf.Tensor, x),
    // LayerVariable.read() is the underlying tf.Variable: what tf.variableGrads differentiates.
    variables: layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)),
  };
}

/**
 * One GRU layer in PyTorch's layout (gates r, z, n; b_hn inside the reset product), from the
 * kinds of ops src/models' GRU uses: one matMul for every timestep's input projection,
 * unstacked into timesteps; per step a recurrent matMul, split into gates, sigmoid/tanh
 * arithmetic; outputs stacked.
 */
function pytorchGru(x: tf.Tensor3D, wih: tf.Tensor2D, whh: tf.Tensor2D, bih: tf.Tensor1D, bhh: tf.Tensor1D): tf.Tensor3D {
  const [n, t, c] = x.shape;
  const h3 = wih.shape[1];
  const xProj = tf.add(tf.matMul(tf.reshape(x, [n * t, c]), wih), bih).reshape([n, t, h3]);
  let h: tf.Tensor2D = tf.zeros([n, h3 / 3]);
  const outs: tf.Tensor2D[] = [];
  for (const xs of tf.unstack(xProj, 1)) {
    const [xr, xz, xn] = tf.split(xs, 3, 1);
    const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, whh), bhh), 3, 1);
    const r = tf.sigmoid(tf.add(xr, hr));
    const z = tf.sigmoid(tf.add(xz, hz));
    const cand = tf.tanh(tf.add(xn, tf.mul(r, hn)));
    h = tf.add(tf.mul(tf.sub(1, z), cand), tf.mul(z, h));
    outs.push(h);
  }
  return tf.stack(outs, 1) as tf.Tensor3D;
}

function seededVariable(shape: number[], seed: number, scale: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.mul(randomTensor(shape, seed), scale)));
}

/** Sets every layer weight from seeded values, so cpu and wasm start from the same point. */
function seedWeights(vars: tf.Variable[], seed: number): void {
  tf.tidy(() => {
    vars.forEach((v, i) => {
      const fanIn = Math.max(1, v.shape.slice(0, -1).reduce((a, b) => a * b, 1));
      v.assign(tf.mul(randomTensor(v.shape, seed + i), 1 / Math.sqrt(fanIn)));
    });
  });
}

function tinyCnnGru(dropout: number): TinyModel {
  const h = 8;
  const stem = layerStack([tf.layers.conv1d({ filters: h, kernelSize: 3, padding: 'same', activation: 'relu' }), tf.layers.batchNormalization()], [16, 1]);
  const block = layerStack(
    [
      tf.layers.conv1d({ filters: h, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.conv1d({ filters: h, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
    ],
    [16, h],
  );
  const pool = tf.layers.maxPooling1d({ poolSize: 2 });
  const g = 6;
  const gru = [seededVariable([h, 3 * g], 101, 0.4), seededVariable([g, 3 * g], 102, 0.4), seededVariable([3 * g], 103, 0.1), seededVariable([3 * g], 104, 0.1)];
  const head = layerStack([tf.layers.dense({ units: h, activation: 'relu' }), tf.layers.dense({ units: 5 })], [g]);
  const layerVars = [...stem.variables, ...block.variables, ...head.variables];
  seedWeights(layerVars, 1);
  return {
    variables: [...layerVars, ...gru],
    loss: 'softmax',
    inputShape: [16, 1],
    outputs: 5,
    forward(x, training) {
      const s = stem.apply(x, training);
      const res = tf.add(s, block.apply(s, training));
      const [wih, whh, bih, bhh] = gru as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
      let seq = pytorchGru(pool.apply(res) as tf.Tensor3D, wih, whh, bih, bhh);
      if (training && dropout > 0) seq = tf.dropout(seq, dropout, undefined, 5) as tf.Tensor3D;
      const last = tf.squeeze(tf.slice(seq, [0, seq.shape[1] - 1, 0], [-1, 1, -1]), [1]);
      return head.apply(last, training);
    },
    dispose: () => tf.dispose([...layerVars, ...gru]),
  };
}

function tinyCnn2d(dropout: number): TinyModel {
  const h = 8;
  const stem = layerStack([tf.layers.conv2d({ filters: h, kernelSize: 3, padding: 'same', activation: 'relu' }), tf.layers.batchNormalization()], [11, 17, 1]);
  // No bias on the convs that feed BatchNorm directly: BatchNorm removes it, so its gradient is
  // zero up to rounding and a relative comparison of two rounding noises means nothing.
  const block = layerStack(
    [
      tf.layers.conv2d({ filters: h, kernelSize: 3, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.conv2d({ filters: h, kernelSize: 3, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
    ],
    [11, 17, h],
  );
  const head = layerStack(
    [
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: h, activation: 'relu' }),
      tf.layers.dropout({ rate: dropout, seed: 3 }),
      tf.layers.dense({ units: 5 }),
    ],
    [11, 17, h],
  );
  const variables = [...stem.variables, ...block.variables, ...head.variables];
  seedWeights(variables, 11);
  return {
    variables,
    loss: 'softmax',
    inputShape: [11, 17, 1],
    outputs: 5,
    forward(x, training) {
      const s = stem.apply(x, training);
      return head.apply(tf.relu(tf.add(s, block.apply(s, training))), training);
    },
    dispose: () => tf.dispose(variables),
  };
}

function tinyCnn1d(dropout: number): TinyModel {
  const body = layerStack(
    [
      tf.layers.conv1d({ filters: 8, kernelSize: 7, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.dropout({ rate: dropout, seed: 4 }),
      tf.layers.conv1d({ filters: 12, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: 8, activation: 'relu' }),
      tf.layers.dense({ units: 4 }),
    ],
    [40, 3],
  );
  seedWeights(body.variables, 21);
  return {
    variables: body.variables,
    loss: 'sigmoid',
    inputShape: [40, 3],
    outputs: 4,
    forward: (x, training) => body.apply(x, training),
    dispose: () => tf.dispose(body.variables),
  };
}

const FAMILIES = { cnngru: tinyCnnGru, cnn2d: tinyCnn2d, cnn1d: tinyCnn1d } as const;
const BATCH = 4;

function batch(m: TinyModel): { x: tf.Tensor; y: tf.Tensor } {
  const x = randomTensor([BATCH, ...m.inputShape], 31);
  const labels = Array.from(randomValues(BATCH * m.outputs, 32), (v) => (v > 0 ? 1 : 0));
  const y =
    m.loss === 'softmax'
      ? tf.oneHot(tf.tensor1d(labels.slice(0, BATCH).map((v, i) => (i + v) % m.outputs), 'int32'), m.outputs).toFloat()
      : tf.tensor2d(labels, [BATCH, m.outputs]);
  return { x, y };
}

function lossOf(m: TinyModel, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const logits = m.forward(x, true);
  return m.loss === 'softmax' ? tf.losses.softmaxCrossEntropy(y, logits) : tf.losses.sigmoidCrossEntropy(y, logits);
}

/** Loss and every variable's gradient on the current backend, from a freshly built model. */
async function gradients(family: keyof typeof FAMILIES): Promise<{ loss: number; grads: Float32Array[] }> {
  const m = FAMILIES[family](0);
  try {
    const { value, grads } = tf.tidy(() => {
      const { x, y } = batch(m);
      return tf.variableGrads(() => lossOf(m, x, y), m.variables);
    });
    const out = { loss: (await value.data())[0], grads: await Promise.all(m.variables.map(async (v) => Float32Array.from(await grads[v.name].data()))) };
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    m.dispose();
  }
}

describe('training steps on wasm', () => {
  for (const family of Object.keys(FAMILIES) as (keyof typeof FAMILIES)[]) {
    it(`${family}: loss and every gradient match the cpu backend`, async () => {
      await initBackend('cpu');
      const cpu = await gradients(family);
      await initBackend('wasm');
      const wasm = await gradients(family);
      assert.ok(Math.abs(wasm.loss - cpu.loss) / Math.abs(cpu.loss) < 1e-5, `loss ${wasm.loss} vs ${cpu.loss}`);
      assert.equal(wasm.grads.length, cpu.grads.length);
      const errors = cpu.grads.map((g, i) => relativeError(wasm.grads[i], g));
      assert.ok(
        errors.every((e) => e < 1e-4),
        `${family}: relative errors of the gradients: ${errors.map((e) => e.toExponential(1)).join(' ')}`,
      );
    });

    it(`${family}: Adam steps with dropout reduce the loss on a fixed batch, without leaking tensors`, async () => {
      await initBackend('wasm');
      const m = FAMILIES[family](0.2);
      const opt = tf.train.adam(1e-2);
      const { x, y } = batch(m);
      const step = (): number => {
        const l = opt.minimize(() => lossOf(m, x, y), true, m.variables);
        const v = l?.dataSync()[0] ?? Number.NaN;
        l?.dispose();
        return v;
      };
      try {
        const first = step();
        const tensors = tf.memory().numTensors;
        let last = first;
        for (let i = 0; i < 5; i++) last = step();
        assert.ok(Number.isFinite(last) && last < first, `loss ${first} → ${last}`);
        assert.equal(tf.memory().numTensors, tensors);
      } finally {
        opt.dispose();
        m.dispose();
        tf.dispose([x, y]);
      }
    });
  }
});
