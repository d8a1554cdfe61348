/**
 * A worker process: trains one trial, driven over the IPC channel of the study process that
 * forked it (ProcessTrainer). The first message is the trial (ProcessStart); the rest is
 * the protocol of protocol.ts, as in a worker thread.
 */
import type { Channel, FromWorker, ProcessStart, ToWorker } from './protocol.js';
import { serveTrial } from './protocol.js';
import { trainHere } from './train-here.js';
import { setKernelThreads } from '../backend/index.js';

/**
 * This process's end of the IPC channel, split into the start message and the protocol
 * after it. Messages that come before the protocol side listens (a stop right after the
 * start) are kept for it.
 */
function parentChannel(): { readonly start: Promise<ProcessStart>; readonly channel: Channel<ToWorker, FromWorker> } {
  let handler: ((m: ToWorker) => void) | null = null;
  const early: ToWorker[] = [];
  let started: (s: ProcessStart) => void = () => {};
  const start = new Promise<ProcessStart>((resolve) => {
    started = resolve;
  });
  process.on('message', (m: ToWorker | ProcessStart) => {
    if (m.type === 'start') started(m);
    else if (handler !== null) handler(m);
    else early.push(m);
  });
  const channel: Channel<ToWorker, FromWorker> = {
    // Resolves once the message is handed to the channel, so the final result is not lost to disconnect().
    send: (m) =>
      new Promise<void>((resolve) => {
        if (!process.connected) return resolve();
        process.send?.(m, undefined, undefined, () => resolve());
      }),
    onMessage: (h) => {
      handler = h;
      for (const m of early.splice(0)) h(m);
      return () => {
        handler = null;
      };
    },
  };
  return { start, channel };
}

if (!process.send) {
  process.stderr.write('worker/process-entry.js runs only as a child of a study process (it needs an IPC channel)\n');
  process.exit(2);
}
// The parent gone means nobody records this trial: stop at once (resume retries it).
const orphaned = (): never => process.exit(1);
process.on('disconnect', orphaned);
const { start, channel } = parentChannel();
const { task, cacheDir, backend } = await start;
await serveTrial(channel, (onEpoch, signal) => trainHere(task, { backend, data: { cacheDir }, onEpoch, signal }), setKernelThreads);
process.off('disconnect', orphaned);
process.disconnect();
