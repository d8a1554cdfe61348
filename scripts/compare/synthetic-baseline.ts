/**
 * How separable is the built-in synthetic set for simple classifiers? Nearest centroid and a
 * class-weighted multinomial logistic regression, on the raw 187 samples and on the raw samples
 * plus a few hand-made rhythm/morphology features, with a stratified and a patient-level
 * (group) split. The point: S vs N and F vs N/V must not be trivially separable.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/compare/synthetic-baseline.js [--n 20000] [--seed 7]
 */
import { classCounts } from '../../src/data/labels.js';
import { randomStream } from '../../src/data/rng.js';
import { splitIndices } from '../../src/data/splits.js';
import { BEAT_LENGTH, generateSynthetic } from '../../src/data/synthetic.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const n = Number(arg('n', '20000'));
const seed = Number(arg('seed', '7'));
const K = 5;

const syn = generateSynthetic({ n, seed });
const y = syn.labels.classIndex;

/** Hand-made features: window length, position and height of the second R peak, P-wave area before it, QRS width proxy. */
function handFeatures(row: Float32Array): number[] {
  let end = row.length;
  while (end > 0 && row[end - 1] === 0) end--;
  const from = Math.floor(0.4 * end);
  let k = from;
  for (let t = from; t < end; t++) if (row[t]! > row[k]!) k = t;
  const pre = row.subarray(Math.max(0, k - 25), Math.max(1, k - 8));
  const mean = pre.reduce((a, b) => a + b, 0) / pre.length;
  let width = 0;
  for (let t = Math.max(0, k - 12); t < Math.min(end, k + 12); t++) if (row[t]! > 0.5 * row[k]!) width++;
  return [end / BEAT_LENGTH, k / Math.max(1, end), row[k]!, mean, Math.min(...pre), width / 24];
}

function features(withHand: boolean): { x: Float64Array; d: number } {
  const d = BEAT_LENGTH + (withHand ? 6 : 0);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const row = syn.signals.subarray(i * BEAT_LENGTH, (i + 1) * BEAT_LENGTH);
    x.set(row, i * d);
    if (withHand) x.set(handFeatures(row), i * d + BEAT_LENGTH);
  }
  return { x, d };
}

function standardise(x: Float64Array, d: number, train: Int32Array): void {
  for (let j = 0; j < d; j++) {
    let s = 0;
    let s2 = 0;
    for (const i of train) {
      s += x[i * d + j]!;
      s2 += x[i * d + j]! ** 2;
    }
    const mean = s / train.length;
    const sd = Math.sqrt(Math.max(1e-12, s2 / train.length - mean * mean));
    for (let i = 0; i < n; i++) x[i * d + j] = (x[i * d + j]! - mean) / sd;
  }
}

function nearestCentroid(x: Float64Array, d: number, train: Int32Array, test: Int32Array): Int32Array {
  const c = Array.from({ length: K }, () => new Float64Array(d));
  const cnt = new Array<number>(K).fill(0);
  for (const i of train) {
    cnt[y[i]!]!++;
    for (let j = 0; j < d; j++) c[y[i]!]![j]! += x[i * d + j]!;
  }
  c.forEach((v, k) => v.forEach((_, j) => (v[j]! /= Math.max(1, cnt[k]!))));
  return Int32Array.from(test, (i) => {
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j]! - c[k]![j]!) ** 2;
      if (s < bestD) [best, bestD] = [k, s];
    }
    return best;
  });
}

