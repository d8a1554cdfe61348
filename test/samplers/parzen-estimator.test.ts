import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import { CategoricalKernels } from '../../src/samplers/tpe/categorical-kernels.js';
import { NumericalKernels } from '../../src/samplers/tpe/numerical-kernels.js';
import { defaultWeights, ParzenEstimator, type EstimatorParam, type ParzenEstimatorParameters } from '../../src/samplers/tpe/parzen-estimator.js';
import type { Distribution } from '../../src/core/search-space.js';

const defaults: ParzenEstimatorParameters = {
  priorWeight: 1,
  considerMagicClip: true,
  considerEndpoints: false,
  weights: defaultWeights,
};

function closeAll(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length, `${Array.from(actual)} vs ${expected}`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)), `[${i}] ${Array.from(actual)} vs ${expected}`);
  }
}

const float010: Distribution = { type: 'float', low: 0, high: 10, log: false, step: null };

function numeric(obs: number[], dist: Distribution, params: Partial<ParzenEstimatorParameters> = {}): NumericalKernels {
  const pe = new ParzenEstimator({ x: obs }, [{ name: 'x', distribution: dist }], { ...defaults, ...params });
  const k = pe.kernels('x');
  assert.ok(k instanceof NumericalKernels);
  return k;
}

test('bandwidths: larger distance to sorted neighbours, outermost kernels without endpoints, magic clip, prior', () => {
  // Observations 3, 4, 9 on [0, 10] (in this order; kernels keep it), prior last.
  // Sorted with ends: 0 | 3 4 9 | 10.
  //   3: inner neighbour only (endpoints off) -> 4 - 3 = 1;  with endpoints max(3, 1) = 3
  //   4: max(4 - 3, 9 - 4) = 5
  //   9: inner neighbour only -> 9 - 4 = 5;                 with endpoints max(5, 1) = 5
  // Magic clip: sigma >= 10 / min(100, n + 2) = 10 / 5 = 2. Prior: mu 5, sigma 10.
  let k = numeric([9, 3, 4], float010);
  closeAll(k.mus, [9, 3, 4, 5]);
  closeAll(k.sigmas, [5, 2, 5, 10]);
  k = numeric([9, 3, 4], float010, { considerMagicClip: false });
  closeAll(k.sigmas, [5, 1, 5, 10]);
  k = numeric([9, 3, 4], float010, { considerEndpoints: true });
  closeAll(k.sigmas, [5, 3, 5, 10]);
  // One observation: both ends are its neighbours: max(0.5, 9.5) = 9.5 (clip [10/3, 10]).
  k = numeric([0.5], float010);
  closeAll(k.sigmas, [9.5, 10]);
  assert.equal(k.low, 0);
  assert.equal(k.high, 10);
});

test('bandwidths of integers (range widened by step/2) and of log parameters (in log space)', () => {
  // int [1, 5]: modelled on [0.5, 5.5], range 5. Observations 2, 3: sorted 0.5 | 2 3 | 5.5;
  // outermost kernels take the inner distance 1, clipped up to 5 / min(100, 4) = 1.25.
  let k = numeric([2, 3], { type: 'int', low: 1, high: 5, log: false, step: 1 });
  assert.equal(k.low, 0.5);
  assert.equal(k.high, 5.5);
  closeAll(k.mus, [2, 3, 3]);
  closeAll(k.sigmas, [1.25, 1.25, 5]);
  // float step 0.5 on [0, 2]: modelled on [-0.25, 2.25], range 2.5.
  k = numeric([1], { type: 'float', low: 0, high: 2, log: false, step: 0.5 });
  closeAll(k.sigmas, [1.25, 2.5]);
  // log float [1, 100], observation 10: log range [0, ln 100], mu = ln 10,
  // sigma = max(ln 10, ln 10) = ln 10; prior mu = ln 10, sigma = ln 100.
  k = numeric([10], { type: 'float', low: 1, high: 100, log: true, step: null });
  closeAll(k.mus, [Math.log(10), Math.log(10)]);
  closeAll(k.sigmas, [Math.log(10), Math.log(100)]);
  // log int [1, 8]: modelled on [ln 0.5, ln 8.5].
  k = numeric([2], { type: 'int', low: 1, high: 8, log: true, step: 1 });
  closeAll([k.low, k.high], [Math.log(0.5), Math.log(8.5)]);
});

