/**
 * The conversation between the study process and a worker that trains one trial, the same
 * for a worker thread (over a MessagePort) and a child process (over Node's IPC channel):
 *
 *     worker → study:  epoch {epoch, metrics}     after each epoch, once its checkpoint is written
 *     study → worker:  decision {epoch, decision} the answer (continue / prune) to that epoch
 *     study → worker:  stop                       interrupt: end the trial at the next step
 *     study → worker:  threads {threads}          the trial's share of the cores for its kernels (kernel-threads.ts), at any time
 *     worker → study:  result {result} | error {name, message}   the trial's end, exactly once,
 *                      with the worker's peak RSS (maxRssBytes; a child process's own, peak-memory.ts)
 *
 * A COMPLETE result carries the trial's best weights (`TrialResult.model`, bytes), so that
 * the study process keeps them in the storage; messages are therefore structured clones
 * (a thread's port, and a child's IPC channel in 'advanced' serialization).
 *
 * The worker waits for each decision before it trains on, so the study process, the only
 * writer to the database, records every epoch and asks the pruner before the next one
 * starts. How a trial reaches its worker differs: a thread gets it as its piscina task, a
 * child process as its first message (ProcessStart).
 */
import type { MessagePort } from 'node:worker_threads';
import type { BackendName } from '../config/settings.js';
import type { Metrics } from '../core/trial.js';
import type { EpochDecision } from '../train/options.js';
import type { TrialResult } from '../train/result.js';
import { processPeakRssBytes } from './peak-memory.js';
import type { TrialTask } from './task.js';
import type { EpochHandler } from './trainer.js';

/** Study process → worker. */
export type ToWorker =
  | { readonly type: 'decision'; readonly epoch: number; readonly decision: EpochDecision }
  | { readonly type: 'stop' }
  | { readonly type: 'threads'; readonly threads: number };

/** Worker → study process. */
export type FromWorker =
  | { readonly type: 'epoch'; readonly epoch: number; readonly metrics: Metrics }
  | { readonly type: 'result'; readonly result: TrialResult; readonly maxRssBytes?: number }
  | { readonly type: 'error'; readonly name: string; readonly message: string; readonly maxRssBytes?: number };

/** The first message to a worker process: its trial, and where the study's data are cached. */
export interface ProcessStart {
  readonly type: 'start';
  readonly task: TrialTask;
  readonly cacheDir: string;
  readonly backend: BackendName;
}

/** One end of a message channel; `onMessage` returns the function that unsubscribes. */
export interface Channel<In, Out> {
  /** Resolves once the message is handed to the channel (a process must not exit before). */
  send(message: Out): Promise<void>;
  onMessage(handler: (message: In) => void): () => void;
}

/** A MessagePort as a channel (a worker thread's); postMessage hands a message over at once. */
export function portChannel<In, Out>(port: MessagePort): Channel<In, Out> {
  return {
    send: async (m) => port.postMessage(m),
    onMessage: (handler) => {
      port.on('message', handler);
      return () => port.off('message', handler);
    },
  };
}

/** An error as it crosses the channel: its class does not survive, its name and message do. */
function errorMessage(err: unknown): Extract<FromWorker, { type: 'error' }> {
  return err instanceof Error ? { type: 'error', name: err.name, message: err.message } : { type: 'error', name: 'Error', message: String(err) };
}

function errorOf(m: Extract<FromWorker, { type: 'error' }>): Error {
  const err = new Error(m.message);
  err.name = m.name;
  return err;
}

/**
 * The study side: answers each epoch with `onEpoch`'s decision (prune when it throws, so
 * that a broken report cannot leave the worker waiting), passes an abort of `signal` on as
 * `stop`, and resolves with the worker's result or rejects with its error. A worker that
 * dies says nothing; its trainer races `result` against the death.
 */
export function superviseWorker(
  channel: Channel<FromWorker, ToWorker>,
  onEpoch: EpochHandler,
  signal: AbortSignal,
): { readonly result: Promise<TrialResult>; setThreads(threads: number): void; dispose(): void } {
  const stop = (): void => void channel.send({ type: 'stop' });
  let unsubscribe = (): void => {};
  const result = new Promise<TrialResult>((resolve, reject) => {
    unsubscribe = channel.onMessage((m) => {
      if (m.type === 'epoch') {
        void onEpoch(m.epoch, m.metrics).then(
          (decision) => channel.send({ type: 'decision', epoch: m.epoch, decision }),
          () => channel.send({ type: 'decision', epoch: m.epoch, decision: 'prune' }),
        );
      } else if (m.type === 'result') {
        resolve(m.result);
      } else {
        reject(errorOf(m));
      }
    });
  });
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  return {
    result,
    setThreads: (threads) => void channel.send({ type: 'threads', threads }),
    dispose: () => {
      signal.removeEventListener('abort', stop);
      unsubscribe();
    },
  };
}

/**
 * The worker side: runs `train` with an epoch handler that reports over the channel and
 * waits for the decision, and an abort signal that `stop` trips (an epoch waiting for its
 * decision then continues, to stop at the next step); passes each `threads` share to
 * `setThreads`; sends the result (with the largest share, `kernelThreads`) or the error.
 */
export async function serveTrial(
  channel: Channel<ToWorker, FromWorker>,
  train: (onEpoch: EpochHandler, signal: AbortSignal) => Promise<TrialResult>,
  setThreads: (threads: number) => void,
): Promise<void> {
  const stop = new AbortController();
  let pending: ((d: EpochDecision) => void) | null = null;
  let kernelThreads = 1;
  const unsubscribe = channel.onMessage((m) => {
    if (m.type === 'threads') {
      kernelThreads = Math.max(kernelThreads, m.threads);
      setThreads(m.threads);
      return;
    }
    const answer = pending;
    if (m.type === 'stop') stop.abort();
    if (answer === null) return;
    pending = null;
    answer(m.type === 'stop' ? 'continue' : m.decision);
  });
  const onEpoch: EpochHandler = (epoch, metrics) =>
    new Promise<EpochDecision>((resolve) => {
      if (stop.signal.aborted) return resolve('continue');
      pending = resolve;
      void channel.send({ type: 'epoch', epoch, metrics });
    });
  try {
    let end: FromWorker;
    try {
      const result = await train(onEpoch, stop.signal);
      end = { type: 'result', result: { ...result, kernelThreads } };
    } catch (err) {
      end = errorMessage(err);
    }
    await channel.send({ ...end, maxRssBytes: processPeakRssBytes() });
  } finally {
    unsubscribe();
  }
}
