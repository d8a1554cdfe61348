import type { Direction, Params, SearchSpace } from '../core/search-space.js';
import type { FrozenTrial } from '../core/trial.js';

export interface SampleContext {
  readonly space: SearchSpace;
  readonly direction: Direction;
  /** Every trial of the study except the one being sampled, in number order, any state. */
  readonly trials: readonly FrozenTrial[];
  /** Number of the trial being sampled; seeds the per-trial random stream. */
  readonly trialNumber: number;
  /**
   * Parameters already fixed for this trial (a partially enqueued configuration): the
   * sampler returns them unchanged and uses them to decide which conditional parameters
   * are active.
   */
  readonly fixed?: Params;
}

/**
 * A sampler proposes the parameters of one new trial from the history of the study.
 * It holds no I/O and no mutable state across calls other than its configuration, so
 * that two processes sharing one database draw independent, reproducible suggestions
 * (the random stream is derived from the sampler seed and the trial number).
 * Parameters whose `when` condition is not met are left out of the result.
 */
export interface Sampler {
  readonly name: string;
  sample(ctx: SampleContext): Params;
}
