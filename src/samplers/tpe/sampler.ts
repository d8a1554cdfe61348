import type { Direction, Distribution, ParamSpec, ParamValue, Params } from '../../core/search-space.js';
import { conditionHolds, contains, isSingle, toExternal, toInternal } from '../../core/distributions.js';
import type { FrozenTrial } from '../../core/trial.js';
import type { SampleContext, Sampler } from '../base.js';
import { RandomSampler, randomSeed, randomStream, type Uniform } from '../random.js';
import { defaultWeights, ParzenEstimator, type EstimatorParam, type ParzenEstimatorParameters, type Points } from './parzen-estimator.js';

/** Optuna's `default_gamma`: the good group holds the best 10 % of trials, at most 25. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

export interface TPESamplerOptions {
  /** Seed of the per-trial streams (and of the random startup sampler); random when omitted. */
  readonly seed?: number;
  /** Trials sampled at random until this many trials are finished (COMPLETE or PRUNED). Default 10. */
  readonly nStartupTrials?: number;
  /** Candidates drawn from l(x) per decision. Default 24. */
  readonly nEiCandidates?: number;
  /**
   * Decide jointly the parameters all finished trials share (one Parzen estimator over
   * them) instead of each on its own. Default true, as `sampler.multivariate` in
   * `src/config/defaults.ts` and Optuna 5.0 (docs/algorithms.md, "Choosing the default
   * sampler", has the measurements).
   */
  readonly multivariate?: boolean;
  /** Count RUNNING trials in the bad group so parallel workers spread out. Default false. */
  readonly constantLiar?: boolean;
  /** Size of the good group given the number of finished trials. Default `defaultGamma`. */
  readonly gamma?: (n: number) => number;
  /** Observation weights (oldest first) given their number. Default `defaultWeights`. */
  readonly weights?: (n: number) => readonly number[];
  /** Weight of the prior kernel. Default 1. */
  readonly priorWeight?: number;
  /** Clip bandwidths at range / min(100, n + 2). Default true. */
  readonly considerMagicClip?: boolean;
  /** Count the range ends as neighbours of the outermost kernels. Default false. */
  readonly considerEndpoints?: boolean;
}

/** The two groups TPE models: l(x) is fitted to `below`, g(x) to `above`. */
export interface TrialSplit {
  readonly below: FrozenTrial[];
  readonly above: FrozenTrial[];
}

/**
 * Optuna's `_get_pruned_trial_score`: a pruned trial that went further ranks better, ties
 * broken by its last intermediate value in the study's direction; NaN last values rank
 * last in their step, and a pruned trial that reported nothing ranks after all others.
 */
function prunedScore(trial: FrozenTrial, direction: Direction): [number, number] {
  if (trial.intermediate.length === 0) return [1, 0];
  let last = trial.intermediate[0]!;
  for (const iv of trial.intermediate) if (iv.step >= last.step) last = iv;
  if (Number.isNaN(last.value)) return [-last.step, Infinity];
  return [-last.step, direction === 'minimize' ? last.value : -last.value];
}

/**
 * The good/bad split of TPE (Optuna's `_split_trials`). Among `trials` (COMPLETE, PRUNED
 * and, with the constant liar, RUNNING), the `nBelow` best go below: COMPLETE trials
 * ranked by value first, then PRUNED trials ranked by (furthest step, last value) if the
 * complete ones do not fill the group. RUNNING trials always go above; FAIL trials, and
 * COMPLETE ones without a value, are left out. Both groups come back in trial-number
 * order, which is the order the weights function expects.
 */
