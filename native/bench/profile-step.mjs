#!/usr/bin/env node
// Which kernels (and on which shapes) one training step of a benchmark model spends its time in:
// the detail behind `npm run bench -- --profile`, used to pick the kernels worth writing natively.
//
//   npm run build && node native/bench/profile-step.mjs [--backend native] [--model cnn2d-small] [--shapes] [--steps 5]
//       [--torch] [--python /usr/bin/python3]
//
// Same models, batch sizes and step (variableGrads of the loss, Adam) as scripts/bench/training-step.ts; needs
// dist/ (npm run build). --shapes splits each kernel's time by input shapes. Also prints the step's achieved
// GFLOP/s against one core's peak (32 flops per cycle on AVX2 + FMA: 2 FMA units × 8 lanes × 2, at the clock
// /proc/cpuinfo reports), counting convolutions, matrix products and the fused GRU's products as their direct flops (so Winograd's
// savings show as a higher rate). --torch runs the PyTorch reference's profile of the same model
// (scripts/compare/torch_reference.py --profile, torch.autograd.profiler self CPU times) and prints both
// grouped by what the time is spent on.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    torch: { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
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
const prod = (shape) => shape.reduce((a, b) => a * b, 1);
// Direct flops of one kernel call (0 for the kernels that are not products).
function kernelFlops(k) {
  const [a, b] = k.inputShapes;
  const out = k.outputShapes?.[0];
  if (a === undefined || b === undefined || out === undefined) return 0;
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D': // x, filter [KH, KW, C, OC] → y
      return 2 * prod(out) * b[0] * b[1] * b[2];
    case 'Conv2DBackpropInput': // dy, filter → dx
      return 2 * prod(a) * b[0] * b[1] * b[2];
    case 'Conv2DBackpropFilter': // x, dy → dw [KH, KW, C, OC]
      return 2 * prod(b) * out[0] * out[1] * out[2];
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // [B, M, K]·[B, K, N] in either transposition: K² = |a|·|b| / (|out|·B).
      const batch = out.length === 3 ? out[0] : 1;
      return 2 * prod(out) * Math.sqrt((prod(a) * prod(b)) / (prod(out) * batch));
    }
    case 'HpGruForward': {
      // x [B, T, I], kernel [I, 3H], recurrentKernel [H, 3H]: the input and recurrent products.
      const [B, T, I] = a;
      const H = k.inputShapes[2][0];
      return 2 * B * T * 3 * H * (I + H);
    }
    case 'HpGruBackward': {
      // dy, x [B, T, I], kernel, recurrentKernel [H, 3H], saved: dx and dW_ih over the input
      // products, dW_hh and dh over the recurrent ones — twice the forward's.
      const [B, T, I] = b;
      const H = k.inputShapes[3][0];
      return 4 * B * T * 3 * H * (I + H);
    }
    default:
      return 0;
  }
}
for (let i = 0; i < PROFILED; i++) {
  const prof = await tf.profile(() => void step());
  const rows = new Map();
  for (const k of prof.kernels) {
    if (k.name.endsWith('__op')) continue;
    const key = args.shapes ? `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}` : k.name;
    const r = rows.get(key) ?? { ms: 0, calls: 0, flops: 0, name: k.name };
    r.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    r.calls += 1;
    r.flops += kernelFlops(k);
    rows.set(key, r);
  }
  perStep.push({ rows, calls: prof.kernels.length });
}
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const keys = new Set(perStep.flatMap((p) => [...p.rows.keys()]));
const first = (key) => perStep.find((p) => p.rows.has(key))?.rows.get(key);
const table = [...keys].map((key) => ({
  key,
  name: first(key).name,
  ms: med(perStep.map((p) => p.rows.get(key)?.ms ?? 0)),
  calls: first(key).calls,
  flops: first(key).flops,
}));
const total = table.reduce((s, r) => s + r.ms, 0);
const rate = (flops, ms) => (flops > 0 && ms > 0 ? `${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : '');
console.log(`${perStep[0].calls} kernel calls, ${total.toFixed(1)} ms in kernels (per-kernel medians of ${PROFILED} profiled steps)`);
for (const r of table.sort((a, b) => b.ms - a.ms).slice(0, Number(args.top))) {
  console.log(`${r.ms.toFixed(2).padStart(9)} ms ${((100 * r.ms) / total).toFixed(1).padStart(5)} % ${String(r.calls).padStart(5)}×  ${r.key} ${rate(r.flops, r.ms)}`);
}

// Achieved rate against one core's peak.
const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? Number.NaN);
const peak = (32 * mhz) / 1e3; // GFLOP/s: 2 FMA units × 8 lanes × 2 flops per cycle
const stepFlops = table.reduce((s, r) => s + r.flops, 0);
const stepMs = times[3];
const ofPeak = (gflops) => `${gflops.toFixed(1)} GFLOP/s, ${((100 * gflops) / peak).toFixed(0)} % of peak`;
console.log(
  `\n${(stepFlops / 1e9).toFixed(2)} GFLOP per step (convolutions, matrix products and GRU products, direct count); ` +
    `step ${stepMs.toFixed(1)} ms → ${ofPeak(stepFlops / stepMs / 1e6)}; one core's peak ${peak.toFixed(1)} GFLOP/s (32 flops/cycle at ${mhz} MHz)`,
);

