/**
 * Compares our TPE, our random search and Optuna's TPE (python3-optuna, 3.1 on Debian) on
 * a few test functions: for each function and seed, 80 trials of ask/tell minimisation;
 * the table shows, per sampler, the median over seeds of the best value found and the
 * 25th-75th percentiles between seeds (every function is shifted so its minimum is 0).
 *
 *   node dist/scripts/compare/samplers.js [--trials 80] [--seeds 10] [--json] [--no-optuna]
 *
 * Columns: ours TPE (defaults: univariate), ours random, Optuna 3.1 TPE as shipped,
 * Optuna 3.1 TPE with the fix of optuna PR #5110 (its continuous kernels were not
 * normalised by their bandwidth until 3.5; see scripts/compare/optuna-tpe.py), and ours TPE
 * with `multivariate: true`. The checks below the table: ours TPE median below random's,
 * and not above the 75th percentile of each Optuna column.
 *
 * The functions are defined once, here: Optuna runs in child processes
 * (scripts/compare/optuna-tpe.py) that only ask and tell, and every value they are told is
 * computed by the same TypeScript function as for our samplers.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RandomSampler } from '../../src/samplers/random.js';
import { TPESampler } from '../../src/samplers/tpe/sampler.js';
import type { Sampler } from '../../src/samplers/base.js';
import { distributionsOf } from '../../src/core/distributions.js';
import type { Distribution, Params, SearchSpace } from '../../src/core/search-space.js';
import { createFrozenTrial, type FrozenTrial } from '../../src/core/trial.js';

interface TestFunction {
  readonly name: string;
  readonly description: string;
  readonly space: SearchSpace;
  readonly f: (p: Params) => number;
}

const float = (low: number, high: number, extra: Partial<{ log: boolean; step: number }> = {}): Distribution => ({
  type: 'float',
  low,
  high,
  log: extra.log ?? false,
  step: extra.step ?? null,
});
const int = (low: number, high: number, extra: Partial<{ log: boolean; step: number }> = {}): Distribution => ({
  type: 'int',
  low,
  high,
  log: extra.log ?? false,
  step: extra.step ?? 1,
});
const vector = (prefix: string, d: number, dist: Distribution): SearchSpace =>
  Array.from({ length: d }, (_, i) => ({ name: `${prefix}${i}`, distribution: dist }));
const values = (p: Params, prefix: string, d: number): number[] => Array.from({ length: d }, (_, i) => p[`${prefix}${i}`] as number);

/** Styblinski-Tang's minimum per dimension, at x = -2.903534. */
const ST_MIN = -39.16616570377142;

