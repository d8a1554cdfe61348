/**
 * Regret of the GP sampler against our TPE, random search and Optuna's TPESampler(seed=s)
 * (python3-optuna, driven through scripts/bench/gp-optuna-tpe.py) on four functions:
 * Branin (2-d), Hartmann-6 (6-d), a log-scaled quadratic (3 log floats) and a mixed
 * function (a float, an int, a log int and a categorical that moves the float's optimum).
 * Each is minimised by ask/tell for `trials` trials per seed; the regret after t trials is
 * the best value so far minus the known minimum. The table gives the median over seeds
 * (and the 25th-75th percentiles) at 40 and at `trials` trials. The ask time of the GP is
 * measured afterwards, over a history of 200 COMPLETE trials of Hartmann-6 and of the
 * mixed function.
 *
 *   node dist/scripts/bench/gp-regret.js [--trials 80] [--seeds 10] [--no-optuna] [--json]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { RandomSampler } from '../../src/samplers/random.js';
import { TPESampler } from '../../src/samplers/tpe/sampler.js';
import { GPSampler } from '../../src/samplers/gp/sampler.js';
import type { Sampler } from '../../src/samplers/base.js';
import { distributionsOf } from '../../src/core/distributions.js';
import type { Params, SearchSpace } from '../../src/core/search-space.js';
import { createFrozenTrial, type FrozenTrial } from '../../src/core/trial.js';

interface TestFunction {
  readonly name: string;
  readonly space: SearchSpace;
  /** Value minus the known minimum: the regret of one evaluation. */
  readonly f: (p: Params) => number;
}

const uniform = (name: string, low: number, high: number, log = false): SearchSpace[number] => ({ name, distribution: { type: 'float', low, high, log, step: null } });

const HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const HARTMANN_P = [
  [1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381],
].map((r) => r.map((v) => v * 1e-4));
const HARTMANN_ALPHA = [1, 1.2, 3, 3.2];
const MIX_SHIFT: Record<string, number> = { a: -1, b: 1, c: 0, d: 2 };
const MIX_COST: Record<string, number> = { a: 0.3, b: 0, c: 0.6, d: 1 };

const FUNCTIONS: readonly TestFunction[] = [
  {
    name: 'branin-2d',
    space: [uniform('x', -5, 10), uniform('y', 0, 15)],
    f: (p) => {
      const x = p.x as number;
      const y = p.y as number;
      return (y - (5.1 / (4 * Math.PI ** 2)) * x * x + (5 / Math.PI) * x - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x) + 10 - 0.397887357729738;
    },
  },
  {
    name: 'hartmann-6d',
    space: Array.from({ length: 6 }, (_, i) => uniform(`x${i}`, 0, 1)),
    f: (p) => {
      let s = 0;
      for (let i = 0; i < 4; i++) {
        let e = 0;
        for (let j = 0; j < 6; j++) e += HARTMANN_A[i]![j]! * ((p[`x${j}`] as number) - HARTMANN_P[i]![j]!) ** 2;
        s += HARTMANN_ALPHA[i]! * Math.exp(-e);
      }
      return -s + 3.32236801141551;
    },
  },
  {
    name: 'log-3d',
    space: [uniform('lr', 1e-5, 1, true), uniform('wd', 1e-6, 1e-1, true), uniform('c', 1, 1000, true)],
    f: (p) => {
      const a = Math.log10(p.lr as number) + 2.5;
      const b = Math.log10(p.wd as number) + 4;
      const c = Math.log10(p.c as number) - 2;
      return a * a + 0.5 * b * b + 0.3 * a * b + 0.2 * c * c;
    },
  },
  {
    name: 'mixed-4d',
    space: [
      uniform('x', -3, 3),
      { name: 'n', distribution: { type: 'int', low: 1, high: 20, log: false, step: 1 } },
      { name: 'k', distribution: { type: 'int', low: 1, high: 1024, log: true, step: 1 } },
      { name: 'cat', distribution: { type: 'categorical', choices: ['a', 'b', 'c', 'd'] } },
    ],
    f: (p) => {
      const cat = p.cat as string;
      return ((p.x as number) - MIX_SHIFT[cat]!) ** 2 + 0.1 * ((p.n as number) - 7) ** 2 + 0.05 * (Math.log2(p.k as number) - 6) ** 2 + MIX_COST[cat]!;
    },
  },
];

/** Best-so-far regret after each trial of one ask/tell run of an in-process sampler. */
function runOurs(sampler: Sampler, fn: TestFunction, trials: number): number[] {
  const history: FrozenTrial[] = [];
  const curve: number[] = [];
  let best = Infinity;
  for (let i = 0; i < trials; i++) {
    const params = sampler.sample({ space: fn.space, direction: 'minimize', trials: history, trialNumber: i });
    const value = fn.f(params);
    best = Math.min(best, value);
    curve.push(best);
    history.push(createFrozenTrial({ number: i, state: 'COMPLETE', params, distributions: distributionsOf(fn.space, params), value }));
  }
  return curve;
}

