/**
 * The fused GRU op (gru-fused.ts: the addon's kernels, the wasm kernels and the tf-ops
 * fallback) against the
 * stepwise reference layer, whose cell is tfjs autodiff over PyTorch's equations (itself
 * checked against torch.nn.GRU in gru.test.ts): outputs and all five gradients agree within
 * 1e-4 relative error, for whole sequences and last states, over several shapes; training a
 * CNN-GRU through the fused op is bit-reproducible for a seed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';
import type { DataInfo } from '../../src/data/types.js';
import { buildModel } from '../../src/models/index.js';
import { gruSequence, type FusedGruImplementation, type GruWeights } from '../../src/models/gru-fused.js';
import { loadGruAddon, nativeGruUsable } from '../../src/models/gru-native.js';
import { gruSequenceStepwise, pytorchGruCell, PyTorchGRU, resolveGruImplementation, setGruImplementation } from '../../src/models/gru.js';
import { createOptimizer, optimizerSettings } from '../../src/train/optimizers.js';
import { useTestBackend } from '../train/fixtures/backend.js';

/** [batch, time, features, units]: odd sizes so the AVX2 tails (units % 8) are exercised. */
const SHAPES: ReadonlyArray<readonly [number, number, number, number]> = [
  [1, 1, 3, 2],
  [2, 5, 4, 3],
  [3, 7, 5, 8],
  [4, 12, 6, 13],
  [5, 9, 16, 32],
];

const TOL = 1e-4;

/** max |a − b| / max |b|: the error relative to the tensor's scale. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-12));
}

function randomWeights(features: number, units: number, seed: number): GruWeights {
  const bound = 1 / Math.sqrt(units);
  return {
    kernel: tf.randomUniform([features, 3 * units], -bound, bound, 'float32', seed),
    recurrentKernel: tf.randomUniform([units, 3 * units], -bound, bound, 'float32', seed + 1),
    bias: tf.randomUniform([3 * units], -bound, bound, 'float32', seed + 2),
    recurrentBias: tf.randomUniform([3 * units], -bound, bound, 'float32', seed + 3),
  };
}

type SequenceFn = (x: tf.Tensor3D, w: GruWeights) => tf.Tensor;

/** The output and the gradients of Σ out ⊙ c (c random: a random dy) w.r.t. x and the four weights. */
function outputAndGrads(f: SequenceFn, x: tf.Tensor3D, w: GruWeights, c: tf.Tensor): tf.Tensor[] {
  const loss = (xi: tf.Tensor, k: tf.Tensor, rk: tf.Tensor, b: tf.Tensor, rb: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(f(xi as tf.Tensor3D, { kernel: k as tf.Tensor2D, recurrentKernel: rk as tf.Tensor2D, bias: b as tf.Tensor1D, recurrentBias: rb as tf.Tensor1D }), c));
  const out = f(x, w);
  const grads = tf.grads(loss)([x, w.kernel, w.recurrentKernel, w.bias, w.recurrentBias]);
  return [out, ...grads];
}

const NAMES = ['output', 'dx', 'dKernel', 'dRecurrentKernel', 'dBias', 'dRecurrentBias'];

function compareWithStepwise(implementation: FusedGruImplementation): void {
  for (const [B, T, I, H] of SHAPES) {
    for (const returnSequences of [true, false]) {
      tf.tidy(() => {
        const seed = B * 1000 + T * 10 + H;
        const x = tf.randomNormal([B, T, I], 0, 1.5, 'float32', seed) as tf.Tensor3D;
        const w = randomWeights(I, H, seed);
        const c = tf.randomNormal(returnSequences ? [B, T, H] : [B, H], 0, 1, 'float32', seed + 7);
        const fused = outputAndGrads((xi, wi) => gruSequence(xi, wi, returnSequences, implementation), x, w, c);
        const reference = outputAndGrads((xi, wi) => gruSequenceStepwise(xi, wi, returnSequences, pytorchGruCell), x, w, c);
        fused.forEach((t, i) => {
          assert.deepEqual(t.shape, reference[i].shape, `${NAMES[i]} shape`);
          const err = relError(t, reference[i]);
          assert.ok(err < TOL, `${implementation} [B ${B}, T ${T}, I ${I}, H ${H}] sequences=${returnSequences}: ${NAMES[i]} relative error ${err.toExponential(2)}`);
        });
      });
    }
  }
}

const beats: DataInfo = { length: 40, channels: 1, numClasses: 3, multilabel: false, classes: ['a', 'b', 'c'] };

/** Weights of a small 2-layer CNN-GRU (with dropout between the GRU layers) after 3 Adam steps. */
function trainedWeights(seed: number): Float32Array[] {
  const built = buildModel('cnngru', { hidden: 6, num_blocks: 1, gru_hidden: 5, num_layers: 2, dropout: 0.3 }, beats, seed);
  const vars = built.model.trainableWeights.map((v) => v.read() as tf.Variable);
  const optimizer = createOptimizer(optimizerSettings({ optimizer: 'adam', learning_rate: 1e-2 }));
  const x = tf.randomNormal([4, beats.length, 1], 0, 1, 'float32', seed);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3).toFloat();
  for (let step = 0; step < 3; step++) {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, built.model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      optimizer.applyGradients(grads);
    });
    built.stepCounter.advance();
  }
  const values = built.model.getWeights().map((w) => w.dataSync().slice() as Float32Array);
  tf.dispose([x, y]);
  optimizer.dispose();
  built.model.dispose();
  return values;
}

