/**
 * ReduceLROnPlateau and EarlyStopping with Keras semantics (keras 3
 * `callbacks/reduce_lr_on_plateau.py` and `callbacks/early_stopping.py`), driven by our
 * own loop. Epochs are 1-based. Each callback's state is a small JSON-able object so the
 * loop can checkpoint it; EarlyStopping's best weights are tensors the loop checkpoints
 * separately.
 */
import * as tf from '@tensorflow/tfjs';

import type { Metrics } from '../core/trial.js';
import { metricDirection } from '../core/direction.js';

export type Mode = 'min' | 'max';

/** Keras's name for a monitor's direction (`src/core/direction.ts` holds the rule). */
export function metricMode(metric: string): Mode {
  return metricDirection(metric) === 'minimize' ? 'min' : 'max';
}

/** The monitored scalar, or an error naming what is there: a typo must not silently disable a callback. */
export function monitoredValue(logs: Metrics, monitor: string, who: string): number {
  const value = logs[monitor];
  if (typeof value !== 'number') {
    const scalars = Object.keys(logs).filter((k) => typeof logs[k] === 'number');
    throw new Error(`${who}: monitored metric "${monitor}" is not among the epoch metrics (${scalars.join(', ')})`);
  }
  return value;
}

/** JSON has no infinities: ±Infinity is stored as null ("no best yet"). */
type Best = number | null;

// ---------------------------------------------------------------------------------------

export interface ReduceLROnPlateauOptions {
  readonly monitor: string;
  /** New lr = lr · factor. */
  readonly factor: number;
  /** Epochs without improvement before reducing. */
  readonly patience: number;
  readonly minLr: number;
  /** Keras default 1e-4. */
  readonly minDelta?: number;
  /** Epochs to wait after a reduction before counting again (Keras default 0). */
  readonly cooldown?: number;
  readonly mode?: Mode;
}

export interface ReduceLROnPlateauState {
  best: Best;
  wait: number;
  cooldownCounter: number;
}

export class ReduceLROnPlateau {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minLr: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly mode: Mode;
  private best: number;
  private wait = 0;
  private cooldownCounter = 0;

