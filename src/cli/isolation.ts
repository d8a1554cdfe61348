import type { StudySettings } from '../config/settings.js';
import type { PreparedData } from '../data/prepare.js';
import type { Trainer } from '../worker/trainer.js';
import { nativeBackendInstalled } from '../backend/probe.js';
import { cacheDir } from '../study/paths.js';

/** Where trials train: in a piscina pool of worker threads, or one child process each. */
export type Isolation = 'threads' | 'processes';

/** Native TensorFlow must run one trial per process (tfjs #8388); wasm and cpu share a process. */
export function chooseIsolation(settings: StudySettings): Isolation {
  const b = settings.backend;
  if (b === 'tensorflow' || b === 'tensorflow-gpu') return 'processes';
  if (b === 'auto' && nativeBackendInstalled()) return 'processes';
  return 'threads';
}

/**
 * The trainer of a run: `isolation` (default: by backend). Threads share the data prepared
 * in this process; a worker process prepares them again from the cache beside `dbPath`.
 * Loaded when needed, so that a command refused for bad input does not pay for piscina.
 */
export async function createTrainer(
  settings: StudySettings,
  prepared: PreparedData,
  dbPath: string,
  opts: { readonly isolation?: Isolation; readonly workerHeapMb?: number } = {},
): Promise<Trainer> {
  if ((opts.isolation ?? chooseIsolation(settings)) === 'processes') {
    const { ProcessTrainer } = await import('../worker/process-trainer.js');
    return new ProcessTrainer({ cacheDir: cacheDir(dbPath), backend: settings.backend });
  }
  const { ThreadTrainer } = await import('../worker/thread-trainer.js');
  return new ThreadTrainer({ workers: settings.workers, backend: settings.backend, dataRef: prepared.ref, maxOldGenerationSizeMb: opts.workerHeapMb });
}