export function splitTrials(trials: readonly FrozenTrial[], direction: Direction, nBelow: number): TrialSplit {
  const complete: FrozenTrial[] = [];
  const pruned: FrozenTrial[] = [];
  const running: FrozenTrial[] = [];
  for (const t of trials) {
    if (t.state === 'COMPLETE') {
      if (isFinishedObservation(t)) complete.push(t);
    } else if (t.state === 'PRUNED') pruned.push(t);
    else if (t.state === 'RUNNING') running.push(t);
  }
  const sign = direction === 'minimize' ? 1 : -1;
  // Array.prototype.sort is stable, so ties keep trial order as in Python's sorted().
  complete.sort((a, b) => sign * ((a.value as number) - (b.value as number)));
  const scores = new Map(pruned.map((t) => [t, prunedScore(t, direction)] as const));
  pruned.sort((a, b) => {
    const [sa, va] = scores.get(a)!;
    const [sb, vb] = scores.get(b)!;
    return sa !== sb ? sa - sb : va === vb ? 0 : va < vb ? -1 : 1;
  });
  const nComplete = Math.max(0, Math.min(nBelow, complete.length));
  const nPruned = Math.max(0, Math.min(nBelow - nComplete, pruned.length));
  const below = new Set([...complete.slice(0, nComplete), ...pruned.slice(0, nPruned)]);
  const above = new Set([...complete.slice(nComplete), ...pruned.slice(nPruned), ...running]);
  // Back in trial order: keep the input's order when it is by number (it usually is).
  const ordered = trials.every((t, i) => i === 0 || trials[i - 1]!.number < t.number) ? trials : [...trials].sort((a, b) => a.number - b.number);
  return { below: ordered.filter((t) => below.has(t)), above: ordered.filter((t) => above.has(t)) };
}

/** Whether a trial counts as an observation (Optuna counts COMPLETE and PRUNED; FAIL never). */
function isFinishedObservation(t: FrozenTrial): boolean {
  if (t.state === 'PRUNED') return true;
  return t.state === 'COMPLETE' && t.value !== null && !Number.isNaN(t.value);
}

/**
 * Structural equality of two distributions: whether a stored value was drawn from the
 * parameter as the space defines it now (same as `sameDistribution`, without serialising
 * thousands of objects per call).
 */
function equalDistribution(a: Distribution, b: Distribution): boolean {
  if (a === b) return true;
  if (a.type !== b.type) return false;
  if (a.type === 'categorical' || b.type === 'categorical') {
    if (a.type !== 'categorical' || b.type !== 'categorical') return false;
    return a.choices.length === b.choices.length && a.choices.every((c, i) => c === b.choices[i]);
  }
  return a.low === b.low && a.high === b.high && a.log === b.log && a.step === b.step;
}

/**
 * The internal values of the considered trials, one column per parameter, built once per
 * suggestion (a large history is otherwise re-read for every parameter and both groups).
 * A trial that lacks a parameter, or drew it from another distribution (the space was
 * edited), has NaN there and does not count as an observation of it.
 */
class ObservationTable {
  readonly #trials: readonly FrozenTrial[];
  readonly #row = new Map<FrozenTrial, number>();
  readonly #columns = new Map<string, Float64Array>();

