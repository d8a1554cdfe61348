import { MessageChannel } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { DataRef } from '../data/prepare.js';
import type { BackendName } from '../config/settings.js';
import type { TrialResult } from '../train/result.js';
import { ownPeakMemory, type PeakMemory } from './peak-memory.js';
import type { TrialTask } from './task.js';
import type { EpochHandler, Trainer } from './trainer.js';
import type { ThreadTaskInput } from './thread-entry.js';
import { KernelThreadBudget, kernelCores } from './kernel-threads.js';
import { portChannel, superviseWorker, type FromWorker, type ToWorker } from './protocol.js';

const ENTRY = fileURLToPath(new URL('./thread-entry.js', import.meta.url));

/**
 * A piscina pool of `workers` threads, one trial per task. The main thread stays the only
 * writer to SQLite: a worker posts each epoch on a MessagePort and waits for the
 * continue/prune answer (protocol.ts). A worker that throws or dies (out of memory
 * included) rejects its task; piscina replaces the thread and the pool goes on.
 */
export class ThreadTrainer implements Trainer {
  readonly #pool: Piscina<ThreadTaskInput, void>;
  readonly #dataRef: DataRef;
  readonly #budget: KernelThreadBudget;

  /** `kernelThreads`: the cores the running trials share (default kernelCores()). */
  constructor(opts: { workers: number; backend: BackendName; dataRef: DataRef; maxOldGenerationSizeMb?: number; kernelThreads?: number }) {
    this.#dataRef = opts.dataRef;
    this.#budget = new KernelThreadBudget(opts.kernelThreads ?? kernelCores());
    this.#pool = new Piscina<ThreadTaskInput, void>({
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

  async train(task: TrialTask, onEpoch: EpochHandler, signal: AbortSignal): Promise<TrialResult> {
    const { port1, port2 } = new MessageChannel();
    const worker = superviseWorker(portChannel<FromWorker, ToWorker>(port1), onEpoch, signal);
    // Queued on the port until the worker listens, so the first share is there when it starts.
    const leave = this.#budget.join(worker.setThreads);
    try {
      const ran = this.#pool.run({ task, dataRef: this.#dataRef, port: port2 }, { transferList: [port2] });
      // The result travels on the port, which piscina's own channel may overtake: a task
      // that ended waits for it; a thread that died (its task rejects) ends the trial.
      return await Promise.race([worker.result, ran.then(() => worker.result)]);
    } finally {
      leave();
      worker.dispose();
      port1.close();
    }
  }

  /** Worker threads are part of this process: its maxRSS is theirs too. */
  peakMemory(): PeakMemory {
    return ownPeakMemory();
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
