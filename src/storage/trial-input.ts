import { toInternal } from '../core/distributions.js';
import type { Distribution, Params } from '../core/search-space.js';
import { isFinished } from '../core/trial.js';
import { encodeDistribution } from './codec.js';
import type { FinishTrial, NewTrial, Owner } from './types.js';

/**
 * Checks of what a caller writes to a trial, the same for every backend. They run before
 * the backend opens its transaction: a bad value fails without touching the database.
 */

/** A param as stored: the internal value (a categorical's index) and its distribution's JSON. */
export interface InternalParam {
  readonly name: string;
  readonly internal: number;
  readonly distribution: string;
}

/** Validates a new trial and converts its params. */
export function checkNewTrial(trial: NewTrial): InternalParam[] {
  if (trial.state !== 'RUNNING' && trial.state !== 'WAITING') {
    throw new TypeError(`a new trial is RUNNING or WAITING, not ${String(trial.state)}`);
  }
  return internalParams(trial.params ?? {}, trial.distributions ?? {});
}

/** Converts params to their internal representation; each one needs its distribution. */
export function internalParams(params: Params, distributions: Readonly<Record<string, Distribution>>): InternalParam[] {
  return Object.entries(params).map(([name, value]): InternalParam => {
    const dist = distributions[name];
    if (dist === undefined) throw new TypeError(`param "${name}" has no distribution`);
    return { name, internal: toInternal(dist, value), distribution: encodeDistribution(dist) };
  });
}

/** Validates the outcome of finishTrial; returns the value given (null when none). */
export function checkFinish(finish: FinishTrial): number | null {
  const given = finish.value ?? null;
  if (finish.state === 'COMPLETE' && given === null) throw new TypeError('a COMPLETE trial needs a value');
  if (finish.state === 'FAIL' && given !== null) throw new TypeError('a FAIL trial has no value');
  if (!isFinished(finish.state)) throw new TypeError(`cannot finish a trial as ${String(finish.state)}`);
  return given;
}

/** An intermediate value's step is an integer >= 0. */
export function checkStep(step: number): void {
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`step must be an integer >= 0, got ${step}`);
}

/** The columns of a new `trials` row besides its study and number, the same for every backend. */
export interface NewTrialColumns {
  readonly state: NewTrial['state'];
  readonly seed: number | null;
  /** A RUNNING trial starts its clock and heartbeat now; a WAITING one has neither. */
  readonly startedAt: Date | null;
  readonly heartbeatAt: Date | null;
  readonly host: string | null;
  readonly pid: number | null;
}

/** A RUNNING trial without an explicit owner belongs to the creating process (`self`). */
export function newTrialColumns(trial: NewTrial, self: Owner, now: Date = new Date()): NewTrialColumns {
  const running = trial.state === 'RUNNING';
  const owner = trial.owner ?? (running ? self : null);
  return {
    state: trial.state,
    seed: trial.seed ?? null,
    startedAt: running ? now : null,
    heartbeatAt: running ? now : null,
    host: owner?.host ?? null,
    pid: owner?.pid ?? null,
  };
}
