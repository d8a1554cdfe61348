import cliProgress from 'cli-progress';
import type { RunEvent, RunObserver } from '../core/events.js';
import { isBetter } from '../core/direction.js';

/** `--json`: one JSON object per line on stdout, nothing else. */
export class JsonLinesObserver implements RunObserver {
  emit(e: RunEvent): void {
    process.stdout.write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`);
  }
  close(): void {}
}

function fmt(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(4);
}

/** Shared bookkeeping of the two human-readable displays. */
abstract class Tally implements RunObserver {
  protected target = 0;
  /** Trials already finished when this run started (a resumed study). */
  protected base = 0;
  protected counts: Record<'COMPLETE' | 'PRUNED' | 'FAIL', number> = { COMPLETE: 0, PRUNED: 0, FAIL: 0 };
  protected best: { trial: number; value: number } | null = null;
  protected running = new Map<number, { epoch: number; epochs: number }>();
  protected direction: 'minimize' | 'maximize';
  protected metric: string;

  constructor(direction: 'minimize' | 'maximize', metric: string) {
    this.direction = direction;
    this.metric = metric;
  }

  emit(e: RunEvent): void {
    switch (e.event) {
      case 'study_start':
        this.target = e.target;
        this.base = e.finished;
        break;
      case 'trial_start':
        this.running.set(e.trial, { epoch: e.resumed_from_epoch, epochs: 0 });
        break;
      case 'epoch':
        this.running.set(e.trial, { epoch: e.epoch + 1, epochs: e.epochs });
        break;
      case 'trial_lost':
        this.running.delete(e.trial);
        break;
      case 'trial_end':
        this.running.delete(e.trial);
        if (e.state === 'COMPLETE' || e.state === 'PRUNED' || e.state === 'FAIL') this.counts[e.state] += 1;
        if (e.state === 'COMPLETE' && e.value !== null && Number.isFinite(e.value)) {
          const better = this.best === null || isBetter(this.direction, e.value, this.best.value);
          if (better) this.best = { trial: e.trial, value: e.value };
        }
        break;
      default:
        break;
    }
    this.show(e);
  }

  protected get done(): number {
    return this.counts.COMPLETE + this.counts.PRUNED + this.counts.FAIL;
  }

  /** Finished trials of the study, this run's and earlier ones. */
  protected get finished(): number {
    return Math.min(this.target, this.base + this.done);
  }

  protected summary(): string {
    const best = this.best ? `best ${this.metric} ${fmt(this.best.value)} (trial ${this.best.trial})` : 'no completed trial yet';
    return `${this.counts.COMPLETE} complete, ${this.counts.PRUNED} pruned, ${this.counts.FAIL} failed, ${this.running.size} running; ${best}`;
  }

  protected abstract show(e: RunEvent): void;
  abstract close(): void;
}

/** Plain log lines for logs and pipes (stdout is not a TTY). */
export class PlainLogObserver extends Tally {
  protected show(e: RunEvent): void {
    const line = (s: string): void => {
      process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
    };
    switch (e.event) {
      case 'study_start':
        line(`study ${e.study}: ${e.finished}/${e.target} trials finished, ${e.workers} workers on ${e.backend}`);
        break;
      case 'trial_start':
        line(`trial ${e.trial} started${e.resumed_from_epoch > 0 ? ` (resumed after epoch ${e.resumed_from_epoch})` : ''}: ${JSON.stringify(e.params)}`);
        break;
      case 'epoch':
        line(`trial ${e.trial} epoch ${e.epoch + 1}/${e.epochs}: ${this.metric} ${fmt(e.value)}${e.decision === 'prune' ? ' -> pruned' : ''}`);
        break;
      case 'trial_end':
        line(`trial ${e.trial} ${e.state}${e.value !== null ? ` ${this.metric} ${fmt(e.value)}` : ''} after ${e.epochs} epochs, ${e.duration_s.toFixed(1)} s${e.reason ? `: ${e.reason}` : ''} | ${this.finished}/${this.target} done; ${this.summary()}`);
        break;
      case 'trial_lost':
      case 'interrupt':
        line(e.message);
        break;
      case 'study_end':
        line(`study ${e.study} finished in ${e.wall_s.toFixed(1)} s: ${this.summary()}`);
        break;
    }
  }
  close(): void {}
}

/**
 * The live display on a terminal: one bar for the study (done / target with ETA, counts and
 * the best value) and one per running trial (epoch / epochs), drawn by cli-progress.
 */
export class TerminalProgressObserver extends Tally {
  #multibar = new cliProgress.MultiBar(
    { clearOnComplete: false, hideCursor: true, format: '{label} |{bar}| {value}/{total} {info}', etaBuffer: 20, barsize: 24 },
    cliProgress.Presets.shades_classic,
  );
  #study: cliProgress.SingleBar | null = null;
  #trials = new Map<number, cliProgress.SingleBar>();
  #started = Date.now();

  protected show(e: RunEvent): void {
    switch (e.event) {
      case 'study_start':
        this.#started = Date.now();
        this.#study = this.#multibar.create(e.target, e.finished, { label: 'trials  ', info: '' });
        break;
      case 'trial_start': {
        const bar = this.#multibar.create(1, 0, { label: `trial ${String(e.trial).padEnd(3)}`, info: 'starting' });
        this.#trials.set(e.trial, bar);
        break;
      }
      case 'epoch': {
        const bar = this.#trials.get(e.trial);
        if (bar) {
          bar.setTotal(e.epochs);
          bar.update(e.epoch + 1, { info: `${this.metric} ${fmt(e.value)}${e.decision === 'prune' ? ' pruned' : ''}` });
        }
        break;
      }
      case 'trial_end': {
        const bar = this.#trials.get(e.trial);
        if (bar) {
          this.#multibar.remove(bar);
          this.#trials.delete(e.trial);
        }
        if (e.reason) this.#multibar.log(`trial ${e.trial} ${e.state}: ${e.reason}\n`);
        break;
      }
      case 'trial_lost': {
        const bar = this.#trials.get(e.trial);
        if (bar) {
          this.#multibar.remove(bar);
          this.#trials.delete(e.trial);
        }
        this.#multibar.log(`${e.message}\n`);
        break;
      }
      case 'interrupt':
        this.#multibar.log(`${e.message}\n`);
        break;
      case 'study_end':
        break;
    }
    if (this.#study) {
      this.#study.update(this.finished, { info: `${this.eta()} | ${this.summary()}` });
    }
  }

  private eta(): string {
    const done = this.done;
    const remaining = this.target - this.finished;
    if (done === 0 || remaining <= 0) return 'ETA -';
    const perTrial = (Date.now() - this.#started) / 1000 / done;
    const s = Math.round(perTrial * remaining);
    return `ETA ${s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`}`;
  }

  close(): void {
    this.#multibar.stop();
  }
}

export function createObserver(opts: { json: boolean; direction: 'minimize' | 'maximize'; metric: string }): RunObserver {
  if (opts.json) return new JsonLinesObserver();
  if (process.stdout.isTTY) return new TerminalProgressObserver(opts.direction, opts.metric);
  return new PlainLogObserver(opts.direction, opts.metric);
}