test('a joint estimator gives each dimension the neighbour bandwidths it would have alone', () => {
  const space: EstimatorParam[] = [
    { name: 'x', distribution: float010 },
    { name: 'y', distribution: { type: 'float', low: -1, high: 1, log: false, step: null } },
  ];
  const obs = { x: [1, 2, 4, 8, 9.5], y: [0.9, -0.2, 0.1, -1, 0.3] };
  const joint = new ParzenEstimator(obs, space, defaults);
  for (const p of space) {
    const alone = new ParzenEstimator({ [p.name]: obs[p.name as 'x' | 'y'] }, [p], defaults);
    closeAll((joint.kernels(p.name) as NumericalKernels).sigmas, Array.from((alone.kernels(p.name) as NumericalKernels).sigmas));
  }
  // x: neighbour distances [1, 2, 4, 4, 1.5] (outermost: inner neighbour only), clip
  // 10 / 7 from below; the prior's sigma is the range.
  closeAll((joint.kernels('x') as NumericalKernels).sigmas, [10 / 7, 2, 4, 4, 1.5, 10]);
});

test('categorical kernels: 1 + w/(n+1) on the observed choice, w/(n+1) elsewhere, normalised', () => {
  const dist: Distribution = { type: 'categorical', choices: ['a', 'b', 'c'] };
  const pe = new ParzenEstimator({ c: [0, 2] }, [{ name: 'c', distribution: dist }], defaults);
  const k = pe.kernels('c');
  assert.ok(k instanceof CategoricalKernels);
  // w = 1, n = 2: base 1/3; observed row [4/3, 1/3, 1/3] / 2.
  closeAll(k.rows[0]!, [2 / 3, 1 / 6, 1 / 6]);
  closeAll(k.rows[1]!, [1 / 6, 1 / 6, 2 / 3]);
  closeAll(k.rows[2]!, [1 / 3, 1 / 3, 1 / 3]);
  closeAll(pe.weights, [1 / 3, 1 / 3, 1 / 3]);
  // Prior weight 2: base 2/3; observed row [5/3, 2/3, 2/3] / 3; mixture weights [1, 1, 2] / 4.
  const pe2 = new ParzenEstimator({ c: [0, 2] }, [{ name: 'c', distribution: dist }], { ...defaults, priorWeight: 2 });
  closeAll((pe2.kernels('c') as CategoricalKernels).rows[0]!, [5 / 9, 2 / 9, 2 / 9]);
  closeAll(pe2.weights, [0.25, 0.25, 0.5]);
  // The mixture density of a choice: mean of the rows' probabilities.
  closeAll(Array.from(pe.logPdf({ c: [0, 1, 2] }), Math.exp), [(2 / 3 + 1 / 6 + 1 / 3) / 3, (1 / 6 + 1 / 6 + 1 / 3) / 3, (1 / 6 + 2 / 3 + 1 / 3) / 3]);
  // No observation: one uniform row.
  const empty = new ParzenEstimator({ c: [] }, [{ name: 'c', distribution: dist }], defaults);
  closeAll((empty.kernels('c') as CategoricalKernels).rows[0]!, [1 / 3, 1 / 3, 1 / 3]);
  closeAll(empty.weights, [1]);
});

test('default weights: 1 for the newest 25, a ramp from 1/n below', () => {
  assert.deepEqual(defaultWeights(0), []);
  assert.deepEqual(defaultWeights(3), [1, 1, 1]);
  assert.deepEqual(defaultWeights(25), new Array<number>(25).fill(1));
  const w = defaultWeights(30);
  assert.equal(w.length, 30);
  closeAll(w.slice(0, 5), [0, 1, 2, 3, 4].map((i) => 1 / 30 + (i * (1 - 1 / 30)) / 4));
  assert.deepEqual(w.slice(5), new Array<number>(25).fill(1));
  // Mixture weights: observation weights then the prior weight, normalised.
  const pe = new ParzenEstimator({ x: Array.from({ length: 30 }, (_, i) => i / 3) }, [{ name: 'x', distribution: float010 }], defaults);
  const total = w.reduce((a, b) => a + b, 0) + 1;
  closeAll(pe.weights, [...w.map((v) => v / total), 1 / total]);
});