/** Softmax regression, class-weighted (weights ∝ 1/n_c, as scikit-learn's class_weight='balanced'), Adam, mini-batches. */
function logistic(x: Float64Array, d: number, train: Int32Array, test: Int32Array, epochs = 40): Int32Array {
  const w = new Float64Array(K * (d + 1));
  const m = new Float64Array(w.length);
  const v = new Float64Array(w.length);
  const counts = new Array<number>(K).fill(0);
  for (const i of train) counts[y[i]!]!++;
  const cw = counts.map((c) => train.length / (K * Math.max(1, c)));
  const rng = randomStream('baseline-logistic', seed);
  const lr = 0.01;
  const l2 = 1e-4;
  let step = 0;
  const p = new Float64Array(K);
  const grad = new Float64Array(w.length);
  const order = Int32Array.from(train);
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let b = 0; b < order.length; b += 128) {
      grad.fill(0);
      const end = Math.min(order.length, b + 128);
      for (let r = b; r < end; r++) {
        const i = order[r]!;
        for (let k = 0; k < K; k++) {
          let z = w[k * (d + 1) + d]!;
          for (let j = 0; j < d; j++) z += w[k * (d + 1) + j]! * x[i * d + j]!;
          p[k] = z;
        }
        const mx = Math.max(...p);
        let s = 0;
        for (let k = 0; k < K; k++) s += (p[k] = Math.exp(p[k]! - mx));
        for (let k = 0; k < K; k++) {
          const g = (cw[y[i]!]! * (p[k]! / s - (k === y[i] ? 1 : 0))) / (end - b);
          for (let j = 0; j < d; j++) grad[k * (d + 1) + j]! += g * x[i * d + j]!;
          grad[k * (d + 1) + d]! += g;
        }
      }
      step++;
      for (let t = 0; t < w.length; t++) {
        const g = grad[t]! + l2 * w[t]!;
        m[t] = 0.9 * m[t]! + 0.1 * g;
        v[t] = 0.999 * v[t]! + 0.001 * g * g;
        w[t]! -= (lr * (m[t]! / (1 - 0.9 ** step))) / (Math.sqrt(v[t]! / (1 - 0.999 ** step)) + 1e-8);
      }
    }
  }
  return Int32Array.from(test, (i) => {
    let best = 0;
    let bestZ = -Infinity;
    for (let k = 0; k < K; k++) {
      let z = w[k * (d + 1) + d]!;
      for (let j = 0; j < d; j++) z += w[k * (d + 1) + j]! * x[i * d + j]!;
      if (z > bestZ) [best, bestZ] = [k, z];
    }
    return best;
  });
}

function report(name: string, test: Int32Array, pred: Int32Array): void {
  const hit = new Array<number>(K).fill(0);
  const tot = new Array<number>(K).fill(0);
  test.forEach((i, r) => {
    tot[y[i]!]!++;
    if (pred[r] === y[i]) hit[y[i]!]!++;
  });
  const recall = hit.map((h, k) => h / Math.max(1, tot[k]!));
  const acc = hit.reduce((a, b) => a + b, 0) / test.length;
  const macro = recall.reduce((a, b) => a + b, 0) / K;
  // Precision of S and F: a high recall bought by calling many N beats S/F is not separation.
  const precision = (k: number) => hit[k]! / Math.max(1, pred.filter((p) => p === k).length);
  console.log(`| ${name} | ${acc.toFixed(3)} | ${macro.toFixed(3)} | ${recall.map((r) => r.toFixed(2)).join(' | ')} | ${precision(1).toFixed(2)} | ${precision(3).toFixed(2)} |`);
}

console.log(`synthetic set n=${n}, seed=${seed}; test split 30 %`);
console.log('| model | accuracy | macro recall | recall N | S | V | F | Q | precision S | precision F |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const by of ['stratified', 'group'] as const) {
  const split = splitIndices(syn.labels, syn.groups, { val: 0, test: 0.3, by, seed: 0 });
  const train = split.train;
  const test = split.test;
  if (by === 'group') console.error(`group split: test class counts ${classCounts(syn.labels, test).join(', ')}`);
  for (const withHand of [false, true]) {
    const { x, d } = features(withHand);
    standardise(x, d, train);
    const what = withHand ? 'raw + 6 hand features' : 'raw samples';
    report(`nearest centroid, ${what}, ${by} split`, test, nearestCentroid(x, d, train, test));
    report(`logistic (class-weighted), ${what}, ${by} split`, test, logistic(x, d, train, test));
  }
}