describe('fused GRU, tf-ops implementation (any backend)', () => {
  before(async () => {
    await useTestBackend();
  });

  it('matches the stepwise layer: output and every gradient', () => {
    compareWithStepwise('js');
  });

  it('is used by PyTorchGRU where the addon does not apply, and trains reproducibly', () => {
    setGruImplementation('js');
    try {
      assert.equal(resolveGruImplementation(), 'js');
      assert.deepEqual(trainedWeights(5), trainedWeights(5));
    } finally {
      setGruImplementation('auto');
    }
  });
});

describe('fused GRU, wasm kernels (JS over the wasm heap)', () => {
  let onWasm = false;
  let previous = '';

  before(async () => {
    await useTestBackend();
    previous = tf.getBackend();
    try {
      await initBackend('wasm');
      onWasm = true;
    } catch {
      onWasm = false; // tfjs-backend-wasm not loadable here: nothing to test
    }
  });

  after(async () => {
    await tf.setBackend(previous);
  });

  it('matches the stepwise layer: output and every gradient', (t) => {
    if (!onWasm) return t.skip('the wasm backend does not load here');
    compareWithStepwise('wasm');
  });

  it('is chosen by auto on wasm and trains reproducibly', (t) => {
    if (!onWasm) return t.skip('the wasm backend does not load here');
    assert.equal(resolveGruImplementation(), 'wasm');
    assert.deepEqual(trainedWeights(5), trainedWeights(5));
  });

  it('leaks no wasm memory', (t) => {
    if (!onWasm) return t.skip('the wasm backend does not load here');
    const x = tf.randomNormal([3, 8, 4], 0, 1, 'float32', 3) as tf.Tensor3D;
    const w = randomWeights(4, 5, 4);
    const run = (): void => tf.dispose(tf.grads((xi: tf.Tensor) => tf.sum(gruSequence(xi as tf.Tensor3D, w, true, 'wasm')))([x]));
    run();
    const before = tf.memory();
    run();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    tf.dispose([x, ...Object.values(w)]);
  });
});

describe('fused GRU, native implementation (addon, cpu-backed tensors)', () => {
  let previous = '';
  const skip = loadGruAddon() === null ? 'the addon is not built (native/build/Release/hpsearch_native.node)' : false;

  before(async () => {
    await useTestBackend();
    previous = tf.getBackend();
    await tf.setBackend('cpu');
  });

  after(async () => {
    await tf.setBackend(previous);
  });

  it('is chosen by auto on the cpu backend', { skip }, () => {
    assert.ok(nativeGruUsable());
    assert.equal(resolveGruImplementation(), 'native');
  });

  it('matches the stepwise layer: output and every gradient', { skip }, () => {
    compareWithStepwise('native');
  });

  it('inference (no gradient recorded) runs the batch in slices of rows and gives the training pass\'s outputs bit for bit', { skip }, () => {
    // 70 rows: two full slices of INFERENCE_ROWS and a partial one; both output modes.
    const x = tf.randomNormal([70, 9, 5], 0, 1, 'float32', 11) as tf.Tensor3D;
    const w = randomWeights(5, 13, 12);
    for (const sequences of [true, false]) {
      const inference = gruSequence(x, w, sequences, 'native');
      let recorded: tf.Tensor | null = null;
      const g = tf.grads((xi: tf.Tensor) => {
        const out = gruSequence(xi as tf.Tensor3D, w, sequences, 'native');
        recorded = tf.keep(out.clone());
        return tf.sum(out);
      })([x]);
      assert.deepEqual(inference.dataSync(), recorded!.dataSync(), `returnSequences ${sequences}`);
      tf.dispose([inference, recorded!, ...g]);
    }
    tf.dispose([x, ...Object.values(w)]);
  });

  it('runs as one forward and one backward kernel', { skip }, async () => {
    const x = tf.randomNormal([2, 6, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const w = randomWeights(3, 4, 2);
    const info = await tf.profile(() => {
      const g = tf.grads((xi: tf.Tensor) => tf.sum(gruSequence(xi as tf.Tensor3D, w, true, 'native')))([x]);
      tf.dispose(g);
    });
    const names = info.kernels.map((k) => k.name);
    assert.equal(names.filter((n) => n === 'HpGruForward').length, 1);
    assert.equal(names.filter((n) => n === 'HpGruBackward').length, 1);
    tf.dispose([x, ...Object.values(w)]);
  });

  it('trains a CNN-GRU bit-reproducibly for a seed, through PyTorchGRU', { skip }, () => {
    assert.deepEqual(trainedWeights(5), trainedWeights(5));
  });

  it('gives the same layer outputs as the tf-ops implementation', { skip }, () => {
    const layer = new PyTorchGRU({ units: 7, returnSequences: true, seed: 4 });
    const x = tf.randomNormal([3, 10, 5], 0, 1, 'float32', 9);
    const run = (impl: FusedGruImplementation): tf.Tensor => {
      setGruImplementation(impl);
      try {
        return layer.apply(x) as tf.Tensor;
      } finally {
        setGruImplementation('auto');
      }
    };
    const a = run('native');
    const b = run('js');
    assert.ok(relError(a, b) < TOL);
    tf.dispose([a, b, x]);
    layer.dispose();
  });
});