test('densities integrate to one: grid bin masses, categorical, continuous and log', () => {
  const intDist: Distribution = { type: 'int', low: 1, high: 9, log: false, step: 2 };
  const pe = new ParzenEstimator({ k: [1, 3, 3, 9] }, [{ name: 'k', distribution: intDist }], defaults);
  const grid = [1, 3, 5, 7, 9];
  const mass = Array.from(pe.logPdf({ k: grid }), Math.exp).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(mass - 1) < 1e-12, `grid mass ${mass}`);

  const logInt: Distribution = { type: 'int', low: 1, high: 64, log: true, step: 1 };
  const pl = new ParzenEstimator({ k: [2, 3, 40] }, [{ name: 'k', distribution: logInt }], defaults);
  const all = Array.from({ length: 64 }, (_, i) => i + 1);
  const m2 = Array.from(pl.logPdf({ k: all }), Math.exp).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(m2 - 1) < 1e-12, `log-int mass ${m2}`);

  // Continuous: trapezoid rule over [0, 10].
  const pc = new ParzenEstimator({ x: [0.2, 5, 5.5, 9.9] }, [{ name: 'x', distribution: float010 }], defaults);
  const n = 20001;
  const xs = Array.from({ length: n }, (_, i) => (10 * i) / (n - 1));
  const ys = Array.from(pc.logPdf({ x: xs }), Math.exp);
  let integral = 0;
  for (let i = 1; i < n; i++) integral += ((ys[i]! + ys[i - 1]!) / 2) * (xs[i]! - xs[i - 1]!);
  assert.ok(Math.abs(integral - 1) < 1e-6, `integral ${integral}`);
});

test('samples stay on the grid and in range, and follow the mixture', () => {
  const space: EstimatorParam[] = [
    { name: 'f', distribution: { type: 'float', low: 0, high: 0.5, log: false, step: 0.05 } },
    { name: 'i', distribution: { type: 'int', low: 8, high: 512, log: true, step: 1 } },
    { name: 'l', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null } },
    { name: 'c', distribution: { type: 'categorical', choices: ['x', 'y', 'z', 'w'] } },
  ];
  const pe = new ParzenEstimator({ f: [0.1, 0.45], i: [16, 300], l: [1e-4, 3e-2], c: [1, 1] }, space, defaults);
  const rng = seedrandom('pe');
  const s = pe.sample(rng, 4000);
  for (let j = 0; j < 4000; j++) {
    const f = s.f![j]!;
    assert.ok(f >= 0 && f <= 0.5 && Math.abs(f / 0.05 - Math.round(f / 0.05)) < 1e-9, `f=${f}`);
    assert.ok(Number.isInteger(s.i![j]) && s.i![j]! >= 8 && s.i![j]! <= 512);
    assert.ok(s.l![j]! >= 1e-5 && s.l![j]! <= 1e-1);
    assert.ok([0, 1, 2, 3].includes(s.c![j]!));
  }
  // Choice 1: each observed row is [1/3, 4/3, 1/3, 1/3] / (7/3), the prior row 1/4 each,
  // mixture weights 1/3 each: P(c = 1) = (4/7 + 4/7 + 1/4) / 3 = 13/28.
  const share = s.c!.filter((c) => c === 1).length / 4000;
  assert.ok(Math.abs(share - 13 / 28) < 0.03, `share ${share}`);
});