/** The same with Optuna's TPE in a child process; null when python3/optuna is missing. */
async function runOptuna(fn: TestFunction, seed: number, trials: number): Promise<number[] | null> {
  const script = fileURLToPath(new URL('../../../scripts/bench/gp-optuna-tpe.py', import.meta.url));
  const child = spawn('/usr/bin/python3', [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const failed = new Promise<null>((resolve) => child.on('error', () => resolve(null)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  child.stdin.write(JSON.stringify({ space: fn.space, seed, trials }) + '\n');
  const curve: number[] = [];
  let best = Infinity;
  const run = async (): Promise<number[] | null> => {
    for (;;) {
      const next = await lines.next();
      if (next.done) return null;
      const msg = JSON.parse(next.value) as { params?: Params; done?: boolean };
      if (msg.done) return curve;
      const value = fn.f(msg.params!);
      best = Math.min(best, value);
      curve.push(best);
      child.stdin.write(JSON.stringify({ value }) + '\n');
    }
  };
  const result = await Promise.race([run(), failed]);
  child.stdin.end();
  child.kill();
  return result;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 0.01 && Math.abs(v) < 1000 ? v.toFixed(3) : v.toExponential(1));

/** Median and 95th percentile of the GP's ask time (ms) over a history of `n` random COMPLETE trials. */
function askTime(fn: TestFunction, n: number, repeat: number): { median: number; p95: number } {
  const random = new RandomSampler({ seed: 99 });
  const history: FrozenTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = random.sample({ space: fn.space, direction: 'minimize', trials: [], trialNumber: i });
    history.push(createFrozenTrial({ number: i, state: 'COMPLETE', params, distributions: distributionsOf(fn.space, params), value: fn.f(params) }));
  }
  const gp = new GPSampler({ seed: 1 });
  const times: number[] = [];
  for (let r = 0; r < repeat + 1; r++) {
    const t0 = performance.now();
    gp.sample({ space: fn.space, direction: 'minimize', trials: history, trialNumber: n + r });
    if (r > 0) times.push(performance.now() - t0);
  }
  return { median: quantile(times, 0.5), p95: quantile(times, 0.95) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '80' }, seeds: { type: 'string', default: '10' }, 'no-optuna': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  const trials = Number(values.trials);
  const seeds = Number(values.seeds);
  const budgets = [...new Set([Math.min(40, trials), trials])];
  const columns: { name: string; run: (fn: TestFunction, seed: number) => Promise<number[] | null> }[] = [
    { name: 'gp', run: async (fn, s) => runOurs(new GPSampler({ seed: s }), fn, trials) },
    { name: 'tpe', run: async (fn, s) => runOurs(new TPESampler({ seed: s }), fn, trials) },
    { name: 'random', run: async (fn, s) => runOurs(new RandomSampler({ seed: s }), fn, trials) },
  ];
  if (!values['no-optuna']) columns.push({ name: 'optuna-tpe', run: (fn, s) => runOptuna(fn, s, trials) });

  const results: Record<string, Record<string, Record<number, number[]>>> = {};
  for (const fn of FUNCTIONS) {
    results[fn.name] = {};
    for (const col of columns) {
      const byBudget: Record<number, number[]> = {};
      for (const b of budgets) byBudget[b] = [];
      for (let s = 0; s < seeds; s++) {
        const curve = await col.run(fn, s);
        if (curve === null) break;
        for (const b of budgets) byBudget[b]!.push(curve[b - 1]!);
      }
      if (byBudget[budgets[0]!]!.length > 0) results[fn.name]![col.name] = byBudget;
    }
  }
  const timing = { 'hartmann-6d': askTime(FUNCTIONS[1]!, 200, 5), 'mixed-4d': askTime(FUNCTIONS[3]!, 200, 5) };
  if (values.json) {
    console.log(JSON.stringify({ trials, seeds, results, askMsAt200: timing }, null, 2));
    return;
  }
  const names = columns.map((c) => c.name).filter((c) => Object.values(results).some((r) => r[c] !== undefined));
  console.log(`median regret over ${seeds} seeds [25th-75th percentile]`);
  console.log(['function', 'trials', ...names].join(' | '));
  for (const fn of FUNCTIONS) {
    for (const b of budgets) {
      const cells = names.map((c) => {
        const xs = results[fn.name]![c]?.[b];
        return xs === undefined ? '-' : `${fmt(quantile(xs, 0.5))} [${fmt(quantile(xs, 0.25))}-${fmt(quantile(xs, 0.75))}]`;
      });
      console.log([fn.name, String(b), ...cells].join(' | '));
    }
  }
  for (const [name, t] of Object.entries(timing)) console.log(`gp ask with 200 COMPLETE trials (${name}): median ${t.median.toFixed(0)} ms, p95 ${t.p95.toFixed(0)} ms`);
}

await main();
