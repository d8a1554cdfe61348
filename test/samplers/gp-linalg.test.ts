import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cholesky,
  choleskyInverse,
  choleskyLogDet,
  choleskySolve,
  NotPositiveDefiniteError,
  solveLower,
  solveUpperTransposed,
} from '../../src/samplers/gp/linalg.js';
import { minimize } from '../../src/samplers/gp/lbfgs.js';

// The textbook example: A = L Lᵀ with L = [[2, 0, 0], [6, 1, 0], [-8, 5, 3]].
const A = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
const L = [2, 0, 0, 6, 1, 0, -8, 5, 3];

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}] ${actual[i]} != ${expected[i]}`);
}

test('cholesky factors the textbook 3x3 matrix exactly', () => {
  close(cholesky(A, 3), L);
});

test('triangular solves and the Cholesky solve recover a known solution', () => {
  const l = cholesky(A, 3);
  // L [1, 2, 3] = [2, 8, 11]; Lᵀ [1, 2, 3] = [2 + 12 - 24, 2 + 15, 9] = [-10, 17, 9].
  close(solveLower(l, 3, [2, 8, 11]), [1, 2, 3]);
  close(solveUpperTransposed(l, 3, [-10, 17, 9]), [1, 2, 3]);
  // A [1, -1, 2] = [4 - 12 - 32, 12 - 37 - 86, -16 + 43 + 196].
  close(choleskySolve(l, 3, [-40, -111, 223]), [1, -1, 2], 1e-10);
});

test('choleskyInverse is the inverse and choleskyLogDet the log-determinant', () => {
  const l = cholesky(A, 3);
  const inv = choleskyInverse(l, 3);
  const product = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) product[i * 3 + j] += A[i * 3 + k]! * inv[k * 3 + j]!;
  close(product, [1, 0, 0, 0, 1, 0, 0, 0, 1], 1e-10);
  // det A = (2 · 1 · 3)² = 36.
  assert.ok(Math.abs(choleskyLogDet(l, 3) - Math.log(36)) < 1e-12);
});

test('cholesky refuses a matrix that is not positive definite', () => {
  assert.throws(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2), NotPositiveDefiniteError);
});

test('minimize finds the minimum of the Rosenbrock function', () => {
  const r = minimize(
    (x, g) => {
      const [a, b] = [x[0]!, x[1]!];
      g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
      g[1] = 200 * (b - a * a);
      return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
    },
    [-1.2, 1],
    { gtol: 1e-8, maxIterations: 500, ftol: 0 },
  );
  close(r.x, [1, 1], 1e-5);
  assert.ok(r.converged);
});

test('minimize with bounds stops on the bound the unconstrained minimum lies beyond', () => {
  // min (x - 2)² + (y + 1)² on [0, 1]²: (1, 0).
  const r = minimize(
    (x, g) => {
      g[0] = 2 * (x[0]! - 2);
      g[1] = 2 * (x[1]! + 1);
      return (x[0]! - 2) ** 2 + (x[1]! + 1) ** 2;
    },
    [0.5, 0.5],
    { lower: [0, 0], upper: [1, 1], gtol: 1e-10, maxIterations: 100 },
  );
  close(r.x, [1, 0]);
});
