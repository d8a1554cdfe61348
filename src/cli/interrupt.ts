import type { RunObserver } from '../core/events.js';

/** Exit code of a run stopped by SIGINT or SIGTERM (128 + SIGINT), as shells expect. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * SIGINT/SIGTERM for the length of a run. The first one aborts the returned signal: no new
 * trial starts, running ones stop and stay resumable, and the run ends within seconds
 * (whatever has not wound down 9 s later is left RUNNING as the process exits; resume finds
 * it orphaned). A second one exits at once; resume still works, through the orphan path.
 * `dispose` removes the handlers.
 */
export function interruptOnSignals(observer: RunObserver): { readonly signal: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      observer.emit({ event: 'interrupt', message: 'interrupted: no new trial starts; running trials stop and stay resumable (Ctrl-C again to quit at once)' });
      stop.abort();
      setTimeout(() => process.exit(INTERRUPTED_EXIT_CODE), 9000).unref();
    } else {
      process.exit(INTERRUPTED_EXIT_CODE);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
