import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './common.js';
import type { ChildToParent, ParentToChild } from '../worker/process.js';
import type { EpochDecision } from '../train/loop.js';

/**
 * `hpsearch worker`: trains one trial in its own process, driven over the IPC channel of
 * the `hpsearch run` that started it. Not meant to be typed by hand.
 */
export const workerCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'worker',
  describe: false,
  handler: async () => {
    if (!process.send) throw new Error('hpsearch worker runs only as a child of hpsearch run (it needs an IPC channel)');
    // Resolves once the message is handed to the channel, so the final result is not lost to disconnect().
    const send = (m: ChildToParent): Promise<void> =>
      new Promise((resolve) => {
        process.send?.(m, undefined, undefined, () => resolve());
      });
    const start = await new Promise<Extract<ParentToChild, { type: 'start' }>>((resolve) => {
      process.once('message', (m: ParentToChild) => {
        if (m.type === 'start') resolve(m);
      });
    });
    const stop = new AbortController();
    let pending: ((d: EpochDecision) => void) | null = null;
    process.on('message', (m: ParentToChild) => {
      if (m.type === 'stop') {
        stop.abort();
        pending?.('continue');
        pending = null;
      } else if (m.type === 'decision' && pending) {
        const r = pending;
        pending = null;
        r(m.decision);
      }
    });
    // The parent gone means nobody records this trial: stop at once (resume retries it).
    const orphaned = (): never => process.exit(1);
    process.on('disconnect', orphaned);
    try {
      const { initBackend } = await import('../backend/index.js');
      const { prepareStudyData } = await import('../data/prepare.js');
      const { runTrialTask, trainingDataOptions } = await import('../worker/task.js');
      const backend = await initBackend(start.backend);
      const prepared = await prepareStudyData(start.task.settings.data, {
        cacheDir: start.cacheDir,
        smote: trainingDataOptions(start.task).balancing === 'smote',
      });
      const result = await runTrialTask(
        start.task,
        prepared.ref,
        (epoch, metrics) =>
          new Promise<EpochDecision>((resolve) => {
            if (stop.signal.aborted) return resolve('continue');
            pending = resolve;
            void send({ type: 'epoch', epoch, metrics });
          }),
        stop.signal,
      );
      await send({ type: 'result', result: { ...result, backend: backend.name } });
    } catch (err) {
      await send({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
    process.off('disconnect', orphaned);
    process.disconnect?.();
  },
};
