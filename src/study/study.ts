import { hostName } from '../core/host.js';
import type { Direction, Params, SearchSpace } from '../core/search-space.js';
import type { PrunerSettings, SamplerSettings } from '../config/settings.js';
import type { Sampler } from '../samplers/base.js';
import type { Pruner } from '../pruners/base.js';
import type { Lease, Owner, Storage, StudyRecord } from '../storage/types.js';
import { leaseOf } from '../storage/lease.js';
import { FINISHED_STATES, type FrozenTrial, type Metrics, type TrialState } from '../core/trial.js';
import { isBetter } from '../core/direction.js';
import { contains, distributionsOf } from '../core/distributions.js';
import { createSampler } from '../samplers/index.js';
import { createPruner } from '../pruners/index.js';
import { deriveSeed } from './seeds.js';

/** What a study needs to ask and tell; stored with the study and read back by `loadStudy`. */
export interface StudyConfig {
  readonly direction: Direction;
  readonly metric: string;
  readonly space: SearchSpace;
  readonly sampler: SamplerSettings;
  readonly pruner: PrunerSettings;
  /** Study seed: trial seeds derive from it and the trial number. */
  readonly seed: number;
  /** Parallel trials expected; turns the TPE constant liar on by default when above 1. */
  readonly workers: number;
}

/** A trial handed out by `ask`: its identity, its parameters and a way to report progress. */
export interface AskedTrial {
  readonly id: number;
  readonly number: number;
  readonly params: Params;
  readonly seed: number;
  /** Whether this trial was retried after its process died (params and seed are the stored ones). */
  readonly retries: number;
  /** This process's right to write the trial; every write of the trial goes with it (storage/types.ts). */
  readonly lease: Lease;
  /**
   * Records the objective at `step` (with the epoch's other metrics) and asks the pruner;
   * true means the trial should stop and be told as pruned.
   */
  report(step: number, value: number, metrics?: Metrics): Promise<boolean>;
}

export type TellResult =
  | number
  | { readonly state: 'complete'; readonly value: number; readonly metrics?: Metrics }
  | { readonly state: 'pruned' }
  | { readonly state: 'failed'; readonly reason?: string };

export interface BestTrial {
  readonly number: number;
  readonly value: number;
  readonly params: Params;
}

/** Thrown by an objective to end its trial as PRUNED (Optuna's `TrialPruned`). */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
  }
}

export interface OptimizeOptions {
  /** Trials this call runs (Optuna's n_trials). */
  readonly trials?: number;
  /** Stop once the study holds this many finished trials, whoever ran them. */
  readonly totalTrials?: number;
  /** Objectives run at once in this process. */
  readonly concurrency?: number;
}

export type Objective = (trial: AskedTrial) => Promise<number> | number;


/**
 * The ask/tell core. It holds no I/O of its own: every read and write goes through the
 * `Storage` interface, and sampling and pruning are pure functions of the stored history,
 * so any number of processes may share one study through one database.
 */
export class Study {
  readonly name: string;
  readonly id: number;
  readonly config: StudyConfig;
  readonly sampler: Sampler;
  readonly pruner: Pruner;
  readonly storage: Storage;
  readonly owner: Owner;
  #best: BestTrial | null = null;

  constructor(storage: Storage, record: StudyRecord, config: StudyConfig, owner: Owner = { host: hostName(), pid: process.pid }) {
    this.storage = storage;
    this.name = record.name;
    this.id = record.id;
    this.config = config;
    this.sampler = createSampler(config.sampler, config.workers);
    this.pruner = createPruner(config.pruner);
    this.owner = owner;
  }

  get direction(): Direction {
    return this.config.direction;
  }

  /** The best COMPLETE trial seen by this process (refreshed by ask, tell and `refresh`). */
  get bestTrial(): BestTrial | null {
    return this.#best;
  }

  /** Reloads the best trial from storage (other processes may have finished better ones). */
  async refresh(): Promise<BestTrial | null> {
    const [top] = await this.storage.leaderboard(this.id, { top: 1 });
    this.#best = top && top.value !== null ? { number: top.number, value: top.value, params: top.params } : null;
    return this.#best;
  }

  /** Queues a configuration to be tried before sampled ones (Optuna's `enqueue_trial`). */
  async enqueue(params: Params): Promise<FrozenTrial> {
    const distributions = distributionsOf(this.config.space, params);
    for (const [name, value] of Object.entries(params)) {
      const dist = distributions[name];
      if (!dist) throw new RangeError(`enqueued parameter ${name} is not in the search space`);
      if (!contains(dist, value)) throw new RangeError(`enqueued ${name}=${JSON.stringify(value)} is outside its distribution`);
    }
    return this.storage.createTrial(this.id, { state: 'WAITING', params, distributions });
  }

  /**
   * Starts a trial: an enqueued one first, else a new one whose parameters the sampler
   * draws from every other trial of the study. The trial number is assigned by storage
   * inside the transaction that creates the trial.
   */
  async ask(): Promise<AskedTrial> {
    let trial = await this.storage.claimWaitingTrial(this.id, this.owner);
    if (trial === null) trial = await this.storage.createTrial(this.id, { state: 'RUNNING', owner: this.owner });
    return this.prepare(trial);
  }

  /**
   * Like `ask`, but only while the study holds fewer than `total` trials (every state
   * counted, across all processes sharing the storage); null once the target is reached.
   * The count and the creation are one transaction, so concurrent runs never overshoot.
   */
  async askWithin(total: number): Promise<AskedTrial | null> {
    let trial = await this.storage.claimWaitingTrial(this.id, this.owner);
    if (trial === null) trial = await this.storage.createTrialWithin(this.id, { state: 'RUNNING', owner: this.owner }, total);
    return trial === null ? null : this.prepare(trial);
  }

