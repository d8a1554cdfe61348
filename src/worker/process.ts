import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../space/settings.js';
import type { Metrics } from '../core/trial.js';
import type { EpochDecision, TrialResult } from '../train/loop.js';
import type { Trainer } from './pool.js';
import type { TrialTask } from './task.js';

const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Messages between the study process and `hpsearch worker` over Node's IPC channel. */
export type ParentToChild =
  | { readonly type: 'start'; readonly task: TrialTask; readonly cacheDir: string; readonly backend: BackendName }
  | { readonly type: 'decision'; readonly epoch: number; readonly decision: EpochDecision }
  | { readonly type: 'stop' };

export type ChildToParent =
  | { readonly type: 'epoch'; readonly epoch: number; readonly metrics: Metrics }
  | { readonly type: 'result'; readonly result: TrialResult }
  | { readonly type: 'error'; readonly message: string };

/**
 * One child process per trial (`hpsearch worker`), for native TensorFlow backends, which
 * break when loaded in more than one thread of a process (tfjs #8388). The child prepares
 * the study's data itself from the shared on-disk cache, trains, and reports epochs over
 * IPC; the study process stays the only writer to the database, as in thread mode.
 */
export class ProcessTrainer implements Trainer {
  readonly #cacheDir: string;
  readonly #backend: BackendName;
  readonly #children = new Set<ReturnType<typeof spawn>>();

  constructor(opts: { cacheDir: string; backend: BackendName }) {
    this.#cacheDir = opts.cacheDir;
    this.#backend = opts.backend;
  }

  train(task: TrialTask, onEpoch: (epoch: number, metrics: Metrics) => Promise<EpochDecision>, signal: AbortSignal): Promise<TrialResult> {
    return new Promise<TrialResult>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'worker'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      this.#children.add(child);
      let stderr = '';
      let settled = false;
      child.stderr?.on('data', (b: Buffer) => {
        stderr = (stderr + b.toString()).slice(-4000);
      });
      const send = (m: ParentToChild): void => {
        if (child.connected) child.send(m);
      };
      const stop = (): void => send({ type: 'stop' });
      signal.addEventListener('abort', stop, { once: true });
      child.on('message', (m: ChildToParent) => {
        if (m.type === 'epoch') {
          void onEpoch(m.epoch, m.metrics).then(
            (decision) => send({ type: 'decision', epoch: m.epoch, decision }),
            () => send({ type: 'decision', epoch: m.epoch, decision: 'prune' }),
          );
        } else if (m.type === 'result') {
          settled = true;
          resolve(m.result);
        } else {
          settled = true;
          reject(new Error(m.message));
        }
      });
      child.on('exit', (code, sig) => {
        this.#children.delete(child);
        signal.removeEventListener('abort', stop);
        if (settled) return;
        const tail = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new Error(`worker process ${sig ? `killed by ${sig}` : `exited with code ${code}`}${tail ? `: ${tail}` : ''}`));
      });
      child.on('error', (err) => {
        // A spawned child that dies early makes the next send fail (EPIPE); its 'exit' follows
        // and says how it died, which is the reason worth recording. Only a child that never
        // started (no pid, no 'exit' to come) is rejected here.
        if (child.pid !== undefined) return;
        if (!settled) reject(err);
        settled = true;
      });
      if (signal.aborted) stop();
      send({ type: 'start', task, cacheDir: this.#cacheDir, backend: this.#backend });
    });
  }

  async close(): Promise<void> {
    for (const c of this.#children) c.kill('SIGKILL');
  }
}
