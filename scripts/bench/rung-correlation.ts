/**
 * How well a trial's value at an early epoch predicts its final value, on real beats: trains
 * `--configs` configurations of a search space (its enqueued ones first, then random draws)
 * for `--epochs` epochs each without pruning, one after another in this process, and prints
 *
 * 1. the Spearman rank correlation, across configurations, between each pruner signal at
 *    epoch e and the trial's final value (the objective at its best epoch, what the study
 *    stores), for e = 1 .. epochs. Signals: the objective at e, its best value up to e, and
 *    val_loss at e / its best up to e;
 * 2. a replay of ASHA on the recorded curves (the real SuccessiveHalvingPruner, trials in
 *    `--orders` random orders, each trial seeing the earlier ones finished, as with one
 *    worker) for several settings: how often one of the final top three is pruned, and the
 *    share of epochs saved.
 *
 * Data: `--data FILE.h5`, or (default) the three PhysioNet records of test/fixtures/physionet
 * imported into a temporary folder. Split stratified 70/15/15 as the shipped spaces.
 *
 *   nice -n 10 node dist/scripts/bench/rung-correlation.js [--space searchspaces/cnngru.yaml]
 *     [--data FILE.h5] [--configs 12] [--epochs 9] [--orders 200] [--seed 1] > rungs.txt
 *
 * `--curves rungs.txt` analyses the curves a previous run printed instead of training again
 * (the replays are cheap; the training is what takes minutes).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseSpaceFile } from '../../src/config/parse.js';
import type { Params } from '../../src/core/search-space.js';
import { createFrozenTrial, type FrozenTrial, type IntermediateValue, type Metrics } from '../../src/core/trial.js';
import { initBackend } from '../../src/backend/index.js';
import { prepareStudyData } from '../../src/data/prepare.js';
import { importWfdb } from '../../src/data/wfdb/import.js';
import { SuccessiveHalvingPruner } from '../../src/pruners/successive-halving.js';
import { MedianPruner } from '../../src/pruners/median.js';
import type { PruneContext, Pruner } from '../../src/pruners/base.js';
import { RandomSampler, randomStream } from '../../src/samplers/random.js';
import { runTrialTask, type TrialTask } from '../../src/worker/task.js';

const { values } = parseArgs({
  options: {
    space: { type: 'string', default: 'searchspaces/cnngru.yaml' },
    data: { type: 'string' },
    configs: { type: 'string', default: '14' },
    epochs: { type: 'string', default: '8' },
    orders: { type: 'string', default: '200' },
    seed: { type: 'string', default: '1' },
    curves: { type: 'string' },
  },
});
const nConfigs = Number(values.configs);
const epochs = Number(values.epochs);
const nOrders = Number(values.orders);
const seed = Number(values.seed);
const tmp = mkdtempSync(join(tmpdir(), 'hpsearch-rungs-'));

/** Spearman's rho: Pearson's r of the ranks, ties given their mean rank. */
function spearman(x: readonly number[], y: readonly number[]): number {
  const rank = (v: readonly number[]): number[] => {
    const order = v.map((_, i) => i).sort((a, b) => v[a]! - v[b]!);
    const r = new Array<number>(v.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && v[order[j + 1]!] === v[order[i]!]) j++;
      for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(rx);
  const my = mean(ry);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

interface Curve {
  readonly params: Params;
  /** Objective and val_loss per epoch trained (early stopping may end a curve before `epochs`). */
  readonly objective: number[];
  readonly valLoss: number[];
  /** What the study stores: the objective at the best epoch. */
  readonly final: number;
}

type Signal = 'objective' | 'best objective' | 'val_loss' | 'best val_loss';
const SIGNALS: readonly Signal[] = ['objective', 'best objective', 'val_loss', 'best val_loss'];

/** The pruner's view of a curve at each epoch, oriented so that larger is better. */
function signalOf(c: Curve, s: Signal): number[] {
  const base = s.endsWith('val_loss') ? c.valLoss.map((v) => -v) : c.objective;
  if (!s.startsWith('best')) return base;
  const out: number[] = [];
  base.forEach((v, i) => out.push(i === 0 ? v : Math.max(v, out[i - 1]!)));
  return out;
}

/** Value at epoch e (1-based), carrying the last one forward after early stopping. */
const at = (v: readonly number[], e: number): number => v[Math.min(e, v.length) - 1]!;

/** The curves of a previous run's output ("config i (...): final F; metric a b c; val_loss x y z; {params}"). */
function readCurves(file: string): { curves: Curve[]; metric: string } {
  const curves: Curve[] = [];
  let metric = 'recall_macro';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^config \d+ \([^)]*\): final (\S+); (\S+) ([^;]+); val_loss ([^;]+); (.*)$/.exec(line);
    if (!m) continue;
    metric = m[2]!;
    const nums = (t: string) => t.trim().split(/\s+/).map(Number);
    curves.push({ final: Number(m[1]), objective: nums(m[3]!), valLoss: nums(m[4]!), params: JSON.parse(m[5]!) as Params });
  }
  return { curves, metric };
}