const FUNCTIONS: readonly TestFunction[] = [
  {
    name: 'sphere-2d',
    description: 'shifted sphere, 2 floats in [-5, 10]',
    space: vector('x', 2, float(-5, 10)),
    f: (p) => ((p.x0 as number) - 1.5) ** 2 + ((p.x1 as number) + 2) ** 2,
  },
  {
    name: 'rosenbrock-6d',
    description: 'Rosenbrock, 6 floats in [-2, 2]',
    space: vector('x', 6, float(-2, 2)),
    f: (p) => {
      const x = values(p, 'x', 6);
      let s = 0;
      for (let i = 0; i < 5; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
      return s;
    },
  },
  {
    name: 'styblinski-tang-8d',
    description: 'Styblinski-Tang, 8 floats in [-5, 5], minus its minimum',
    space: vector('x', 8, float(-5, 5)),
    f: (p) => values(p, 'x', 8).reduce((s, x) => s + 0.5 * (x ** 4 - 16 * x ** 2 + 5 * x) - ST_MIN, 0),
  },
  {
    name: 'grid-6d',
    description: 'shifted sphere on grids: 3 ints in [-10, 10], 3 floats step 0.5 in [-5, 5]',
    space: [...vector('i', 3, int(-10, 10)), ...vector('q', 3, float(-5, 5, { step: 0.5 }))],
    f: (p) => {
      const i = values(p, 'i', 3);
      const q = values(p, 'q', 3);
      return (i[0]! - 3) ** 2 + (i[1]! + 7) ** 2 + i[2]! ** 2 + 4 * ((q[0]! - 1.5) ** 2 + (q[1]! + 2.5) ** 2 + (q[2]! - 4) ** 2);
    },
  },
  {
    name: 'mixed-conditional',
    description: 'log float, int, log int, categoricals, stepped float, params conditional on the optimizer',
    space: [
      { name: 'optimizer', distribution: { type: 'categorical', choices: ['sgd', 'adam', 'adamw'] } },
      { name: 'lr', distribution: float(1e-5, 1e-1, { log: true }) },
      { name: 'layers', distribution: int(1, 8) },
      { name: 'units', distribution: int(8, 1024, { log: true }) },
      { name: 'batch', distribution: { type: 'categorical', choices: [16, 32, 64, 128, 256] } },
      { name: 'dropout', distribution: float(0, 0.5, { step: 0.05 }) },
      { name: 'weight_decay', distribution: float(1e-6, 1e-2, { log: true }), when: { optimizer: ['adamw'] } },
      { name: 'momentum', distribution: float(0, 0.99), when: { optimizer: ['sgd'] } },
    ],
    f: (p) => {
      const lrCentre: Record<string, number> = { sgd: -2, adam: -3.3, adamw: -3 };
      const batchPenalty: Record<string, number> = { 16: 0.4, 32: 0.1, 64: 0, 128: 0.2, 256: 0.6 };
      const opt = p.optimizer as string;
      let v = (Math.log10(p.lr as number) - lrCentre[opt]!) ** 2;
      v += 0.15 * ((p.layers as number) - 4) ** 2 + 0.25 * (Math.log2(p.units as number) - 7) ** 2;
      v += batchPenalty[String(p.batch)]! + 8 * ((p.dropout as number) - 0.25) ** 2;
      if (opt === 'adamw') v += 0.3 * (Math.log10(p.weight_decay as number) + 4) ** 2;
      else if (opt === 'adam') v += 0.6;
      else v += 1 + 4 * ((p.momentum as number) - 0.9) ** 2;
      return v;
    },
  },
];

function frozen(number: number, space: SearchSpace, params: Params, value: number): FrozenTrial {
  return createFrozenTrial({ number, state: 'COMPLETE', params, distributions: distributionsOf(space, params), value });
}

interface RunResult {
  readonly best: number;
  readonly seconds: number;
}

/** Minimises fn.f with one of our samplers, driven as the study would: history in, params out. */
function runOurs(sampler: Sampler, fn: TestFunction, trials: number): RunResult {
  const history: FrozenTrial[] = [];
  let best = Infinity;
  let seconds = 0;
  for (let t = 0; t < trials; t++) {
    const start = process.hrtime.bigint();
    const params = sampler.sample({ space: fn.space, direction: 'minimize', trials: history, trialNumber: t });
    seconds += Number(process.hrtime.bigint() - start) / 1e9;
    const value = fn.f(params);
    best = Math.min(best, value);
    history.push(frozen(t, fn.space, params, value));
  }
  return { best, seconds };
}

/** The Python side: one long-lived process running one Optuna study after another. */
class OptunaProcess {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  readonly #rl: Interface;
  version = '';

  constructor(script: string, args: readonly string[]) {
    this.#child = spawn('/usr/bin/python3', [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.#child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    this.#child.on('error', (e) => process.stderr.write(`cannot run optuna-tpe.py: ${e.message}\n`));
    this.#child.on('exit', (code) => {
      if (code) process.stderr.write(`optuna-tpe.py exited with ${code}\n${stderr}\n`);
    });
    this.#rl = createInterface({ input: this.#child.stdout });
    this.#lines = this.#rl[Symbol.asyncIterator]();
  }

  async #receive(): Promise<Record<string, unknown>> {
    const next = await this.#lines.next();
    if (next.done) throw new Error('optuna-tpe.py stopped answering');
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  #send(obj: unknown): void {
    this.#child.stdin.write(`${JSON.stringify(obj)}\n`);
  }

  async ready(): Promise<void> {
    const hello = await this.#receive();
    this.version = String(hello.optuna);
  }

  async run(fn: TestFunction, seed: number, trials: number): Promise<RunResult> {
    this.#send({ cmd: 'study', space: fn.space, seed, trials, direction: 'minimize' });
    let best = Infinity;
    for (;;) {
      const msg = await this.#receive();
      if (msg.done) return { best, seconds: msg.seconds as number };
      const value = fn.f(msg.params as Params);
      best = Math.min(best, value);
      this.#send({ value });
    }
  }

  close(): void {
    this.#send({ cmd: 'exit' });
    this.#child.stdin.end();
    this.#rl.close();
  }
}

