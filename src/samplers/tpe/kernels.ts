/**
 * What the Parzen estimator (`parzen-estimator.ts`) asks of the kernels of one dimension of
 * its mixture, numeric (`numerical-kernels.ts`) or categorical (`categorical-kernels.ts`).
 */
import type { Uniform } from '../random.js';

/** The kernels of one dimension of the mixture: one row per mixture component. */
export interface Kernels {
  /** Draws the value of this dimension from component k. */
  sample(k: number, rng: Uniform): number;
  /** Adds log p_k(x_i) to acc[i * nKernels + k] for every point i and component k. */
  accumulateLogPdf(xs: readonly number[], acc: Float64Array): void;
  /**
   * log sum_k w_k p_k(x_i) for every point: the density of a one-dimensional mixture,
   * computed without the (points x kernels) matrix where the kernels allow it.
   */
  mixtureLogPdf(xs: readonly number[], weights: Float64Array): Float64Array;
}

/** log(sum_j exp(v_j)) over a row. */
export function logSumExp(v: Float64Array): number {
  let max = -Infinity;
  for (let j = 0; j < v.length; j++) if (v[j]! > max) max = v[j]!;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += Math.exp(v[j]! - max);
  return max + Math.log(sum);
}
