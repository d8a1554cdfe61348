import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import { dimDistance, matern52, matern52Derivative, type KernelParams } from '../../src/samplers/gp/kernel.js';
import { kernelParamsFromRaw, logMarginalLikelihood, logPrior, pairDistances, fitGaussianProcess } from '../../src/samplers/gp/fit.js';
import { GaussianProcess, trainingCovariance } from '../../src/samplers/gp/regressor.js';
import { cholesky, choleskyLogDet, choleskySolve } from '../../src/samplers/gp/linalg.js';
import { erfcx, logExpectedImprovement, standardLogEI } from '../../src/samplers/gp/acquisition.js';
import { erfc } from '../../src/samplers/tpe/truncnorm.js';

function near(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

test('the Matérn-5/2 kernel matches hand-computed values and its derivative', () => {
  assert.equal(matern52(0), 1);
  // (1 + √5 + 5/3) e^{-√5} and (1 + 1 + 1/3) e^{-1}.
  near(matern52(1), 0.5239941088318203, 1e-14, 'm(1)');
  near(matern52(0.2), 0.8583853627333655, 1e-14, 'm(0.2)');
  assert.equal(matern52Derivative(0), -5 / 6);
  for (const s of [0.01, 0.3, 2]) near(matern52Derivative(s), (matern52(s + 1e-7) - matern52(s - 1e-7)) / 2e-7, 1e-6, `m'(${s})`);
  assert.equal(dimDistance(0.25, 0.75, false), 0.25);
  assert.equal(dimDistance(1, 3, true), 1);
  assert.equal(dimDistance(2, 2, true), 0);
});

/** A small data set: 12 points in 3 dimensions, the last categorical with 3 values. */
function data(): { x: Float64Array; y: Float64Array; categorical: boolean[] } {
  const rng = seedrandom('gp-model');
  const n = 12;
  const x = new Float64Array(n * 3);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i * 3] = rng();
    x[i * 3 + 1] = rng();
    x[i * 3 + 2] = Math.floor(rng() * 3);
    y[i] = Math.sin(4 * x[i * 3]!) + x[i * 3 + 1]! ** 2 + 0.3 * x[i * 3 + 2]!;
  }
  return { x, y, categorical: [false, false, true] };
}

test('the log marginal likelihood equals the direct formula and its gradient the finite differences', () => {
  const { x, y, categorical } = data();
  const n = y.length;
  const raw = Float64Array.from([0.3, -0.5, 0.1, 0.2, -3]);
  const p = kernelParamsFromRaw(raw, 3, 1e-6);
  const pairs = pairDistances(x, n, 3, categorical);
  const grad = new Float64Array(5);
  const value = logMarginalLikelihood(pairs, y, 3, p, 1e-6, grad);
  const l = cholesky(trainingCovariance(x, n, 3, categorical, p), n);
  const alpha = choleskySolve(l, n, y);
  const direct = -0.5 * choleskyLogDet(l, n) - 0.5 * y.reduce((s, v, i) => s + v * alpha[i]!, 0);
  near(value, direct, 1e-12, 'mll');
  for (let j = 0; j < 5; j++) {
    const h = 1e-6;
    const up = Float64Array.from(raw);
    const down = Float64Array.from(raw);
    up[j] += h;
    down[j] -= h;
    const scratch = new Float64Array(5);
    const fd = (logMarginalLikelihood(pairs, y, 3, kernelParamsFromRaw(up, 3, 1e-6), 1e-6, scratch) - logMarginalLikelihood(pairs, y, 3, kernelParamsFromRaw(down, 3, 1e-6), 1e-6, scratch)) / (2 * h);
    near(grad[j]!, fd, 1e-5, `∂mll/∂raw[${j}]`);
  }
});

test("the prior's gradient matches finite differences", () => {
  const raw = Float64Array.from([0.7, -1.2, 0.4, -2]);
  const grad = new Float64Array(4);
  logPrior(kernelParamsFromRaw(raw, 2, 1e-6), 1e-6, grad);
  for (let j = 0; j < 4; j++) {
    const up = Float64Array.from(raw);
    const down = Float64Array.from(raw);
    up[j] += 1e-6;
    down[j] -= 1e-6;
    const s = new Float64Array(4);
    const fd = (logPrior(kernelParamsFromRaw(up, 2, 1e-6), 1e-6, s) - logPrior(kernelParamsFromRaw(down, 2, 1e-6), 1e-6, s)) / 2e-6;
    near(grad[j]!, fd, 1e-6, `∂prior/∂raw[${j}]`);
  }
});