  constructor(opts: ReduceLROnPlateauOptions) {
    if (!(opts.factor > 0 && opts.factor < 1)) throw new Error(`ReduceLROnPlateau factor must be in (0, 1), got ${opts.factor}`);
    if (!(opts.patience >= 0)) throw new Error(`ReduceLROnPlateau patience must be >= 0, got ${opts.patience}`);
    this.monitor = opts.monitor;
    this.factor = opts.factor;
    this.patience = opts.patience;
    this.minLr = opts.minLr;
    this.minDelta = opts.minDelta ?? 1e-4;
    this.cooldown = opts.cooldown ?? 0;
    this.mode = opts.mode ?? metricMode(opts.monitor);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private improved(current: number): boolean {
    return this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
  }

  /** Returns the learning rate for the next epoch. */
  onEpochEnd(logs: Metrics, lr: number): number {
    const current = monitoredValue(logs, this.monitor, 'ReduceLROnPlateau');
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.improved(current)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      // Keras tests `in_cooldown()` again *after* the decrement above, so the last cooldown
      // epoch already counts towards patience.
      this.wait += 1;
      if (this.wait >= this.patience) {
        // Keras compares against float32(min_lr): an lr already at the floor is left alone.
        if (lr > Math.fround(this.minLr)) {
          lr = Math.max(lr * this.factor, this.minLr);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
    return lr;
  }

  getState(): ReduceLROnPlateauState {
    return { best: Number.isFinite(this.best) ? this.best : null, wait: this.wait, cooldownCounter: this.cooldownCounter };
  }

  setState(state: ReduceLROnPlateauState): void {
    this.best = state.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.wait = state.wait;
    this.cooldownCounter = state.cooldownCounter;
  }
}

// ---------------------------------------------------------------------------------------

/** What EarlyStopping needs of a model: its full weight list (trainable and BN statistics). */
export interface WeightOwner {
  getWeights(): tf.Tensor[];
  setWeights(weights: tf.Tensor[]): void;
}

export interface EarlyStoppingOptions {
  readonly monitor: string;
  readonly patience: number;
  /** Keras default 0. */
  readonly minDelta?: number;
  readonly restoreBestWeights?: boolean;
  readonly mode?: Mode;
}

export interface EarlyStoppingState {
  best: Best;
  wait: number;
  bestEpoch: number | null;
  stoppedEpoch: number | null;
}

export class EarlyStopping {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  readonly mode: Mode;
  private best: number;
  private wait = 0;
  private bestEpoch_: number | null = null;
  private stoppedEpoch_: number | null = null;
  /** Snapshots (tensors sharing the variables' old data, no copy) of the best epoch's weights. */
  private bestWeights_: tf.Tensor[] | null = null;

  constructor(opts: EarlyStoppingOptions) {
    if (!(opts.patience >= 0)) throw new Error(`EarlyStopping patience must be >= 0, got ${opts.patience}`);
    this.monitor = opts.monitor;
    this.patience = opts.patience;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.mode = opts.mode ?? metricMode(opts.monitor);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  get bestEpoch(): number | null {
    return this.bestEpoch_;
  }

  get stoppedEpoch(): number | null {
    return this.stoppedEpoch_;
  }

  get stopped(): boolean {
    return this.stoppedEpoch_ !== null;
  }

  get bestWeights(): readonly tf.Tensor[] | null {
    return this.bestWeights_;
  }

  private improved(current: number): boolean {
    return this.mode === 'min' ? current + this.minDelta < this.best : current - this.minDelta > this.best;
  }

  private snapshot(model: WeightOwner): void {
    this.disposeBestWeights();
    this.bestWeights_ = model.getWeights().map((w) => tf.keep(tf.clone(w)));
  }

  /** Returns true when training should stop after this epoch. */
  onEpochEnd(epoch: number, logs: Metrics, model: WeightOwner): boolean {
    const current = monitoredValue(logs, this.monitor, 'EarlyStopping');
    if (this.restoreBestWeights && this.bestWeights_ === null) {
      // Keras: if no epoch ever improves (NaN metrics), the first epoch's weights are "best".
      this.snapshot(model);
      this.bestEpoch_ = epoch;
    }
    this.wait += 1;
    if (this.improved(current)) {
      this.best = current;
      this.bestEpoch_ = epoch;
      if (this.restoreBestWeights) this.snapshot(model);
      this.wait = 0;
      return false;
    }
    if (this.wait >= this.patience && epoch > 1) {
      this.stoppedEpoch_ = epoch;
      return true;
    }
    return false;
  }

  /** At the end of training: put the best weights back (keras 3 does this whether or not it stopped early). */
  restore(model: WeightOwner): boolean {
    if (!this.restoreBestWeights || this.bestWeights_ === null) return false;
    model.setWeights(this.bestWeights_);
    return true;
  }

  getState(): EarlyStoppingState {
    return {
      best: Number.isFinite(this.best) ? this.best : null,
      wait: this.wait,
      bestEpoch: this.bestEpoch_,
      stoppedEpoch: this.stoppedEpoch_,
    };
  }

  /** Restores the counters and (optionally) the best weights; takes ownership of `bestWeights`. */
  setState(state: EarlyStoppingState, bestWeights: tf.Tensor[] | null): void {
    this.best = state.best ?? (this.mode === 'min' ? Infinity : -Infinity);
    this.wait = state.wait;
    this.bestEpoch_ = state.bestEpoch;
    this.stoppedEpoch_ = state.stoppedEpoch;
    this.disposeBestWeights();
    this.bestWeights_ = bestWeights === null ? null : bestWeights.map((t) => tf.keep(t));
  }

  private disposeBestWeights(): void {
    if (this.bestWeights_ !== null) tf.dispose(this.bestWeights_);
    this.bestWeights_ = null;
  }

  dispose(): void {
    this.disposeBestWeights();
  }
}