async function main(): Promise<void> {
  const started = performance.now();
  if (values.curves !== undefined) {
    const { curves, metric } = readCurves(values.curves);
    analyse(curves, metric, true);
    return;
  }
  const parsed = parseSpaceFile(values.space);
  let source = values.data;
  if (source === undefined) {
    source = join(tmp, 'physionet.h5');
    const fixtures = fileURLToPath(new URL('../../../test/fixtures/physionet', import.meta.url));
    await importWfdb([fixtures], source);
  }
  const settings = { ...parsed.settings, data: { ...parsed.settings.data, source } };
  const maximize = settings.objective.direction === 'maximize';
  const metric = settings.objective.metric;
  const backend = await initBackend(settings.backend);
  const prepared = await prepareStudyData(settings.data, { cacheDir: join(tmp, 'cache') });
  console.log(`data ${source}: train ${prepared.sizes.train}, val ${prepared.sizes.val} (class counts ${prepared.classCounts.val.join('/')}); backend ${backend.name}`);

  const sampler = new RandomSampler({ seed });
  const configs: Params[] = [...settings.enqueue].slice(0, nConfigs);
  for (let n = configs.length; configs.length < nConfigs; n++) configs.push(sampler.sample({ space: settings.params, direction: settings.objective.direction, trials: [], trialNumber: n }));

  const curves: Curve[] = [];
  for (const [i, params] of configs.entries()) {
    const task: TrialTask = {
      trialId: i + 1,
      number: i,
      params,
      seed: seed * 1000 + i,
      checkpointDir: join(tmp, `trial-${i}`),
      settings: { ...settings, budget: { ...settings.budget, epochs } },
    };
    const objective: number[] = [];
    const valLoss: number[] = [];
    const t0 = performance.now();
    const result = await runTrialTask(
      task,
      prepared.ref,
      (_epoch: number, m: Metrics) => {
        objective.push(m[metric] as number);
        valLoss.push(m['val_loss'] as number);
        return 'continue';
      },
      undefined,
      { checkpoint: false },
    );
    const final = result.bestMetrics?.[metric];
    if (result.state !== 'COMPLETE' || typeof final !== 'number') {
      console.log(`config ${i}: ${result.state} ${result.failReason ?? ''}, left out`);
      continue;
    }
    curves.push({ params, objective, valLoss, final });
    const f = (v: number[]) => v.map((x) => x.toFixed(3)).join(' ');
    console.log(`config ${i} (${((performance.now() - t0) / 1000).toFixed(0)} s): final ${final.toFixed(3)}; ${metric} ${f(objective)}; val_loss ${f(valLoss)}; ${JSON.stringify(params)}`);
  }
  analyse(curves, metric, maximize);
  console.log(`\n${((performance.now() - started) / 60000).toFixed(1)} min`);
}

