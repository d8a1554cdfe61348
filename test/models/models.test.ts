import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import type { DataInfo } from '../../src/data/types.js';
import {
  buildModel,
  cnn1dDropoutRates,
  countParams,
  GridReshape,
  gridShape,
  SeededDropout,
  StepCounter,
} from '../../src/models/index.js';
import { hyperparamDefault } from '../../src/config/hyperparams.js';
import { useTestBackend } from '../train/fixtures/backend.js';

const beats = (numClasses = 5, length = 187): DataInfo => ({
  length,
  channels: 1,
  numClasses,
  multilabel: false,
  classes: Array.from({ length: numClasses }, (_, i) => `c${i}`),
});

/** The four benchmark models of scripts/compare/torch_reference.py, with PyTorch's parameter counts. */
const REFERENCE = [
  { key: 'cnngru-small', model: 'cnngru', params: { hidden: 64, num_blocks: 0, gru_hidden: 64, num_layers: 1, dropout: 0 }, torchParams: 29829 },
  { key: 'cnngru-seed-best', model: 'cnngru', params: { hidden: 64, num_blocks: 5, gru_hidden: 256, num_layers: 2, dropout: 0.4 }, torchParams: 784005 },
  { key: 'cnn2d-small', model: 'cnn2d', params: { hidden: 64, num_blocks: 1, num_layers: 1, dropout: 0 }, torchParams: 87685 },
  { key: 'cnn2d-seed-best', model: 'cnn2d', params: { hidden: 128, num_blocks: 1, num_layers: 3, dropout: 0.3 }, torchParams: 969861 },
] as const;

describe('buildModel', () => {
  before(async () => {
    await useTestBackend();
  });

  for (const ref of REFERENCE) {
    it(`${ref.key}: logits [batch, 5] and exactly PyTorch's ${ref.torchParams} parameters`, () => {
      const built = buildModel(ref.model, ref.params, beats(), 0);
      assert.deepEqual(built.model.outputs[0].shape, [null, 5]);
      assert.deepEqual(built.model.inputs[0].shape, [null, 187, 1]);
      assert.equal(countParams(built.model), ref.torchParams);
      assert.equal(built.output, 'softmax');
      if (ref.key.endsWith('small')) {
        const y = tf.tidy(() => built.model.apply(tf.randomNormal([2, 187, 1], 0, 1, 'float32', 1), { training: true }) as tf.Tensor);
        assert.deepEqual(y.shape, [2, 5]);
        assert.ok(y.dataSync().every(Number.isFinite));
        y.dispose();
      }
      built.model.dispose();
    });
  }

  it('cnn2d lays 187 samples out as 11 x 17 and pools to 5 x 8', () => {
    const built = buildModel('cnn2d', { hidden: 4, num_blocks: 1, num_layers: 2 }, beats(), 0);
    assert.deepEqual(built.model.getLayer('grid').outputShape, [null, 11, 17, 1]);
    assert.deepEqual(built.model.getLayer('pool').outputShape, [null, 5, 8, 4]);
    built.model.dispose();
  });

  it('cnngru pools 187 to 93 timesteps before the GRU and keeps only the last state', () => {
    const built = buildModel('cnngru', { hidden: 4, num_blocks: 2, gru_hidden: 6, num_layers: 3, dropout: 0.2 }, beats(), 0);
    assert.deepEqual(built.model.getLayer('pool').outputShape, [null, 93, 4]);
    assert.deepEqual(built.model.getLayer('gru1').outputShape, [null, 93, 6]);
    assert.deepEqual(built.model.getLayer('gru3').outputShape, [null, 6]);
    const dropouts = built.model.layers.filter((l) => l instanceof SeededDropout);
    assert.equal(dropouts.length, 2, 'dropout between GRU layers only, not after the last');
    built.model.dispose();
  });

  it('cnn1d takes [N, L, C] of any length and gives K logits', () => {
    const info: DataInfo = { length: 64, channels: 3, numClasses: 4, multilabel: true, classes: ['a', 'b', 'c', 'd'] };
    const built = buildModel('cnn1d', {}, info, 5);
    assert.equal(built.output, 'sigmoid');
    assert.deepEqual(built.model.inputs[0].shape, [null, null, 3]);
    for (const length of [64, 40]) {
      const y = tf.tidy(() => built.model.apply(tf.ones([2, length, 3]), { training: false }) as tf.Tensor);
      assert.deepEqual(y.shape, [2, 4]);
      y.dispose();
    }
    const rates = built.model.layers.filter((l): l is SeededDropout => l instanceof SeededDropout).map((l) => l.rate);
    assert.deepEqual(rates, [0.3, 0.3, 0.4, 0.4, 0.5], "the seed notebook's dropout rates");
    built.model.dispose();
    assert.deepEqual(cnn1dDropoutRates(0.15), [0.15, 0.15, 0.2, 0.2, 0.25]);
  });

  it('is seeded: same seed, same weights; other seed, other weights', () => {
    const params = { hidden: 8, num_blocks: 1, gru_hidden: 8, num_layers: 2 };
    const weights = (seed: number): Float32Array[] => {
      const built = buildModel('cnngru', params, beats(3, 32), seed);
      const values = built.model.getWeights().map((w) => w.dataSync() as Float32Array);
      built.model.dispose();
      return values;
    };
    const a = weights(11);
    assert.deepEqual(weights(11), a);
    const b = weights(12);
    assert.notDeepEqual(b[0], a[0]);
  });

  it("initialises conv and dense layers like PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in))", () => {
    const built = buildModel('cnn2d', { hidden: 16, num_blocks: 1, num_layers: 2 }, beats(), 2);
    const conv = built.model.getLayer('block1_conv1').getWeights();
    const bound = 1 / Math.sqrt(16 * 9);
    for (const w of conv) {
      const v = w.dataSync();
      assert.ok(v.every((a) => Math.abs(a) <= bound));
      assert.ok(Math.max(...v.map(Math.abs)) > 0.9 * bound, 'fills the range');
    }
    built.model.dispose();
  });

  it('resolves params, then defaults, then the registry\'s per-model defaults, and rejects bad values', () => {
    const built = buildModel('cnngru', { gru_hidden: 8 }, beats(3, 16), 0, { hidden: 6, num_blocks: 0, num_layers: 1 });
    assert.deepEqual(built.hyper, { hidden: 6, gruHidden: 8, numLayers: 1, numBlocks: 0, dropout: hyperparamDefault('dropout', 'cnngru') });
    built.model.dispose();
    assert.throws(() => buildModel('cnngru', { hidden: 'wide' }, beats(), 0), /hidden must be a finite number/);
    assert.throws(() => buildModel('cnn2d', { num_layers: 2.5 }, beats(), 0), /num_layers must be an integer/);
    assert.throws(() => buildModel('cnn2d', { dropout: 1 }, beats(), 0), /dropout must be < 1/);
  });

  it('round-trips through tfjs serialization with the custom layers registered', async () => {
    const built = buildModel('cnngru', { hidden: 4, num_blocks: 1, gru_hidden: 3, num_layers: 2, dropout: 0.1 }, beats(3, 20), 4);
    const json = built.model.toJSON(null, false) as unknown as tf.io.ModelJSON['modelTopology'];
    const copy = await tf.models.modelFromJSON({ modelTopology: json } as tf.io.ModelJSON);
    copy.setWeights(built.model.getWeights());
    const x = tf.randomNormal([2, 20, 1], 0, 1, 'float32', 3);
    const [a, b] = tf.tidy(() => [built.model.predict(x) as tf.Tensor, copy.predict(x) as tf.Tensor]);
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    tf.dispose([a, b, x]);
    built.model.dispose();
    copy.dispose();
  });
});