test('the posterior interpolates near-noiseless data and its gradient matches finite differences', () => {
  const { x, y, categorical } = data();
  const params: KernelParams = { inverseSquaredLengthscales: Float64Array.from([2, 1, 0.5]), kernelScale: 1.5, noiseVar: 1e-8 };
  const gp = new GaussianProcess(x, y, 3, categorical, params);
  const at = x.subarray(3, 6);
  const p = gp.posterior(at);
  near(p.mean, y[1]!, 1e-5, 'mean at a training point');
  assert.ok(p.variance < 1e-6, `variance at a training point ${p.variance}`);
  const q = Float64Array.from([0.31, 0.62, 1]);
  const grad = { dims: [0, 1], mean: new Float64Array(2), variance: new Float64Array(2) };
  const base = gp.posterior(q, grad);
  const far = gp.posterior(Float64Array.from([50, 50, 7]));
  near(far.variance, 1.5, 1e-12, 'prior variance far away');
  near(far.mean, 0, 1e-12, 'prior mean far away');
  for (const [k, j] of [0, 1].entries()) {
    const up = Float64Array.from(q);
    const down = Float64Array.from(q);
    up[j] += 1e-6;
    down[j] -= 1e-6;
    const pu = gp.posterior(up);
    const pd = gp.posterior(down);
    near(grad.mean[k]!, (pu.mean - pd.mean) / 2e-6, 1e-5, `∂mean/∂x${j}`);
    near(grad.variance[k]!, (pu.variance - pd.variance) / 2e-6, 1e-5, `∂var/∂x${j}`);
  }
  assert.ok(base.variance > 0);
});

test('fitting raises marginal likelihood + prior above the starting point', () => {
  const { x, y, categorical } = data();
  const pairs = pairDistances(x, y.length, 3, categorical);
  const objective = (p: KernelParams): number => logMarginalLikelihood(pairs, y, 3, p, 1e-6, new Float64Array(5)) + logPrior(p, 1e-6, new Float64Array(5));
  const start = kernelParamsFromRaw([0, 0, 0, 0, Math.log(1 - 0.99e-6)], 3, 1e-6);
  const fitted = fitGaussianProcess(x, y, 3, categorical).params;
  assert.ok(objective(fitted) > objective(start) + 1, `${objective(fitted)} vs ${objective(start)}`);
  assert.ok(fitted.noiseVar >= 1e-6);
});

test('log EI equals the log of the directly computed EI where that is well conditioned', () => {
  const cdf = (z: number): number => 0.5 * erfc(-z / Math.SQRT2);
  const pdf = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  for (const [mean, variance, f0] of [[0, 1, 0], [0.5, 0.04, 0.2], [-1, 2, 1.5], [2, 0.3, -1], [-3, 0.5, 0]] as const) {
    const sigma = Math.sqrt(variance);
    const z = (mean - f0) / sigma;
    const ei = (mean - f0) * cdf(z) + sigma * pdf(z);
    const got = logExpectedImprovement(mean, variance, f0, 0);
    near(got.value, Math.log(ei), 1e-12, `logEI(${mean}, ${variance}, ${f0})`);
    // ∂ log EI/∂mean = Φ(z) / EI.
    near(got.dMean, cdf(z) / ei, 1e-10, 'dMean');
    const h = 1e-6;
    near(got.dVariance, (logExpectedImprovement(mean, variance + h, f0, 0).value - logExpectedImprovement(mean, variance - h, f0, 0).value) / (2 * h), 1e-6, 'dVariance');
  }
});

test('log EI is continuous across its two formulas and finite far in the tail', () => {
  near(standardLogEI(-25 + 1e-9).value, standardLogEI(-25 - 1e-9).value, 1e-8, 'at z = -25');
  near(standardLogEI(-25 + 1e-9).derivative, standardLogEI(-25 - 1e-9).derivative, 1e-6, "h'/h at z = -25");
  // h(z) ~ φ(z) / z² for z → −∞, so log h ≈ −z²/2 − log √(2π) − 2 log|z|.
  const z = -1e3;
  near(standardLogEI(z).value, -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) - 2 * Math.log(-z), 1e-5, 'tail');
  assert.ok(Number.isFinite(standardLogEI(-1e4).value));
  near(erfcx(10.5), Math.exp(10.5 ** 2) * erfc(10.5), 1e-12, 'erfcx across its two formulas');
});
