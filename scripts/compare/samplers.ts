/**
 * Our TPE against Optuna's, side by side, through the public ask/tell APIs of both.
 *
 *   node dist/scripts/compare/samplers.js [--seeds 10] [--budgets 40,80,200]
 *     [--functions branin-2d,levy-10d] [--jobs 1] [--sampler '{"multivariate":true}']
 *     [--optuna-options '{"multivariate":true}'] [--optuna-cache FILE] [--no-optuna]
 *     [--workers 4] [--json FILE]
 *
 * For every function of `scripts/compare/functions.ts` and every seed s = 0..seeds-1, one
 * minimisation of max(budgets) trials runs with each sampler: ours is
 * `createStudy({ storage: ':memory:', sampler: { type: 'tpe', seed: s, ...--sampler } })`
 * driven by ask/tell; Optuna's is `TPESampler(seed=s, **--optuna-options)` in
 * /usr/bin/python3 (Debian's python3-optuna, 3.1), driven by `study.ask()`/`study.tell()`
 * in scripts/compare/optuna-tpe.py with the conditional parameters suggested
 * define-by-run. The regret after b trials is f(x) - f* at the trial with the best value
 * observed among the first b (for the noisy function, f is the noiseless value there); a
 * sampler cannot know the budget, so the regret at 40 and 80 trials is read off the same
 * run as at 200.
 *
 * The table prints, per function and budget, the median regret over seeds with its 25th
 * and 75th percentiles for each side, and the ratio of the medians (ours / Optuna).
 *
 * `--workers W` (W > 1) also runs ours with W asynchronous workers (W trials outstanding:
 * ask W, then tell the oldest and ask one more, as the CLI's parallel runner does; the
 * study is created with `workers: W`, so the constant liar is on unless `--sampler` says
 * otherwise) and prints it next to the sequential run with the ratio of the medians.
 * Optuna always runs sequentially.
 *
 * Runtime: Optuna runs in `--jobs` Python processes in parallel with ours (the machine
 * is shared; each process uses about one core). `--optuna-cache FILE` keeps Optuna's traces
 * in a JSON file keyed by function, seed, budget and options, so that tuning our sampler
 * does not rerun Optuna every time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createStudy } from '../../src/study/api.js';
import type { SamplerOption } from '../../src/study/api.js';
import type { AskedTrial } from '../../src/study/study.js';
import { spaceFromObject } from '../../src/config/api.js';
import type { Params } from '../../src/core/search-space.js';
import { FUNCTIONS, type TestFunction } from './functions.js';

/** What one run leaves: the observed and the true value of every trial, in order. */
interface Trace {
  readonly observed: number[];
  readonly truth: number[];
  /** Time spent in the sampler (ask), seconds. */
  readonly seconds: number;
}

