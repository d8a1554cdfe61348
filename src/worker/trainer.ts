import type { Metrics } from '../core/trial.js';
import type { EpochDecision } from '../train/options.js';
import type { TrialResult } from '../train/result.js';
import type { PeakMemory } from './peak-memory.js';
import type { TrialTask } from './task.js';

/** Told each epoch's metrics as the trial trains; its answer continues or prunes the trial. */
export type EpochHandler = (epoch: number, metrics: Metrics) => Promise<EpochDecision>;

/**
 * Trains trials somewhere (worker threads: ThreadTrainer, one process each: ProcessTrainer);
 * the study driver decides what to do with each epoch. Aborting `signal` asks the trial to
 * stop: it then resolves as INTERRUPTED, resumable from its last epoch checkpoint.
 */
export interface Trainer {
  train(task: TrialTask, onEpoch: EpochHandler, signal: AbortSignal): Promise<TrialResult>;
  /** The most memory training has taken so far (absent: only this process's own peak is known). */
  peakMemory?(): PeakMemory;
  /** Ends every worker, a trial still training included. */
  close(): Promise<void>;
}
