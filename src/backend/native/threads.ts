/**
 * How many threads this thread's native kernels may use (native/src/parallel.h). A trial's
 * worker sets it whenever the study re-balances its cores (src/worker/kernel-threads.ts); the
 * kernels cut their work into chunks that do not depend on it, so it changes the speed, never
 * a result.
 */
import { loadNativeAddon } from './addon.js';

/**
 * Sets the kernel threads of the calling thread (the caller included, at least 1) and returns
 * the count in effect; 1 when the addon is not built (the other backends are single-threaded
 * or size their own pools).
 */
export function setNativeThreads(threads: number): number {
  const load = loadNativeAddon();
  return load.ok ? load.addon.setThreads(Math.max(1, Math.floor(threads))) : 1;
}