describe('gridShape and GridReshape', () => {
  it('picks the most square grid, padding only thin factorisations', () => {
    assert.deepEqual(gridShape(187), { height: 11, width: 17 });
    assert.deepEqual(gridShape(186), { height: 11, width: 17 });
    assert.deepEqual(gridShape(100), { height: 10, width: 10 });
    assert.deepEqual(gridShape(101), { height: 8, width: 13 });
    assert.deepEqual(gridShape(32), { height: 4, width: 8 });
    assert.deepEqual(gridShape(1), { height: 2, width: 2 });
  });

  it('reshapes row-major with zero padding at the end', () => {
    const layer = new GridReshape({ height: 2, width: 3 });
    const x = tf.tensor3d([[[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]]]); // [1, 5, 2]
    const y = layer.apply(x) as tf.Tensor;
    assert.deepEqual(y.shape, [1, 2, 3, 2]);
    assert.deepEqual(y.arraySync(), [[[[1, 10], [2, 20], [3, 30]], [[4, 40], [5, 50], [0, 0]]]]);
    tf.dispose([x, y]);
  });
});

describe('SeededDropout', () => {
  const x = (): tf.Tensor => tf.ones([4, 500]);

  it('is the identity outside training', () => {
    const layer = new SeededDropout({ rate: 0.5, seed: 1 });
    const input = x();
    const y = layer.apply(input, { training: false }) as tf.Tensor;
    assert.deepEqual(Array.from(y.dataSync()), Array.from(input.dataSync()));
    tf.dispose([input, y]);
  });

  it('draws its mask from (seed, step): reproducible within a step, new at the next step', () => {
    const counter = new StepCounter(7);
    const layer = new SeededDropout({ rate: 0.3, seed: 42, stepCounter: counter });
    const other = new SeededDropout({ rate: 0.3, seed: 42, stepCounter: new StepCounter(7) });
    const input = x();
    const run = (l: SeededDropout): Float32Array => tf.tidy(() => (l.apply(input, { training: true }) as tf.Tensor).dataSync() as Float32Array);
    const first = run(layer);
    assert.deepEqual(run(other), first, 'same seed and step, same mask');
    counter.advance();
    const second = run(layer);
    assert.notDeepEqual(second, first, 'the next step draws a new mask');

    const dropped = first.filter((v) => v === 0).length / first.length;
    assert.ok(Math.abs(dropped - 0.3) < 0.04, `dropped fraction ${dropped}`);
    const kept = first.filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6), 'kept units are scaled by 1/(1-rate)');
    input.dispose();
  });
});