// What the time goes to, ours against PyTorch's profile of the same model.
const OURS = [
  ['conv forward', /^(Conv2D|FusedConv2D)$/],
  ['conv input + filter gradients', /^Conv2DBackprop/],
  ['matmul (dense layers)', /MatMul/],
  ['batch norm (forward + backward)', /BatchNorm/],
  ['max pool (forward + backward)', /MaxPool/],
  ['fused GRU', /^HpGru/],
];
const TORCH = [
  ['conv forward', /conv/i, /backward/i],
  ['conv input + filter gradients', /conv.*backward|backward.*conv/i],
  ['matmul (dense layers)', /addmm|^aten::mm$|bmm|matmul|linear/],
  ['batch norm (forward + backward)', /batch_norm/],
  ['max pool (forward + backward)', /pool/],
  ['fused GRU', /gru|rnn/i],
];
function group(entries, rules) {
  const out = new Map([...rules.map(([g]) => [g, 0]), ['everything else (element-wise, reductions, optimizer, copies)', 0]]);
  for (const [name, ms] of entries) {
    const hit = rules.find(([, re, not]) => re.test(name) && !(not?.test(name) ?? false));
    const g = hit?.[0] ?? 'everything else (element-wise, reductions, optimizer, copies)';
    out.set(g, out.get(g) + ms);
  }
  return out;
}
if (args.torch) {
  const here = dirname(fileURLToPath(import.meta.url));
  const ref = resolve(here, '..', '..', 'scripts', 'compare', 'torch_reference.py');
  const r = spawnSync(args.python, [ref, '--threads', '1', '--steps', args.steps, '--json', '--profile', args.model], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.python} ${ref} --profile exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const t = JSON.parse(r.stdout.trim().split('\n').pop());
  const torchOps = Object.entries(t.self_cpu_ms_per_step).map(([k, [ms]]) => [k, ms]);
  const torchStep = t.ms_per_step[args.model];
  const ours = group(table.map((row) => [row.name, row.ms]), OURS);
  const theirs = group(torchOps, TORCH);
  const torchTotal = torchOps.reduce((s, [, ms]) => s + ms, 0);
  console.log(`\n| ${args.model} | hpsearch ${info.name} (ms, tf.profile) | ${t.framework}, 1 thread (ms, self CPU) | ratio |`);
  console.log('|---|---:|---:|---:|');
  for (const [g, ms] of ours) {
    const tm = theirs.get(g) ?? 0;
    if (ms === 0 && tm === 0) continue;
    console.log(`| ${g} | ${ms.toFixed(1)} | ${tm.toFixed(1)} | ${tm > 0 ? (ms / tm).toFixed(2) + '×' : '–'} |`);
  }
  console.log(`| all kernels / ops | ${total.toFixed(1)} | ${torchTotal.toFixed(1)} | ${(total / torchTotal).toFixed(2)}× |`);
  console.log(`| step, unprofiled (median) | ${stepMs.toFixed(1)} | ${torchStep.toFixed(1)} | ${(stepMs / torchStep).toFixed(2)}× |`);
  console.log(`| GFLOP/s (direct count) | ${(stepFlops / stepMs / 1e6).toFixed(1)} | ${(stepFlops / torchStep / 1e6).toFixed(1)} | |`);
  console.log(`\nPyTorch's top ops (self CPU ms per step):`);
  for (const [k, ms] of torchOps.sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`${ms.toFixed(2).padStart(9)} ms  ${k}`);
}
