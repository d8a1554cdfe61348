import { MessageChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { DataRef } from '../data/prepare.js';
import type { BackendName } from '../space/settings.js';
import type { Metrics } from '../core/trial.js';
import type { EpochDecision, TrialResult } from '../train/loop.js';
import type { TrialTask } from './task.js';
import type { MainToWorker, ThreadTaskInput, WorkerToMain } from './thread-entry.js';

/** Trains trials somewhere (worker threads here); the study driver decides what to do with each epoch. */
export interface Trainer {
  train(task: TrialTask, onEpoch: (epoch: number, metrics: Metrics) => Promise<EpochDecision>, signal: AbortSignal): Promise<TrialResult>;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL('./thread-entry.js', import.meta.url));

/**
 * A piscina pool of `workers` threads, one trial per task. The main thread stays the only
 * writer to SQLite: a worker posts each epoch on a MessagePort and waits for the
 * continue/prune answer. A worker that throws or dies (out of memory included) rejects its
 * task; piscina replaces the thread and the pool goes on.
 */
export class ThreadTrainer implements Trainer {
  readonly #pool: Piscina<ThreadTaskInput, TrialResult>;
  readonly #dataRef: DataRef;

  constructor(opts: { workers: number; backend: BackendName; dataRef: DataRef; maxOldGenerationSizeMb?: number }) {
    this.#dataRef = opts.dataRef;
    this.#pool = new Piscina<ThreadTaskInput, TrialResult>({
      filename: ENTRY,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      // Threads keep their initialised backend between trials; an idle thread costs nothing.
      idleTimeout: 24 * 3600 * 1000,
      workerData: { backend: opts.backend },
      resourceLimits: opts.maxOldGenerationSizeMb ? { maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb } : undefined,
    });
    // A dying worker also rejects the task it ran; the pool-level event must not crash the process.
    this.#pool.on('error', () => {});
  }

  async train(task: TrialTask, onEpoch: (epoch: number, metrics: Metrics) => Promise<EpochDecision>, signal: AbortSignal): Promise<TrialResult> {
    const { port1, port2 } = new MessageChannel();
    const stop = (): void => port1.postMessage({ type: 'stop' } satisfies MainToWorker);
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    port1.on('message', (msg: WorkerToMain) => {
      void onEpoch(msg.epoch, msg.metrics).then(
        (decision) => port1.postMessage({ type: 'decision', epoch: msg.epoch, decision } satisfies MainToWorker),
        () => port1.postMessage({ type: 'decision', epoch: msg.epoch, decision: 'prune' } satisfies MainToWorker),
      );
    });
    try {
      return await this.#pool.run({ task, dataRef: this.#dataRef, port: port2 }, { transferList: [port2] });
    } finally {
      signal.removeEventListener('abort', stop);
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
