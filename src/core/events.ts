/**
 * The events a running study emits (`src/study/drive.ts`, `src/study/runner.ts`) and the
 * observer that receives them (`src/report/progress.ts` draws them, `--json` prints them one
 * per line). They live at the bottom so the scheduler can emit without importing the
 * report layer that displays them.
 */
import type { Params } from './search-space.js';
import type { Metrics, TrialState } from './trial.js';

/** What a running study tells whoever watches it; one event per line with `--json`. */
export type RunEvent =
  | { readonly event: 'study_start'; readonly study: string; readonly target: number; readonly finished: number; readonly workers: number; readonly backend: string }
  | { readonly event: 'trial_start'; readonly trial: number; readonly params: Params; readonly seed: number; readonly resumed_from_epoch: number }
  | { readonly event: 'epoch'; readonly trial: number; readonly epoch: number; readonly epochs: number; readonly value: number; readonly metrics: Metrics; readonly decision: 'continue' | 'prune' }
  | { readonly event: 'trial_end'; readonly trial: number; readonly state: TrialState; readonly value: number | null; readonly epochs: number; readonly duration_s: number; readonly reason?: string }
  | { readonly event: 'trial_lost'; readonly trial: number; readonly holder: { readonly host: string | null; readonly pid: number | null; readonly retries: number }; readonly message: string }
  | { readonly event: 'interrupt'; readonly message: string }
  | { readonly event: 'study_end'; readonly study: string; readonly counts: Readonly<Record<string, number>>; readonly best: { readonly trial: number; readonly value: number } | null; readonly wall_s: number };

export interface RunObserver {
  emit(e: RunEvent): void;
  close(): void;
}

