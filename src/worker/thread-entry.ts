/**
 * The piscina worker: one trial per task. The tfjs backend (and with it h5wasm through the
 * data layer) is initialised once when the thread starts, by the module's top-level await,
 * which piscina waits for before handing the thread its first task.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'piscina';
import type { DataRef } from '../data/prepare.js';
import type { BackendName } from '../space/settings.js';
import type { Metrics } from '../core/trial.js';
import type { EpochDecision, TrialResult } from '../train/loop.js';
import { initBackend } from '../backend/index.js';
import { runTrialTask, type TrialTask } from './task.js';

export interface ThreadTaskInput {
  readonly task: TrialTask;
  readonly dataRef: DataRef;
  /** Epoch reports go out on it; decisions and the stop request come back. */
  readonly port: MessagePort;
}

export type WorkerToMain = { readonly type: 'epoch'; readonly epoch: number; readonly metrics: Metrics };
export type MainToWorker = { readonly type: 'decision'; readonly epoch: number; readonly decision: EpochDecision } | { readonly type: 'stop' };

const backend = await initBackend(((workerData as { backend?: BackendName } | undefined)?.backend ?? 'auto'));

export default async function trainInThread({ task, dataRef, port }: ThreadTaskInput): Promise<TrialResult> {
  const stop = new AbortController();
  let pending: ((d: EpochDecision) => void) | null = null;
  port.on('message', (msg: MainToWorker) => {
    if (msg.type === 'stop') {
      stop.abort();
      pending?.('continue');
      pending = null;
    } else if (pending) {
      const resolve = pending;
      pending = null;
      resolve(msg.decision);
    }
  });
  try {
    const result = await runTrialTask(
      task,
      dataRef,
      (epoch, metrics) =>
        new Promise<EpochDecision>((resolve) => {
          if (stop.signal.aborted) return resolve('continue');
          pending = resolve;
          port.postMessage({ type: 'epoch', epoch, metrics } satisfies WorkerToMain);
        }),
      stop.signal,
    );
    if (result.backend !== backend.name && result.backend !== backend.tfjsBackend) {
      throw new Error(`trial ran on ${result.backend}, expected ${backend.name}`);
    }
    return { ...result, backend: backend.name };
  } finally {
    port.close();
  }
}
