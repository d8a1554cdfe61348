/**
 * The piscina worker: one trial per task. The tfjs backend (and with it h5wasm through the
 * data layer) is initialised once when the thread starts, by the module's top-level await,
 * which piscina waits for before handing the thread its first task.
 */
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'piscina';
import type { DataRef } from '../data/prepare.js';
import type { BackendName } from '../config/settings.js';
import { initBackend, setKernelThreads } from '../backend/index.js';
import { portChannel, serveTrial, type FromWorker, type ToWorker } from './protocol.js';
import type { TrialTask } from './task.js';
import { trainHere } from './train-here.js';

export interface ThreadTaskInput {
  readonly task: TrialTask;
  readonly dataRef: DataRef;
  /** The protocol's channel (protocol.ts): epochs and the result go out on it, decisions and stop come back. */
  readonly port: MessagePort;
}

const backend = await initBackend((workerData as { backend?: BackendName } | undefined)?.backend ?? 'auto');

/**
 * Resolves once the trial's result (or error) is posted on the port; the study side reads
 * it there, not from piscina's return value, and closes the port.
 */
export default async function trainInThread({ task, dataRef, port }: ThreadTaskInput): Promise<void> {
  await serveTrial(portChannel<ToWorker, FromWorker>(port), (onEpoch, signal) => trainHere(task, { backend, data: dataRef, onEpoch, signal }), setKernelThreads);
}