function regretAt(trace: Trace, budget: number, minimum: number): number {
  let best = 0;
  for (let t = 1; t < Math.min(budget, trace.observed.length); t++) if (trace.observed[t]! < trace.observed[best]!) best = t;
  return Math.max(0, trace.truth[best]! - minimum);
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One study of ours through the library API, on an in-memory SQLite storage, with `workers`
 * trials outstanding as the CLI's parallel runner keeps them: ask `workers` trials, then
 * tell the oldest and ask one more until `trials` have been asked. With one worker this is
 * the sequential ask/tell loop. The trace is in trial-number order, so the regret after b
 * trials is over the first b asked, whatever was known when they were asked.
 */
async function runOurs(fn: TestFunction, seed: number, trials: number, options: Record<string, unknown>, workers: number): Promise<Trace> {
  const study = await createStudy({
    storage: ':memory:',
    name: `${fn.name}-${seed}`,
    direction: 'minimize',
    space: fn.space,
    sampler: { type: 'tpe', seed, ...options } as SamplerOption,
    workers,
  });
  const observed = new Array<number>(trials);
  const truth = new Array<number>(trials);
  let seconds = 0;
  const outstanding: AskedTrial[] = [];
  const ask = async (): Promise<void> => {
    const start = process.hrtime.bigint();
    outstanding.push(await study.ask());
    seconds += Number(process.hrtime.bigint() - start) / 1e9;
  };
  let asked = 0;
  for (; asked < Math.min(workers, trials); asked++) await ask();
  for (let told = 0; outstanding.length > 0; told++) {
    const trial = outstanding.shift()!;
    const e = fn.evaluate(trial.params, seed, trial.number);
    await study.tell(trial.number, e.observed);
    observed[trial.number] = e.observed;
    truth[trial.number] = e.truth;
    if (asked < trials) {
      await ask();
      asked++;
    }
    // Let the Optuna processes, which wait on this thread for their values, go on.
    if (told % 4 === 3) await tick();
  }
  await study.storage.close();
  return { observed, truth, seconds };
}

/** A long-lived Python process running one Optuna study after another. */
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

  async run(fn: TestFunction, seed: number, trials: number, options: Record<string, unknown>): Promise<Trace> {
    // The space in sampling order (conditions first), as our study samples it.
    this.#send({ cmd: 'study', space: spaceFromObject(fn.space), seed, trials, direction: 'minimize', options });
    const observed: number[] = [];
    const truth: number[] = [];
    for (;;) {
      const msg = await this.#receive();
      if (msg.done) return { observed, truth, seconds: msg.seconds as number };
      const e = fn.evaluate(msg.params as Params, seed, observed.length);
      observed.push(e.observed);
      truth.push(e.truth);
      this.#send({ value: e.observed });
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
}

function summarise(xs: readonly number[]): Summary {
  return { median: percentile(xs, 0.5), q25: percentile(xs, 0.25), q75: percentile(xs, 0.75) };
}

function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1000 || a < 0.01 ? x.toExponential(2) : x.toPrecision(3);
}

const cell = (s: Summary | undefined): string => (s ? `${fmt(s.median)} [${fmt(s.q25)}, ${fmt(s.q75)}]` : 'n/a');

function ratio(ours: number, theirs: number): string {
  if (theirs === 0) return ours === 0 ? '1.00' : 'inf';
  return (ours / theirs).toFixed(2);
}

function optunaScript(): string | null {
  const candidates = [fileURLToPath(new URL('../../../scripts/compare/optuna-tpe.py', import.meta.url)), `${process.cwd()}/scripts/compare/optuna-tpe.py`];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/**
 * A cache key that changes with the function's space, description, minimum or options
 * (not with the body of a function wrapped by a helper: delete the cache after editing one).
 */
function cacheKey(fn: TestFunction, seed: number, trials: number, options: Record<string, unknown>, version: string): string {
  const code = createHash('sha1').update(fn.evaluate.toString()).update(JSON.stringify([fn.space, fn.description, fn.minimum])).digest('hex').slice(0, 12);
  return `${version}|${fn.name}|${code}|${seed}|${trials}|${JSON.stringify(options)}`;
}

/** Runs the (function, seed) tasks on `jobs` Optuna processes, each taking the next task when done. */
async function runOptuna(
  script: string,
  jobs: number,
  tasks: readonly { fn: TestFunction; seed: number }[],
  trials: number,
  options: Record<string, unknown>,
  cache: Map<string, Trace> | null,
): Promise<{ version: string; traces: Map<string, Trace> } | null> {
  const procs = Array.from({ length: jobs }, () => new OptunaProcess(script, []));
  try {
    await Promise.all(procs.map((p) => p.ready()));
  } catch (e) {
    process.stderr.write(`Optuna is not available (${(e as Error).message}); its columns are left out.\n`);
    return null;
  }
  const version = procs[0]!.version;
  const traces = new Map<string, Trace>();
  let next = 0;
  await Promise.all(
    procs.map(async (proc) => {
      while (next < tasks.length) {
        const { fn, seed } = tasks[next++]!;
        const key = cacheKey(fn, seed, trials, options, version);
        let trace = cache?.get(key);
        if (trace === undefined) {
          trace = await proc.run(fn, seed, trials, options);
          cache?.set(key, trace);
        }
        traces.set(`${fn.name}|${seed}`, trace);
      }
      proc.close();
    }),
  );
  return { version, traces };
}

function parseOptions(text: string, flag: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${flag} takes a JSON object`);
  return v as Record<string, unknown>;
}

interface Cell {
  readonly function: string;
  readonly budget: number;
  readonly ours: Summary;
  /** Ours with `--workers` trials outstanding (null with one worker). */
  readonly parallel: Summary | null;
  readonly optuna: Summary | null;
  readonly oursRegrets: number[];
  readonly parallelRegrets: number[] | null;
  readonly optunaRegrets: number[] | null;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      seeds: { type: 'string', default: '10' },
      budgets: { type: 'string', default: '40,80,200' },
      functions: { type: 'string' },
      jobs: { type: 'string', default: '1' },
      workers: { type: 'string', default: '1' },
      sampler: { type: 'string', default: '{}' },
      'optuna-options': { type: 'string', default: '{}' },
      'optuna-cache': { type: 'string' },
      'no-optuna': { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i);
  const budgets = args.budgets
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);
  if (budgets.some((b) => !Number.isInteger(b) || b < 1)) throw new RangeError(`--budgets takes positive integers, got ${args.budgets}`);
  const trials = budgets.at(-1)!;
  const wanted = args.functions?.split(',');
  const functions = wanted ? FUNCTIONS.filter((f) => wanted.includes(f.name)) : FUNCTIONS;
  if (wanted && functions.length !== wanted.length) {
    throw new RangeError(`unknown function in --functions; known: ${FUNCTIONS.map((f) => f.name).join(', ')}`);
  }
  const workers = Number(args.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`--workers takes a positive integer, got ${args.workers}`);
  const oursOptions = parseOptions(args.sampler, '--sampler');
  const optunaOptions = parseOptions(args['optuna-options'], '--optuna-options');
  const started = Date.now();

  const cachePath = args['optuna-cache'];
  const cache = cachePath ? new Map<string, Trace>(existsSync(cachePath) ? (Object.entries(JSON.parse(readFileSync(cachePath, 'utf8'))) as [string, Trace][]) : []) : null;
  const tasks = functions.flatMap((fn) => seeds.map((seed) => ({ fn, seed })));
  const script = optunaScript();
  const useOptuna = !args['no-optuna'] && script !== null && existsSync('/usr/bin/python3');
  const optunaRun = useOptuna ? runOptuna(script, Math.max(1, Number(args.jobs)), tasks, trials, optunaOptions, cache) : Promise.resolve(null);

  const ours = new Map<string, Trace>();
  const parallel = workers > 1 ? new Map<string, Trace>() : null;
  for (const { fn, seed } of tasks) {
    ours.set(`${fn.name}|${seed}`, await runOurs(fn, seed, trials, oursOptions, 1));
    parallel?.set(`${fn.name}|${seed}`, await runOurs(fn, seed, trials, oursOptions, workers));
  }
  const optuna = await optunaRun;
  if (cache && cachePath) writeFileSync(cachePath, JSON.stringify(Object.fromEntries(cache)));

  const cells: Cell[] = [];
  for (const fn of functions) {
    for (const budget of budgets) {
      const regrets = (m: Map<string, Trace>) => seeds.map((s) => regretAt(m.get(`${fn.name}|${s}`)!, budget, fn.minimum));
      const oursRegrets = regrets(ours);
      const parallelRegrets = parallel ? regrets(parallel) : null;
      const optunaRegrets = optuna ? regrets(optuna.traces) : null;
      cells.push({
        function: fn.name,
        budget,
        ours: summarise(oursRegrets),
        parallel: parallelRegrets ? summarise(parallelRegrets) : null,
        optuna: optunaRegrets ? summarise(optunaRegrets) : null,
        oursRegrets,
        parallelRegrets,
        optunaRegrets,
      });
    }
  }

  const version = optuna?.version ?? '';
  const type = String(oursOptions.type ?? 'tpe').toUpperCase();
  const header = ['function', 'trials', `ours ${type}`, `Optuna ${version} TPE`, 'ours/Optuna'];
  if (parallel) header.splice(3, 0, `ours ${type}, ${workers} workers`, `${workers} workers/1`);
  const rows = cells.map((c) => {
    const row = [c.function, String(c.budget), cell(c.ours), cell(c.optuna ?? undefined), c.optuna ? ratio(c.ours.median, c.optuna.median) : 'n/a'];
    if (c.parallel) row.splice(3, 0, cell(c.parallel), ratio(c.parallel.median, c.ours.median));
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`Regret (f - f*) at the best observed trial: median over ${seeds.length} seeds [25th, 75th percentile]`);
  console.log(`ours: ${JSON.stringify({ type: 'tpe', ...oursOptions })}; Optuna: TPESampler(${JSON.stringify(optunaOptions)})`);
  if (parallel) console.log(`ours with ${workers} workers: ${workers} trials outstanding (tell the oldest, ask one more), constant liar as the library sets it`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log('');
  for (const fn of functions) console.log(`  ${fn.name}: ${fn.description}`);
  const geoMean = (pairs: readonly [number, number][]): string => {
    const logs = pairs.filter(([a, b]) => a > 0 && b > 0).map(([a, b]) => Math.log(a / b));
    return logs.length > 0 ? Math.exp(logs.reduce((s, v) => s + v, 0) / logs.length).toFixed(3) : 'n/a';
  };
  const compared = cells.filter((c) => c.optuna);
  if (compared.length > 0) {
    const wins = compared.filter((c) => c.ours.median <= c.optuna!.median).length;
    console.log(`\nours median <= Optuna median in ${wins} of ${compared.length} cells`);
    console.log(`geometric mean of ours/Optuna: ${geoMean(compared.map((c) => [c.ours.median, c.optuna!.median]))}`);
  }
  if (parallel) {
    const within = cells.filter((c) => c.parallel!.median <= 1.1 * c.ours.median).length;
    console.log(`${workers} workers within 10 % of 1 worker (median) in ${within} of ${cells.length} cells`);
    console.log(`geometric mean of ${workers} workers/1 worker: ${geoMean(cells.map((c) => [c.parallel!.median, c.ours.median]))}`);
  }
  const ms = (m: Map<string, Trace> | undefined) => (m ? ((1000 * [...m.values()].reduce((s, t) => s + t.seconds, 0)) / (m.size * trials)).toFixed(2) : 'n/a');
  console.log(`Sampling time per trial, ms: ours ${ms(ours)}${parallel ? `, ours with ${workers} workers ${ms(parallel)}` : ''}, Optuna ${ms(optuna?.traces)}`);
  console.log(`Total ${((Date.now() - started) / 1000).toFixed(1)} s`);

  if (args.json) {
    writeFileSync(args.json, `${JSON.stringify({ seeds: seeds.length, budgets, workers, optuna: version || null, ours_options: oursOptions, optuna_options: optunaOptions, cells }, null, 1)}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