test("log densities match Optuna's own _ParzenEstimator on a mixed example", () => {
  // Reference values: optuna/samplers/_tpe/parzen_estimator.py, probability_distributions.py
  // and _truncnorm.py from Optuna's main branch (fetched 2026, the version with the
  // log(scale) fix of PR #5110 and without the prior in the neighbour bandwidths), run
  // with numpy on the same observations and points, prior_weight 1 and 0.5, magic clip
  // on, endpoints off, default_weights: `_ParzenEstimator(obs, space, params).log_pdf(pts)`.
  const space: EstimatorParam[] = [
    { name: 'x', distribution: { type: 'float', low: -5, high: 5, log: false, step: null } },
    { name: 'lr', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null } },
    { name: 'k', distribution: { type: 'int', low: 1, high: 8, log: false, step: 1 } },
    { name: 'u', distribution: { type: 'int', low: 8, high: 512, log: true, step: 1 } },
    { name: 'd', distribution: { type: 'float', low: 0, high: 0.5, log: false, step: 0.05 } },
    { name: 'c', distribution: { type: 'categorical', choices: ['a', 'b', 'c'] } },
  ];
  const obs = { x: [-4, 0.5, 1, 4.5, 2], lr: [1e-4, 3e-3, 2e-2, 1e-5, 5e-4], k: [1, 3, 3, 8, 5], u: [8, 64, 100, 512, 33], d: [0, 0.1, 0.25, 0.5, 0.3], c: [0, 2, 2, 1, 0] };
  const pts = { x: [-5, -1, 0.7, 3.3, 5, 2.2], lr: [1e-5, 1e-3, 7e-4, 0.1, 2e-2, 4e-5], k: [1, 2, 3, 8, 6, 4], u: [8, 20, 64, 512, 300, 11], d: [0, 0.05, 0.25, 0.5, 0.35, 0.1], c: [0, 1, 2, 2, 0, 1] };
  // Joint kernels over all six parameters (Optuna's main branch uses neighbour bandwidths
  // for its joint estimator too, as ours does).
  const joint = {
    1: [-10.895203253070262, -14.092770039945263, -13.910797278904962, -19.757509351598944, -18.711497852174652, -14.510773212266372],
    0.5: [-10.704188115157226, -14.535205459739382, -13.761418272441563, -20.251533936903293, -19.033486767753132, -14.904013004992755],
  };
  for (const priorWeight of [1, 0.5] as const) {
    const pe = new ParzenEstimator(obs, space, { ...defaults, priorWeight });
    closeAll(pe.logPdf(pts), joint[priorWeight], 1e-12);
  }
  const pe = new ParzenEstimator(obs, space, defaults);
  closeAll((pe.kernels('x') as NumericalKernels).sigmas, [4.5, 4.5, 1.4285714285714286, 2.5, 2.5, 10]);
  closeAll((pe.kernels('u') as NumericalKernels).sigmas, [1.4170660197866445, 0.6623755218931913, 1.6331544390514159, 1.6331544390514159, 1.4170660197866445, 4.224397690470299]);
  closeAll((pe.kernels('d') as NumericalKernels).sigmas, [0.1, 0.15, 0.15, 0.2, 0.2, 0.55]);
  // One-dimensional estimators (the univariate TPE path).
  const single: Record<string, number[]> = {
    x: [-2.974925046110881, -2.368598359999803, -1.9724225229091035, -2.1190683344528303, -2.38882922647409, -1.9746331999788844],
    lr: [-2.311302306883963, -2.0734873652396373, -2.066164039302342, -2.907997514319217, -2.39908925551691, -2.166581850013964],
    k: [-2.011108284242706, -1.8540494112728911, -1.8289495201272146, -2.5349162717255753, -2.246624265840876, -1.9153756288708716],
    u: [-3.785352214414127, -4.458242245451817, -5.329974909104492, -8.067104405132563, -7.393575260449005, -4.020122558543349],
    d: [-2.2500625121849445, -2.196279985214416, -2.3802807121281684, -2.752778539818325, -2.473769874489052, -2.230163822872308],
    c: [-0.9932517730102834, -1.3499267169490157, -0.9932517730102834, -0.9932517730102834, -0.9932517730102834, -1.3499267169490157],
  };
  for (const p of space) {
    const one = new ParzenEstimator({ [p.name]: obs[p.name as keyof typeof obs] }, [p], defaults);
    closeAll(one.logPdf({ [p.name]: pts[p.name as keyof typeof pts] }), single[p.name]!, 1e-12);
  }
});

test('the one-dimensional shortcuts agree with the full kernel-by-kernel computation', () => {
  // A categorical with a single choice adds log 1 = 0 to every kernel, so the joint
  // estimator computes the same density through the general (points x kernels) path.
  const one: EstimatorParam = { name: 'one', distribution: { type: 'categorical', choices: ['only'] } };
  const rng = seedrandom('shortcuts');
  const cases: [Distribution, number[], number[]][] = [];
  // Grid with many distinct kernels (most far from any point: the pruned path).
  const units: Distribution = { type: 'int', low: 16, high: 512, log: true, step: 1 };
  cases.push([units, Array.from({ length: 600 }, () => 16 + Math.floor(rng() * 497)), [16, 17, 100, 255, 511, 512]]);
  // Continuous with narrow kernels clustered at one end, points at the other (underflow fallback).
  const x: Distribution = { type: 'float', low: 0, high: 1000, log: false, step: null };
  cases.push([x, Array.from({ length: 300 }, () => rng() * 5), [0, 2.5, 500, 999, 1000]]);
  // Without the prior nothing covers the far points: their densities underflow in linear
  // space and must come back from the log-space fallback.
  for (const params of [defaults, { ...defaults, priorWeight: 0 }]) {
    for (const [dist, observed, points] of cases) {
      const p: EstimatorParam = { name: 'p', distribution: dist };
      const fast = new ParzenEstimator({ p: observed }, [p], params).logPdf({ p: points });
      const full = new ParzenEstimator({ p: observed, one: observed.map(() => 0) }, [p, one], params).logPdf({ p: points, one: points.map(() => 0) });
      closeAll(fast, Array.from(full), 1e-12);
      for (const v of fast) assert.ok(Number.isFinite(v));
    }
  }
});
