import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../config/settings.js';
import type { TrialResult } from '../train/result.js';
import { processPeakRssBytes, type PeakMemory } from './peak-memory.js';
import type { TrialTask } from './task.js';
import type { EpochHandler, Trainer } from './trainer.js';
import { KernelThreadBudget, kernelCores } from './kernel-threads.js';
import { superviseWorker, type Channel, type FromWorker, type ProcessStart, type ToWorker } from './protocol.js';

const ENTRY = fileURLToPath(new URL('./process-entry.js', import.meta.url));

/** The study's end of a worker process's IPC channel; messages to a child that has gone are dropped. */
function childChannel(child: ChildProcess): Channel<FromWorker, ToWorker | ProcessStart> {
  return {
    send: (m) =>
      new Promise<void>((resolve) => {
        if (!child.connected) return resolve();
        child.send(m, () => resolve());
      }),
    onMessage: (handler) => {
      child.on('message', handler);
      return () => child.off('message', handler);
    },
  };
}

/**
 * One child process per trial (worker/process-entry.ts), for native TensorFlow backends,
 * which break when loaded in more than one thread of a process (tfjs #8388). The child
 * prepares the study's data itself from the shared on-disk cache, trains, and reports
 * epochs over IPC (protocol.ts); the study process stays the only writer to the database,
 * as in thread mode.
 */
export class ProcessTrainer implements Trainer {
  readonly #cacheDir: string;
  readonly #backend: BackendName;
  readonly #children = new Set<ChildProcess>();
  readonly #budget: KernelThreadBudget;
  /** Each finished child's peak RSS, and the most trials training at once. */
  readonly #childPeaks: number[] = [];
  #training = 0;
  #concurrent = 0;

  /** `kernelThreads`: the cores the running trials share (default kernelCores()). */
  constructor(opts: { cacheDir: string; backend: BackendName; kernelThreads?: number }) {
    this.#cacheDir = opts.cacheDir;
    this.#backend = opts.backend;
    this.#budget = new KernelThreadBudget(opts.kernelThreads ?? kernelCores());
  }

  async train(task: TrialTask, onEpoch: EpochHandler, signal: AbortSignal): Promise<TrialResult> {
    // The argument names the process's role in `ps` (and for the tests that look for worker
    // processes); the node flags of this process are not passed on.
    // 'advanced' (structured clone): the result carries the trial's weights as bytes, which
    // the default JSON channel would turn into an object of numbers.
    const child = fork(ENTRY, ['worker'], { execArgv: [], stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    this.#children.add(child);
    this.#training++;
    this.#concurrent = Math.max(this.#concurrent, this.#training);
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000);
    });
    const channel = childChannel(child);
    // Subscribed before the protocol's side, so the peak is recorded before the trial resolves.
    const stopWatching = channel.onMessage((m) => {
      if ((m.type === 'result' || m.type === 'error') && typeof m.maxRssBytes === 'number') this.#childPeaks.push(m.maxRssBytes);
    });
    void channel.send({ type: 'start', task, cacheDir: this.#cacheDir, backend: this.#backend });
    const worker = superviseWorker(channel, onEpoch, signal);
    // After the start message (the child keeps messages that come before it listens).
    const leave = this.#budget.join(worker.setThreads);
    const died = new Promise<never>((_, reject) => {
      child.on('exit', (code, sig) => {
        this.#children.delete(child);
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`worker process ${sig ? `killed by ${sig}` : `exited with code ${code}`}${tail ? `: ${tail}` : ''}`));
      });
      child.on('error', (err) => {
        // A child that dies early makes the next send fail (EPIPE); its 'exit' follows and
        // says how it died, which is the reason worth recording. Only a child that never
        // started (no pid, no 'exit' to come) is rejected here.
        if (child.pid === undefined) reject(err);
      });
    });
    try {
      return await Promise.race([worker.result, died]);
    } finally {
      leave();
      worker.dispose();
      stopWatching();
      this.#training--;
    }
  }

  peakMemory(): PeakMemory {
    return { processBytes: processPeakRssBytes(), workerProcessBytes: [...this.#childPeaks], concurrent: this.#concurrent };
  }

  async close(): Promise<void> {
    for (const c of this.#children) c.kill('SIGKILL');
  }
}
