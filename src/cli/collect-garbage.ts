/**
 * One full garbage collection of the main thread, now.
 *
 * Preparing a study's data leaves its temporaries behind as garbage — the labels, groups and
 * split as read and computed, the per-stratum permutations of a stratified split, before their
 * shared copies: 4 bytes per beat each, ~90 MB of array buffers at the 11.5 M beats of an 8 GiB
 * file. V8 frees old-generation garbage only when something allocates enough, and through the
 * study the main thread allocates next to nothing (it waits on workers and writes to SQLite),
 * so that garbage would stay resident for the study's whole length: the data layer's whole
 * growth with the file (docs/performance.md, "Lazy data by the batch"). Node has no public
 * call for it; `gc` is what `--expose-gc` provides, taken from a fresh context after turning
 * the flag on (measured: 270 → 183 MB of array buffers, RSS 488 → 426 MB at 8 GiB).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      try {
        setFlagsFromString('--expose-gc');
        const gc: unknown = runInNewContext('gc');
        collect = typeof gc === 'function' ? (gc as () => void) : null;
      } catch {
        collect = null;
      }
    }
  }
  collect?.();
}