  constructor(trials: readonly FrozenTrial[]) {
    this.#trials = trials;
    trials.forEach((t, i) => this.#row.set(t, i));
  }

  #column(p: EstimatorParam): Float64Array {
    let col = this.#columns.get(p.name);
    if (col !== undefined) return col;
    col = new Float64Array(this.#trials.length).fill(NaN);
    const target = p.distribution;
    const choiceIndex = target.type === 'categorical' ? new Map<ParamValue, number>(target.choices.map((c, i) => [c, i])) : null;
    for (let i = 0; i < this.#trials.length; i++) {
      const t = this.#trials[i]!;
      const v = t.params[p.name];
      if (v === undefined) continue;
      const d = t.distributions[p.name];
      if (d === undefined || !equalDistribution(d, target)) continue;
      // Same as toInternal, without its per-value search of the choices.
      if (choiceIndex !== null) col[i] = choiceIndex.get(v) ?? NaN;
      else if (typeof v === 'number') col[i] = v;
    }
    this.#columns.set(p.name, col);
    return col;
  }

  /** Row numbers of some of the table's trials. */
  rows(trials: readonly FrozenTrial[]): Int32Array {
    return Int32Array.from(trials, (t) => this.#row.get(t)!);
  }

  /** The values of `params` in those of the rows that hold all of them, in the given order. */
  observations(rows: Int32Array, params: readonly EstimatorParam[]): Record<string, number[]> {
    const cols = params.map((p) => this.#column(p));
    const values: number[][] = params.map(() => []);
    if (cols.length === 1) {
      const col = cols[0]!;
      const out = values[0]!;
      for (const i of rows) if (!Number.isNaN(col[i]!)) out.push(col[i]!);
    } else {
      for (const i of rows) {
        let complete = true;
        for (let j = 0; j < cols.length && complete; j++) complete = !Number.isNaN(cols[j]![i]!);
        if (!complete) continue;
        for (let j = 0; j < cols.length; j++) values[j]!.push(cols[j]![i]!);
      }
    }
    const out: Record<string, number[]> = {};
    params.forEach((p, j) => (out[p.name] = values[j]!));
    return out;
  }

  /** Whether the first `n` rows all hold `p` (with the same distribution). */
  heldByFirst(p: EstimatorParam, n: number): boolean {
    const col = this.#column(p);
    for (let i = 0; i < n; i++) if (Number.isNaN(col[i]!)) return false;
    return true;
  }
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), following Optuna's
 * `TPESampler` (optuna/samplers/_tpe/sampler.py) and the defaults analysed by Watanabe
 * 2023 ("Tree-structured Parzen estimator: understanding its algorithm components and
 * their roles for better empirical performance").
 *
 * Until `nStartupTrials` trials are finished (COMPLETE or PRUNED, however they were
 * produced, enqueued ones included) parameters are drawn by `RandomSampler`. After that:
 *
 * 1. Split the history into a good group (the gamma(n) best, n = finished trials: COMPLETE
 *    by value, then PRUNED by furthest step and last value) and a bad group (the rest, plus
 *    RUNNING trials when `constantLiar` is on: they are "lied" to be bad so that parallel
 *    workers do not all propose the same point). FAIL trials are ignored.
 * 2. Fit a Parzen estimator l(x) to the good group and g(x) to the bad group.
 * 3. Draw `nEiCandidates` candidates from l(x) and keep the one maximising
 *    log l(x) - log g(x), which maximises expected improvement under TPE's model.
 *
 * Multivariate mode (the default, as in Optuna 5.0) decides jointly the parameters that
 * every finished trial holds (the intersection search space): one mixture whose kernels
 * are products over those dimensions, each with its own neighbour bandwidth; it then
 * decides the remaining active parameters one by one, as univariate mode decides every
 * parameter: on its own, over the trials that hold it (with the same distribution), so a
 * conditional parameter is modelled from the trials where it was active, with the
 * good/bad split of the whole history. Joint candidates keep the good trials' values
 * together, which is what brings the median regret to or below Optuna 3.1's univariate
 * default in 25 of the 30 cells of scripts/compare/samplers.ts (docs/algorithms.md has
 * the table, and the separable function where it does not help).
 *
 * The random stream of a trial is derived from (seed, trial number), so a sampler holds no
 * state between calls and two processes sharing a study stay reproducible.
 */
export class TPESampler implements Sampler {
  readonly name = 'tpe';
  readonly seed: number;
  readonly nStartupTrials: number;
  readonly nEiCandidates: number;
  readonly multivariate: boolean;
  readonly constantLiar: boolean;
  readonly gamma: (n: number) => number;
  readonly #random: RandomSampler;
  readonly #estimator: ParzenEstimatorParameters;

  constructor(options: TPESamplerOptions = {}) {
    this.seed = options.seed ?? randomSeed();
    this.nStartupTrials = options.nStartupTrials ?? 10;
    this.nEiCandidates = options.nEiCandidates ?? 24;
    this.multivariate = options.multivariate ?? true;
    this.constantLiar = options.constantLiar ?? false;
    this.gamma = options.gamma ?? defaultGamma;
    if (!Number.isInteger(this.nStartupTrials) || this.nStartupTrials < 0) {
      throw new RangeError(`nStartupTrials must be a non-negative integer, got ${this.nStartupTrials}`);
    }
    if (!Number.isInteger(this.nEiCandidates) || this.nEiCandidates < 1) {
      throw new RangeError(`nEiCandidates must be a positive integer, got ${this.nEiCandidates}`);
    }
    const priorWeight = options.priorWeight ?? 1;
    if (!(priorWeight >= 0) || !Number.isFinite(priorWeight)) throw new RangeError(`priorWeight must be >= 0, got ${priorWeight}`);
    this.#estimator = {
      priorWeight,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
      weights: options.weights ?? defaultWeights,
    };
    this.#random = new RandomSampler({ seed: this.seed });
  }

  sample(ctx: SampleContext): Params {
    const history = ctx.trials.filter((t) => t.number !== ctx.trialNumber);
    const finished = history.filter(isFinishedObservation);
    if (finished.length < this.nStartupTrials) return this.#random.sample(ctx);

    // Finished trials first: the table's first rows are then exactly the finished ones.
    const considered = this.constantLiar ? [...finished, ...history.filter((t) => t.state === 'RUNNING')] : finished;
    const nBelow = this.gamma(finished.length);
    if (!Number.isInteger(nBelow) || nBelow < 0) throw new RangeError(`gamma(${finished.length}) must be a non-negative integer, got ${nBelow}`);
    const table = new ObservationTable(considered);
    const split = splitTrials(considered, ctx.direction, nBelow);
    const groups = { below: table.rows(split.below), above: table.rows(split.above) };
    const rng = randomStream(this.seed, 'tpe', ctx.trialNumber);
    const fixed = ctx.fixed ?? {};

    let joint: Params = {};
    if (this.multivariate) {
      const space = intersectionSpace(ctx.space, finished.length, fixed, table);
      if (space.length > 0) joint = this.#decide(space, groups, table, rng, fixed);
    }

    const out: Params = {};
    for (const spec of ctx.space) {
      if (!conditionHolds(spec.when, out)) continue;
      const given = fixed[spec.name] ?? joint[spec.name];
      if (given !== undefined) out[spec.name] = given;
      else if (isSingle(spec.distribution)) out[spec.name] = singleValue(spec.distribution);
      else out[spec.name] = this.#decide([spec], groups, table, rng, {})[spec.name]!;
    }
    return out;
  }

  /**
   * One TPE decision over `space`: fit l and g, draw candidates from l, return the one
   * with the largest log l - log g (the first one on ties). Coordinates given in `fixed`
   * replace the candidates' before scoring, so the free ones are chosen given them.
   */
  #decide(
    space: readonly EstimatorParam[],
    groups: { readonly below: Int32Array; readonly above: Int32Array },
    table: ObservationTable,
    rng: Uniform,
    fixed: Params,
  ): Params {
    const l = new ParzenEstimator(table.observations(groups.below, space), space, this.#estimator);
    const g = new ParzenEstimator(table.observations(groups.above, space), space, this.#estimator);
    const candidates: Points = l.sample(rng, this.nEiCandidates);
    for (const p of space) {
      const v = fixed[p.name];
      if (v !== undefined) candidates[p.name]!.fill(toInternal(p.distribution, v));
    }
    const ll = l.logPdf(candidates);
    const lg = g.logPdf(candidates);
    let best = 0;
    let bestScore = -Infinity;
    for (let i = 0; i < this.nEiCandidates; i++) {
      const score = ll[i]! - lg[i]!;
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    const out: Params = {};
    for (const p of space) out[p.name] = toExternal(p.distribution, candidates[p.name]![best]!);
    return out;
  }
}

/**
 * Optuna's `IntersectionSearchSpace` (pruned trials included): the parameters of the
 * current space that every finished trial (the table's first `nFinished` rows) holds with
 * the current distribution, minus single-valued ones and fixed values the distribution
 * does not contain. Joint kernels need every observation to have every coordinate.
 */
function intersectionSpace(space: readonly ParamSpec[], nFinished: number, fixed: Params, table: ObservationTable): EstimatorParam[] {
  return space
    .filter((spec) => !isSingle(spec.distribution))
    .filter((spec) => fixed[spec.name] === undefined || contains(spec.distribution, fixed[spec.name]!))
    .map((spec) => ({ name: spec.name, distribution: spec.distribution }))
    .filter((p) => table.heldByFirst(p, nFinished));
}

function singleValue(dist: Distribution): ParamValue {
  return dist.type === 'categorical' ? dist.choices[0]! : dist.low;
}
