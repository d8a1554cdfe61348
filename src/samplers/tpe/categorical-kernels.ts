import type { Uniform } from '../random.js';
import type { Kernels } from './kernels.js';

/**
 * Categorical kernels (Optuna's `_BatchedCategoricalDistributions`): observation j puts
 * 1 + w/(n+1) on its observed choice and w/(n+1) on every choice, the prior row w/(n+1)
 * everywhere (w = prior weight), each row normalised. With no observation there is one
 * uniform row.
 *
 * Every observation row holds only two values (on and off its choice), so rows are kept
 * as the observed choice index rather than as n arrays of C probabilities.
 */
export class CategoricalKernels implements Kernels {
  readonly nChoices: number;
  /** The observed choice of each observation kernel (the prior kernel comes after them). */
  readonly #observed: Int32Array;
  /** Probability of an observation row on its own choice, and on any other choice. */
  readonly #pOn: number;
  readonly #pOff: number;
  /** Probability of each choice under the prior row: 1/C, or 0 when the prior weight is 0. */
  readonly #pPrior: number;

  constructor(observed: readonly number[], nChoices: number, priorWeight: number) {
    this.nChoices = nChoices;
    this.#observed = Int32Array.from(observed);
    if (observed.length === 0) {
      this.#pOn = this.#pOff = this.#pPrior = 1 / nChoices;
      return;
    }
    const base = priorWeight / (observed.length + 1);
    const sum = 1 + nChoices * base;
    this.#pOn = (1 + base) / sum;
    this.#pOff = base / sum;
    // A prior weight of 0 leaves the prior row all zero (its mixture weight is 0 too), as in Optuna.
    this.#pPrior = priorWeight > 0 ? 1 / nChoices : 0;
  }

  /** Number of rows (mixture components). */
  get size(): number {
    return Math.max(1, this.#observed.length + 1);
  }

  /** P(choice c | component k). */
  probability(k: number, c: number): number {
    if (k >= this.#observed.length) return this.#pPrior;
    return c === this.#observed[k] ? this.#pOn : this.#pOff;
  }

  /** rows[k][c] = P(choice c | component k), materialised (for inspection and tests). */
  get rows(): Float64Array[] {
    return Array.from({ length: this.size }, (_, k) => Float64Array.from({ length: this.nChoices }, (_, c) => this.probability(k, c)));
  }

  sample(k: number, rng: Uniform): number {
    const u = rng();
    let cum = 0;
    for (let c = 0; c < this.nChoices - 1; c++) {
      cum += this.probability(k, c);
      if (u < cum) return c;
    }
    return this.nChoices - 1; // rounding of the cumulative sum lands here
  }

  accumulateLogPdf(xs: readonly number[], acc: Float64Array): void {
    const nK = this.size;
    const nObs = this.#observed.length;
    const logOn = Math.log(this.#pOn);
    const logOff = Math.log(this.#pOff);
    const logPrior = Math.log(this.#pPrior);
    for (let i = 0; i < xs.length; i++) {
      const c = xs[i]!;
      const row = i * nK;
      for (let k = 0; k < nObs; k++) acc[row + k]! += c === this.#observed[k] ? logOn : logOff;
      if (nK > nObs) acc[row + nObs]! += nObs === 0 ? Math.log(1 / this.nChoices) : logPrior;
    }
  }

  /** The mixture is itself a categorical distribution: sum_k w_k rows[k], once per choice. */
  mixtureLogPdf(xs: readonly number[], weights: Float64Array): Float64Array {
    const probs = new Float64Array(this.nChoices);
    const nObs = this.#observed.length;
    if (nObs === 0) {
      probs.fill(1 / this.nChoices);
    } else {
      let wObs = 0;
      for (let k = 0; k < nObs; k++) {
        wObs += weights[k]!;
        probs[this.#observed[k]!]! += weights[k]! * (this.#pOn - this.#pOff);
      }
      for (let c = 0; c < this.nChoices; c++) probs[c]! += wObs * this.#pOff + weights[nObs]! * this.#pPrior;
    }
    return Float64Array.from(xs, (c) => Math.log(probs[c]!));
  }
}
