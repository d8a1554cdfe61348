#!/usr/bin/env node
// Which kernels (and on which shapes) one training step of a benchmark model spends its time in:
// the detail behind `npm run bench -- --profile`, used to pick the kernels worth writing natively.
//
//   npm run build && node native/bench/profile-step.mjs [--backend native] [--model cnn2d-small] [--shapes] [--steps 5]
//
// Same models, batch sizes and step (variableGrads of the loss, Adam) as scripts/bench/training-step.ts; needs
// dist/ (npm run build). --shapes splits each kernel's time by input shapes.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs';

import { describeBackend, initBackend } from '../../dist/src/backend/index.js';
import { buildModel } from '../../dist/src/models/index.js';
import { createOptimizer, optimizerSettings } from '../../dist/src/train/optimizers.js';

// The PyTorch reference's benchmarks (BENCHMARKS of scripts/bench/training-step.ts).
const MODELS = {
  'cnngru-small': { model: 'cnngru', params: { hidden: 64, num_blocks: 0, gru_hidden: 64, num_layers: 1, dropout: 0 }, batch: 64 },
  'cnngru-seed-best': { model: 'cnngru', params: { hidden: 64, num_blocks: 5, gru_hidden: 256, num_layers: 2, dropout: 0.4 }, batch: 32 },
  'cnn2d-small': { model: 'cnn2d', params: { hidden: 64, num_blocks: 1, num_layers: 1, dropout: 0 }, batch: 64 },
  'cnn2d-seed-best': { model: 'cnn2d', params: { hidden: 128, num_blocks: 1, num_layers: 3, dropout: 0.3 }, batch: 16 },
};
const INFO = { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] };

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    model: { type: 'string', default: 'cnn2d-small' },
    shapes: { type: 'boolean', default: false },
    top: { type: 'string', default: '25' },
    steps: { type: 'string', default: '5' },
  },
});
const spec = MODELS[args.model];
if (spec === undefined) throw new Error(`unknown model ${args.model}; one of ${Object.keys(MODELS).join(', ')}`);
const info = await initBackend(args.backend);
console.log(`backend: ${describeBackend(info)}; model ${args.model} (batch ${spec.batch})`);

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
for (let i = 0; i < 3; i++) step();
const times = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);
console.log(`median step ${times[3].toFixed(1)} ms (min ${times[0].toFixed(1)})`);

tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
// Several profiled steps; each kernel's time is its median over them (the machine is shared).
const PROFILED = Number(args.steps);
const perStep = [];
for (let i = 0; i < PROFILED; i++) {
  const prof = await tf.profile(() => void step());
  const rows = new Map();
  for (const k of prof.kernels) {
    if (k.name.endsWith('__op')) continue;
    const key = args.shapes ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}` : k.name;
    const r = rows.get(key) ?? { ms: 0, calls: 0 };
    r.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    r.calls += 1;
    rows.set(key, r);
  }
  perStep.push({ rows, calls: prof.kernels.length });
}
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const keys = new Set(perStep.flatMap((p) => [...p.rows.keys()]));
const table = [...keys].map((key) => ({
  key,
  ms: med(perStep.map((p) => p.rows.get(key)?.ms ?? 0)),
  calls: perStep[0].rows.get(key)?.calls ?? 0,
}));
const total = table.reduce((s, r) => s + r.ms, 0);
console.log(`${perStep[0].calls} kernel calls, ${total.toFixed(1)} ms in kernels (per-kernel medians of ${PROFILED} profiled steps)`);
for (const r of table.sort((a, b) => b.ms - a.ms).slice(0, Number(args.top))) {
  console.log(`${r.ms.toFixed(2).padStart(9)} ms ${((100 * r.ms) / total).toFixed(1).padStart(5)} % ${String(r.calls).padStart(5)}×  ${r.key}`);
}