/** numpy.percentile with linear interpolation. */
function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

interface Summary {
  readonly median: number;
  readonly q25: number;
  readonly q75: number;
  readonly bests: number[];
  readonly msPerTrial: number;
}

function summarise(results: readonly RunResult[], trials: number): Summary {
  const bests = results.map((r) => r.best);
  const seconds = results.reduce((s, r) => s + r.seconds, 0);
  return {
    median: percentile(bests, 0.5),
    q25: percentile(bests, 0.25),
    q75: percentile(bests, 0.75),
    bests,
    msPerTrial: (1000 * seconds) / (results.length * trials),
  };
}

function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1000 || a < 0.01 ? x.toExponential(2) : x.toPrecision(3);
}

function cell(s: Summary | undefined): string {
  return s ? `${fmt(s.median)} [${fmt(s.q25)}, ${fmt(s.q75)}]` : 'n/a';
}

function optunaScript(): string | null {
  const candidates = [
    fileURLToPath(new URL('../../../scripts/compare/optuna-tpe.py', import.meta.url)),
    `${process.cwd()}/scripts/compare/optuna-tpe.py`,
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** The Optuna columns: 3.1 as shipped, and with upstream's fix of its kernel density. */
const OPTUNA_VARIANTS = [
  { key: 'stock', label: 'Optuna TPE', args: [] },
  { key: 'fixed', label: 'Optuna TPE + #5110', args: ['--logpdf-fix'] },
] as const;
type VariantKey = (typeof OPTUNA_VARIANTS)[number]['key'];

/** "Optuna TPE" -> "Optuna 3.1.0 TPE". */
function withVersion(label: string, version: string): string {
  return version ? label.replace('Optuna', `Optuna ${version}`) : label;
}

interface Row {
  readonly fn: TestFunction;
  readonly tpe: Summary;
  readonly random: Summary;
  readonly multivariate: Summary;
  readonly optuna: Partial<Record<VariantKey, Summary>>;
}

/** Runs every function and seed through one Optuna process. */
async function runOptuna(script: string, args: readonly string[], seeds: readonly number[], trials: number): Promise<{ version: string; results: Map<string, Summary> } | null> {
  const proc = new OptunaProcess(script, args);
  try {
    await proc.ready();
  } catch (e) {
    process.stderr.write(`Optuna is not available (${(e as Error).message}); its column is left out.\n`);
    return null;
  }
  const results = new Map<string, Summary>();
  for (const fn of FUNCTIONS) {
    const runs: RunResult[] = [];
    for (const s of seeds) runs.push(await proc.run(fn, s, trials));
    results.set(fn.name, summarise(runs, trials));
  }
  proc.close();
  return { version: proc.version, results };
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      trials: { type: 'string', default: '80' },
      seeds: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      'no-optuna': { type: 'boolean', default: false },
    },
  });
  const trials = Number(args.trials);
  const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i);
  const started = Date.now();

  // The two Optuna processes run in parallel with each other and with our samplers
  // (ours only wait on them between studies).
  const script = optunaScript();
  const useOptuna = !args['no-optuna'] && script !== null && existsSync('/usr/bin/python3');
  const optunaRuns = useOptuna ? OPTUNA_VARIANTS.map((v) => runOptuna(script, v.args, seeds, trials)) : [];

  // Our studies yield to the event loop between runs so that the Optuna processes, which
  // wait on us for every objective value, keep going meanwhile.
  const oursFor = async (fn: TestFunction, make: (seed: number) => Sampler): Promise<Summary> => {
    const runs: RunResult[] = [];
    for (const s of seeds) {
      runs.push(runOurs(make(s), fn, trials));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return summarise(runs, trials);
  };
  const ours: Omit<Row, 'optuna'>[] = [];
  for (const fn of FUNCTIONS) {
    ours.push({
      fn,
      tpe: await oursFor(fn, (seed) => new TPESampler({ seed })),
      random: await oursFor(fn, (seed) => new RandomSampler({ seed })),
      multivariate: await oursFor(fn, (seed) => new TPESampler({ seed, multivariate: true })),
    });
  }
  const optuna = await Promise.all(optunaRuns);
  const version = optuna.find((o) => o !== null)?.version ?? '';
  const rows: Row[] = ours.map((r) => {
    const o: Partial<Record<VariantKey, Summary>> = {};
    OPTUNA_VARIANTS.forEach((v, i) => {
      const s = optuna[i]?.results.get(r.fn.name);
      if (s) o[v.key] = s;
    });
    return { ...r, optuna: o };
  });

  if (args.json) {
    const json = {
      trials,
      seeds: seeds.length,
      optuna: version || null,
      rows: rows.map((r) => ({ function: r.fn.name, tpe: r.tpe, random: r.random, tpe_multivariate: r.multivariate, optuna_tpe: r.optuna.stock ?? null, optuna_tpe_fixed: r.optuna.fixed ?? null })),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }

  const header = ['function', 'ours TPE', 'ours random', ...OPTUNA_VARIANTS.map((v) => withVersion(v.label, version)), 'ours TPE multivariate'];
  const table = rows.map((r) => [r.fn.name, cell(r.tpe), cell(r.random), ...OPTUNA_VARIANTS.map((v) => cell(r.optuna[v.key])), cell(r.multivariate)]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cols: string[]) => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`Best value after ${trials} trials (minimisation, minimum 0): median over ${seeds.length} seeds [25th, 75th percentile]`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of table) console.log(line(row));
  console.log('');
  for (const r of rows) console.log(`  ${r.fn.name}: ${r.fn.description}`);
  console.log('  #5110: Optuna 3.1 with the kernel-density fix of optuna PR #5110 (3.5+): its truncated-normal');
  console.log('         logpdf lacked -log(sigma); see scripts/compare/optuna-tpe.py.');

  console.log('\nChecks (ours TPE median vs random median, and vs the 75th percentile of Optuna\'s seeds):');
  for (const r of rows) {
    const checks = [`beats random: ${r.tpe.median < r.random.median ? 'yes' : 'NO'}`];
    for (const v of OPTUNA_VARIANTS) {
      const o = r.optuna[v.key];
      if (o) checks.push(`within ${withVersion(v.label, version)}: ${r.tpe.median <= o.q75 ? 'yes' : 'NO'}`);
    }
    console.log(`  ${r.fn.name.padEnd(widths[0]!)}  ${checks.join('; ')}`);
  }
  const timing = rows.map((r) => `${r.fn.name} ${r.tpe.msPerTrial.toFixed(2)}${r.optuna.stock ? ` vs ${r.optuna.stock.msPerTrial.toFixed(1)}` : ''}`).join('; ');
  console.log(`\nSampling time per trial, ms (ours TPE vs Optuna TPE): ${timing}`);
  console.log(`Total ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
