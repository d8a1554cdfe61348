import type { BackendName } from '../config/settings.js';
import type { DataRef } from '../data/prepare.js';
import { prepareStudyData } from '../data/prepare.js';
import type { BackendInfo } from '../backend/index.js';
import { initBackend, releaseBackendMemory, setKernelThreads } from '../backend/index.js';
import type { EpochDecision } from '../train/options.js';
import type { Metrics } from '../core/trial.js';
import type { TrialResult } from '../train/result.js';
import { runTrialTask, trainingDataOptions, type TrialTask } from './task.js';

export interface TrainHereOptions {
  /**
   * The backend to train on: a name is initialised here; a worker thread passes the one it
   * initialised when it started (once per thread, not per trial).
   */
  readonly backend: BackendName | BackendInfo;
  /**
   * The study's data: prepared already (the thread pool shares the main thread's), or
   * prepared here from the on-disk cache of the study's database (a worker process, rerun).
   */
  readonly data: DataRef | { readonly cacheDir: string };
  readonly onEpoch: (epoch: number, metrics: Metrics) => EpochDecision | Promise<EpochDecision>;
  readonly signal?: AbortSignal;
  /** false: neither resume from nor write the trial's checkpoint (rerun). Default true. */
  readonly checkpoint?: boolean;
  /**
   * Threads for this thread's kernels (a rerun alone in its process: kernelCores()); a
   * worker's come over the protocol instead (kernel-threads.ts). Speed only.
   */
  readonly kernelThreads?: number;
}

/**
 * Trains one trial in this thread: backend, then data, then the training itself. The one
 * set-up path of a worker thread, a worker process and `hpsearch rerun`, so that a rerun
 * trains exactly as the study did. The result names the backend as trials record it
 * (`tensorflow-gpu`, not tfjs' `tensorflow`).
 */
export async function trainHere(task: TrialTask, opts: TrainHereOptions): Promise<TrialResult> {
  const backend = typeof opts.backend === 'string' ? await initBackend(opts.backend) : opts.backend;
  if (opts.kernelThreads !== undefined) setKernelThreads(opts.kernelThreads);
  const ref =
    'cacheDir' in opts.data
      ? (await prepareStudyData(task.settings.data, { cacheDir: opts.data.cacheDir, smote: trainingDataOptions(task).balancing === 'smote' })).ref
      : opts.data;
  let result: TrialResult;
  try {
    result = await runTrialTask(task, ref, opts.onEpoch, opts.signal, { checkpoint: opts.checkpoint });
  } finally {
    // A worker thread lives on between trials: it keeps no trial's kernel buffers while idle.
    releaseBackendMemory();
  }
  if (result.backend !== backend.name && result.backend !== backend.tfjsBackend) {
    throw new Error(`trial ran on ${result.backend}, expected ${backend.name}`);
  }
  return { ...result, backend: backend.name };
}
