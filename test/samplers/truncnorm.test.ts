import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import * as tn from '../../src/samplers/tpe/truncnorm.js';

/** |actual - expected| <= rtol |expected| + atol. */
function close(actual: number, expected: number, rtol = 1e-12, atol = 0): void {
  assert.ok(Math.abs(actual - expected) <= rtol * Math.abs(expected) + atol, `${actual} != ${expected}`);
}

// Every reference number below was computed with SciPy 1.10.1 (Debian python3-scipy):
//   from scipy.stats import truncnorm; from scipy import special as sp
// e.g. truncnorm.logpdf(x, a, b, loc, scale), truncnorm.cdf(...), truncnorm.ppf(q, a, b),
// truncnorm.mean(a, b), sp.erf, sp.erfc, sp.log_ndtr, sp.ndtri, sp.ndtri_exp.

test('erf, erfc, log Phi and the normal quantile match SciPy', () => {
  close(tn.erf(0.3), 0.3286267594591274, 1e-15);
  close(tn.erfc(3.0), 2.2090496998585445e-5, 1e-14);
  close(tn.erfc(-0.5), 1.5204998778130465, 1e-15);
  close(tn.logNdtr(-50), -1254.8313611394199, 1e-14);
  close(tn.logNdtr(6.5), -4.016000583939729e-11, 1e-12);
  close(tn.logNdtr(2), -0.023012909328963486, 1e-14);
  close(tn.logNdtr(-40), -804.6084420137539, 1e-14);
  close(tn.ndtri(1e-12), -7.034483825301131, 1e-14);
  close(tn.ndtriExp(-800), -39.88469483825668, 1e-13);
  // Round trips through the tails.
  for (const x of [-45, -30, -12, -3, -0.2, 0, 0.7, 4, 8]) close(tn.ndtriExp(tn.logNdtr(x)), x, 1e-10, 1e-12);
  for (const p of [1e-300, 1e-50, 1e-8, 0.01, 0.3, 0.5, 0.8, 0.999999]) close(tn.ndtr(tn.ndtri(p)), p, 1e-12);
});

test('truncated normal logpdf, pdf and cdf match SciPy, also far in the tails', () => {
  // [x, a, b, loc, scale, logpdf, pdf, cdf]
  const cases: [number, number, number, number, number, number, number, number][] = [
    [0.3, -1, 2, 0, 1, -0.7637722388802101, 0.46590560074763204, 0.5610300389662324],
    [1.7, -2, 3, 1, 0.5, -1.18139616508984, 0.30685002609980017, 0.9186322741658676],
    [-38.5, -40, -35, 0, 1, -125.06883727128218, 4.822742952059875e-55, 1.2518171042981683e-56],
    [36, 35, 40, 0, 1, -31.943837271282177, 1.3395771850601826e-14, 0.9999999999999997],
    [2.5, 0, 10, 2, 0.1, -10.423206259650682, 2.9734390294685968e-5, 0.9999994266968563],
    [0.01, -0.5, 0.5, 0.2, 3.0, -1.0596400437327158, 0.3465805417178984, 0.43406158210810747],
  ];
  for (const [x, a, b, loc, scale, logpdf, pdf, cdf] of cases) {
    close(tn.logPdf(x, a, b, loc, scale), logpdf, 1e-11);
    close(tn.pdf(x, a, b, loc, scale), pdf, 1e-10);
    close(tn.cdf(x, a, b, loc, scale), cdf, 1e-9);
  }
  assert.equal(tn.logPdf(-1.5, -1, 2), -Infinity);
  assert.equal(tn.cdf(-1.5, -1, 2), 0);
  assert.equal(tn.cdf(2.5, -1, 2), 1);
});

test('log Gaussian mass stays finite where Phi(b) - Phi(a) underflows', () => {
  close(tn.logGaussMass(-1, 2), -0.20016629432446262, 1e-13);
  close(tn.logGaussMass(5, 6), -15.068446096568119, 1e-9);
  // SciPy: log(ndtr(b) - ndtr(a)) is -inf here; by the symmetry the mass equals
  // Phi(-40) - Phi(-50) = exp(log_ndtr(-40)) (1 - exp(log_ndtr(-50) - log_ndtr(-40))).
  close(tn.logGaussMass(-50, -40), -804.6084420137539, 1e-13);
  close(tn.logGaussMass(40, 50), -804.6084420137539, 1e-13);
  // A 1e-10-wide bin: midpoint rule, density times width.
  const b = 1 + 1e-10; // the representable width is b - 1, not exactly 1e-10
  close(tn.logGaussMass(1, b), Math.log(b - 1) + tn.normLogPdf((1 + b) / 2), 1e-12);
});

test('truncated normal ppf matches SciPy', () => {
  const cases: [number, number, number, number][] = [
    [0.25, -1, 2, -0.3496414292924658],
    [0.9, -40, -35, -35.00300772002905],
    [0.1, 35, 40, 35.00300772002905],
    [0.5, -1e-3, 1e-3, -5.565832849343534e-16],
    [0.999, 0, 30, 3.2905267314918945],
    [1e-6, -3, 3, -2.999775045615971],
  ];
  for (const [q, a, b, expected] of cases) close(tn.ppfStandard(q, a, b), expected, 1e-10, 1e-13);
  assert.equal(tn.ppfStandard(0, -1, 2), -1);
  assert.equal(tn.ppfStandard(1, -1, 2), 2);
  // ppf inverts cdf.
  for (const q of [0.01, 0.2, 0.5, 0.77, 0.99]) close(tn.cdf(tn.ppf(q, -1.3, 0.4, 2, 3), -1.3, 0.4, 2, 3), q, 1e-10);
});

test('sampling stays in the range and matches the mean of the density', () => {
  const rng = seedrandom('truncnorm');
  // [a, b, SciPy truncnorm.mean(a, b)]
  const cases: [number, number, number][] = [
    [-1, 2, 0.22963717909132902],
    [5, 6, 5.183147090477182],
    [-50, -40, -40.024968847210886],
    [40, 50, 40.024968847210886],
  ];
  for (const [a, b, mean] of cases) {
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = tn.rvs(rng, a, b, 3, 2); // loc 3, scale 2: the bounds are loc + scale [a, b]
      assert.ok(x >= 3 + 2 * a && x <= 3 + 2 * b, `${x} outside [${3 + 2 * a}, ${3 + 2 * b}]`);
      sum += x;
      sumSq += x * x;
    }
    const m = sum / n;
    const sd = Math.sqrt(sumSq / n - m * m);
    // Within 5 standard errors of the exact mean.
    assert.ok(Math.abs(m - (3 + 2 * mean)) < 5 * (sd / Math.sqrt(n)) + 1e-9, `mean ${m} vs ${3 + 2 * mean}`);
  }
});