function analyse(curves: readonly Curve[], metric: string, maximize: boolean): void {
  const epochs = Math.max(...curves.map((c) => c.objective.length));
  const finals = curves.map((c) => (maximize ? c.final : -c.final));

  console.log(`\nSpearman rho between the signal at epoch e and the final ${metric} (${curves.length} configurations):`);
  console.log(`${'signal'.padEnd(16)} ${Array.from({ length: epochs }, (_, e) => `e=${e + 1}`.padStart(6)).join('')}`);
  for (const s of SIGNALS) {
    const row = Array.from({ length: epochs }, (_, e) => spearman(curves.map((c) => at(signalOf(c, s), e + 1)), finals).toFixed(2).padStart(6));
    console.log(`${s.padEnd(16)} ${row.join('')}`);
  }

  // ASHA replays. The final top three by the stored value.
  const top3 = new Set(finals.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, 3).map(([, i]) => i));
  const totalEpochs = curves.reduce((a, c) => a + c.objective.length, 0);
  const variants: { name: string; make: () => Pruner }[] = [];
  for (const eta of [3, 2]) {
    for (const r of [1, 2, 3, 4]) variants.push({ name: `asha r=${r} eta=${eta}`, make: () => new SuccessiveHalvingPruner({ minResource: r, reductionFactor: eta }) });
  }
  for (const r of [2, 3]) variants.push({ name: `asha r=${r} eta=3 + patience 1`, make: () => new PatientPruner(new SuccessiveHalvingPruner({ minResource: r, reductionFactor: 3 }), { patience: 1 }) });
  for (const w of [2, 3, 4]) variants.push({ name: `median startup=5 warmup=${w}`, make: () => new MedianPruner({ nStartupTrials: 5, nWarmupSteps: w }) });
  console.log(`\nPruners replayed (${nOrders} random trial orders, one worker, each trial seeing the earlier ones finished): P(a final top-3 configuration is pruned), mean top-3 configurations pruned, share of epochs saved`);
  for (const s of SIGNALS) {
    for (const v of variants) {
      let anyTop = 0;
      let topPruned = 0;
      let epochsRun = 0;
      for (let o = 0; o < nOrders; o++) {
        const order = shuffle(curves.length, o);
        const pruner = v.make();
        const done: FrozenTrial[] = [];
        let prunedTop = 0;
        for (const idx of order) {
          const sig = signalOf(curves[idx]!, s);
          const inter: IntermediateValue[] = [];
          let state: 'COMPLETE' | 'PRUNED' = 'COMPLETE';
          for (let e = 1; e <= sig.length; e++) {
            inter.push({ step: e, value: sig[e - 1]! });
            const trial = createFrozenTrial({ number: done.length, state: 'RUNNING', intermediate: [...inter] });
            epochsRun++;
            if (pruner.prune({ direction: 'maximize', trial, trials: done })) {
              state = 'PRUNED';
              break;
            }
          }
          if (state === 'PRUNED' && top3.has(idx)) prunedTop++;
          done.push(createFrozenTrial({ number: done.length, state, intermediate: inter, value: inter.at(-1)!.value }));
        }
        if (prunedTop > 0) anyTop++;
        topPruned += prunedTop;
      }
      console.log(`${s.padEnd(15)} ${v.name.padEnd(30)} P ${(anyTop / nOrders).toFixed(2)}, top-3 pruned ${(topPruned / nOrders).toFixed(2)}, epochs saved ${(100 * (1 - epochsRun / nOrders / totalEpochs)).toFixed(0)} %`);
    }
  }
}

interface PatientPrunerOptions {
  /** Steps without improvement before the wrapped pruner is asked. */
  readonly patience: number;
  /** Smallest change that counts as an improvement. Default 0. */
  readonly minDelta?: number;
}

/**
 * Optuna's `PatientPruner` (optuna/pruners/_patient.py), for the replays only: the wrapped
 * pruner is asked only once the trial's best value over its last `patience` + 1 reports is
 * no better (by more than `minDelta`) than its best before them. Around our ASHA, which
 * judges a rung only at the report that reaches it (src/pruners/successive-halving.ts), a
 * rung passed while the trial was improving is never judged later (Optuna's ASHA would judge
 * it at the next report it is asked about), so the combination prunes little; measured here,
 * not shipped.
 */
class PatientPruner implements Pruner {
  readonly name: string;

  constructor(
    private readonly wrapped: Pruner,
    private readonly options: PatientPrunerOptions,
  ) {
    if (!(Number.isInteger(options.patience) && options.patience >= 0)) throw new RangeError(`patience is ${options.patience}, but must be an integer >= 0`);
    if (!((options.minDelta ?? 0) >= 0)) throw new RangeError(`min_delta is ${String(options.minDelta)}, but must be >= 0`);
    this.name = `${wrapped.name}+patience`;
  }

  prune(ctx: PruneContext): boolean {
    const values = ctx.trial.intermediate.map((iv) => iv.value);
    const p = this.options.patience;
    if (values.length <= p + 1) return false;
    const before = values.slice(0, -p - 1).filter((v) => !Number.isNaN(v));
    const recent = values.slice(-p - 1).filter((v) => !Number.isNaN(v));
    const delta = this.options.minDelta ?? 0;
    // Optuna's nanmax/nanmin: with only NaN on one side the comparison is false.
    if (before.length === 0 || recent.length === 0) return false;
    const stalled = ctx.direction === 'maximize' ? Math.max(...before) - delta > Math.max(...recent) : Math.min(...before) + delta < Math.min(...recent);
    return stalled && this.wrapped.prune(ctx);
  }
}

/** A seeded Fisher–Yates permutation of 0 .. n-1. */
function shuffle(n: number, o: number): number[] {
  const u = randomStream(seed, 'order', o);
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

try {
  await main();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
