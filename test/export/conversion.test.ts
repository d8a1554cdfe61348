/**
 * What the converters promise besides equal probabilities (test/export/stock-runtimes.test.ts):
 * the ONNX header a runtime checks first, the same bytes for the same model, and a clear
 * refusal — naming the layer — of what they cannot convert, before anything is written.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';

import { toOnnxModel, toTfjsLayers } from '../../src/export/index.js';
import { type BuiltModel, buildModel, StepCounter } from '../../src/models/index.js';
import { useTestBackend } from '../train/fixtures/backend.js';

const { onnx } = onnxProto;
const INFO = { length: 16, channels: 1, numClasses: 3, multilabel: false, classes: ['a', 'b', 'c'] };
const PARAMS = { hidden: 4, gru_hidden: 3, num_layers: 2, num_blocks: 1, dropout: 0.2 };

/** A model with a layer (an LSTM) no converter knows. */
function lstmModel(): BuiltModel {
  const input = tf.input({ shape: [8, 1], name: 'signal' });
  const lstm = tf.layers.lstm({ units: 2, name: 'mystery_lstm' }).apply(input) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 3, name: 'out' }).apply(lstm) as tf.SymbolicTensor;
  return { model: tf.model({ inputs: input, outputs: logits }), name: 'cnngru', hyper: { hidden: 0, gruHidden: 2, numLayers: 1, numBlocks: 0, dropout: 0 }, output: 'softmax', stepCounter: new StepCounter() };
}

describe('model conversion', () => {
  before(async () => {
    await useTestBackend();
  });

  it('an ONNX file declares opset 13, IR version 7, hpsearch as producer and the given version and description', () => {
    const built = buildModel('cnngru', PARAMS, INFO, 1);
    const model = onnx.ModelProto.decode(toOnnxModel(built, { length: 16, channels: 1 }, { producerVersion: '9.9.9', docString: 'trial 4 of study x' }));
    built.model.dispose();
    assert.equal(Number(model.irVersion), 7);
    assert.deepEqual(model.opsetImport.map((o) => [o.domain, Number(o.version)]), [['', 13]]);
    assert.equal(model.producerName, 'hpsearch');
    assert.equal(model.producerVersion, '9.9.9');
    assert.equal(model.docString, 'trial 4 of study x');
  });

  it('the same model exports to the same bytes in both formats, leaving no tensors behind', () => {
    const built = buildModel('cnngru', PARAMS, INFO, 1);
    try {
      const tensors = tf.memory().numTensors;
      const a = toOnnxModel(built, { length: 16, channels: 1 });
      const b = toOnnxModel(built, { length: 16, channels: 1 });
      assert.deepEqual(Buffer.from(a), Buffer.from(b));
      const x = toTfjsLayers(built);
      const y = toTfjsLayers(built);
      assert.equal(JSON.stringify(x.modelJson), JSON.stringify(y.modelJson));
      assert.deepEqual(Buffer.from(x.weightData), Buffer.from(y.weightData));
      assert.equal(tf.memory().numTensors, tensors);
    } finally {
      built.model.dispose();
    }
  });

  it('ONNX export refuses an input shape other than the one the model was built for', () => {
    const built = buildModel('cnngru', PARAMS, INFO, 1);
    try {
      assert.throws(() => toOnnxModel(built, { length: 20, channels: 1 }), /model cnngru takes length 16, not 20/);
      assert.throws(() => toOnnxModel(built, { length: 16, channels: 2 }), /model cnngru takes channels 1, not 2/);
    } finally {
      built.model.dispose();
    }
  });

  it('a layer without an ONNX or stock TF.js form is refused, naming the layer', () => {
    const built = lstmModel();
    try {
      assert.throws(() => toOnnxModel(built, { length: 8, channels: 1 }), /layer mystery_lstm \(LSTM\) has no ONNX form/);
      assert.throws(() => toTfjsLayers(built), /layer mystery_lstm \(LSTM\) has no stock TF\.js form/);
    } finally {
      built.model.dispose();
    }
  });
});
