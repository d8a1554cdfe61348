import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../dist/src/backend/index.js';
import { buildModel } from '../../dist/src/models/index.js';
import { createOptimizer, optimizerSettings } from '../../dist/src/train/optimizers.js';
const MODELS = {
  'cnngru-small': { model: 'cnngru', params: { hidden: 64, num_blocks: 0, gru_hidden: 64, num_layers: 1, dropout: 0 }, batch: 64 },
  'cnngru-seed-best': { model: 'cnngru', params: { hidden: 64, num_blocks: 5, gru_hidden: 256, num_layers: 2, dropout: 0.4 }, batch: 32 },
  'cnn2d-small': { model: 'cnn2d', params: { hidden: 64, num_blocks: 1, num_layers: 1, dropout: 0 }, batch: 64 },
  'cnn2d-seed-best': { model: 'cnn2d', params: { hidden: 128, num_blocks: 1, num_layers: 3, dropout: 0.3 }, batch: 16 },
};
const INFO = { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] };
const spec = MODELS[process.argv[2]];
await initBackend(process.argv[3] ?? 'native');
const built = buildModel(spec.model, spec.params, INFO, 0);
const vars = built.model.trainableWeights.map((w) => w.read());
const opt = createOptimizer(optimizerSettings({ optimizer: 'adam', learning_rate: 1e-3 }));
const x = tf.randomNormal([spec.batch, INFO.length, INFO.channels], 0, 1, 'float32', 0);
const y = tf.oneHot(tf.floor(tf.randomUniform([spec.batch], 0, INFO.numClasses, 'float32', 1)).toInt(), INFO.numClasses).toFloat();
function step() {
  const loss = tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, built.model.apply(x, { training: true })), vars);
    opt.applyGradients(grads);
    return value;
  });
  built.stepCounter.advance();
  const v = loss.dataSync()[0];
  loss.dispose();
  return v;
}
const n = Number(process.argv[4] ?? 20);
const ts = [];
for (let i = 0; i < n; i++) { const t0 = performance.now(); step(); ts.push(performance.now() - t0); }
ts.sort((a, b) => a - b);
console.log(JSON.stringify({ median: ts[n >> 1].toFixed(1), min: ts[0].toFixed(1), numTensors: tf.memory().numTensors }));