  /**
   * Completes the parameters and seed of a RUNNING trial (sampling whatever an enqueued
   * or interrupted trial lacks) and wraps it for the objective.
   */
  async prepare(trial: FrozenTrial): Promise<AskedTrial> {
    const lease = leaseOf(trial) ?? { owner: this.owner, retries: trial.retries };
    const missing = this.config.space.some((p) => !(p.name in trial.params));
    let params = trial.params;
    if (missing || Object.keys(trial.params).length === 0) {
      const history = (await this.storage.getTrials(this.id)).filter((t) => t.id !== trial.id);
      const sampled = this.sampler.sample({
        space: this.config.space,
        direction: this.direction,
        trials: history,
        trialNumber: trial.number,
        fixed: trial.params,
      });
      params = { ...sampled, ...trial.params };
      await this.storage.setTrialParams(trial.id, params, distributionsOf(this.config.space, params), lease);
      this.#updateBest(history);
    }
    let seed = trial.seed;
    if (seed === null) {
      seed = deriveSeed(this.config.seed, trial.number);
      await this.storage.setTrialSeed(trial.id, seed, lease);
    }
    return this.#wrap(trial.id, trial.number, params, seed, lease);
  }

  #wrap(id: number, number: number, params: Params, seed: number, lease: Lease): AskedTrial {
    return {
      id,
      number,
      params,
      seed,
      retries: lease.retries,
      lease,
      report: async (step, value, metrics) => {
        await this.storage.reportIntermediate(id, step, value, metrics, lease);
        return this.shouldPrune(id);
      },
    };
  }

  /** Asks the pruner about a trial's latest report. */
  async shouldPrune(trialId: number): Promise<boolean> {
    const trials = await this.storage.getTrials(this.id);
    const trial = trials.find((t) => t.id === trialId);
    if (!trial) throw new Error(`trial id ${trialId} is not in study ${this.name}`);
    return this.pruner.prune({ direction: this.direction, trial, trials: trials.filter((t) => t.id !== trialId) });
  }

  /**
   * Ends a trial: a number is a completed value; pruned trials keep their last intermediate
   * value. With `lease` (the asked trial's), refused with LeaseLostError once another process
   * took the trial over.
   */
  async tell(number: number, result: TellResult, lease?: Lease): Promise<FrozenTrial> {
    const trial = await this.storage.getTrial(this.id, number);
    if (!trial) throw new RangeError(`study ${this.name} has no trial ${number}`);
    let finished: FrozenTrial;
    if (typeof result === 'number' || result.state === 'complete') {
      const value = typeof result === 'number' ? result : result.value;
      const metrics = typeof result === 'number' ? undefined : result.metrics;
      if (!Number.isFinite(value)) {
        finished = await this.storage.finishTrial(trial.id, { state: 'FAIL', failReason: `objective returned ${value}` }, lease);
      } else {
        finished = await this.storage.finishTrial(trial.id, { state: 'COMPLETE', value, metrics }, lease);
      }
    } else if (result.state === 'pruned') {
      const last = trial.intermediate.at(-1);
      finished = await this.storage.finishTrial(trial.id, { state: 'PRUNED', value: last ? last.value : null }, lease);
    } else {
      finished = await this.storage.finishTrial(trial.id, { state: 'FAIL', failReason: result.reason ?? 'failed' }, lease);
    }
    if (finished.state === 'COMPLETE') this.#consider(finished);
    return finished;
  }

  /**
   * Runs `objective` on new trials until `trials` of them finished in this call or the
   * study holds `totalTrials` finished ones. An objective that throws ends its trial as
   * FAIL (or PRUNED for `TrialPruned`) and the study goes on, as in Optuna with `catch`.
   */
  async optimize(objective: Objective, options: OptimizeOptions = {}): Promise<void> {
    const concurrency = Math.max(1, options.concurrency ?? 1);
    let started = 0;
    const more = async (): Promise<boolean> => {
      if (options.trials !== undefined && started >= options.trials) return false;
      if (options.totalTrials !== undefined) {
        const done = await this.storage.countTrials(this.id, FINISHED_STATES);
        const running = await this.storage.countTrials(this.id, ['RUNNING']);
        if (done + running >= options.totalTrials) return false;
      }
      if (options.trials === undefined && options.totalTrials === undefined) return false;
      started += 1;
      return true;
    };
    const lane = async (): Promise<void> => {
      while (await more()) {
        const trial = await this.ask();
        let outcome: TellResult;
        try {
          const value = await objective(trial);
          outcome = value;
        } catch (err) {
          outcome = err instanceof TrialPruned ? { state: 'pruned' } : { state: 'failed', reason: errorReason(err) };
        }
        await this.tell(trial.number, outcome, trial.lease);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    await this.refresh();
  }

  #updateBest(trials: readonly FrozenTrial[]): void {
    for (const t of trials) if (t.state === 'COMPLETE') this.#consider(t);
  }

  #consider(t: FrozenTrial): void {
    if (t.value === null || !Number.isFinite(t.value)) return;
    const better =
      this.#best === null || isBetter(this.direction, t.value, this.#best.value);
    if (better) this.#best = { number: t.number, value: t.value, params: t.params };
  }
}

export function errorReason(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 2000);
  return String(err).slice(0, 2000);
}
