/**
 * Storage benchmark: fills a temporary SQLite study with finished trials (8 params and 10
 * intermediate values with epoch metrics each) and times the reads that must stay fast.
 *
 *   node dist/scripts/bench/storage.js [--trials 10000] [--runs 7]
 *
 * Prints, per operation, the median and minimum wall-clock milliseconds and the median CPU
 * milliseconds of this process (the column least inflated when the machine is shared).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Distribution, Params } from '../../src/core/search-space.js';
import { SqliteStorage } from '../../src/storage/index.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer`);
  return v;
}

const N_TRIALS = arg('trials', 10_000);
const RUNS = arg('runs', 7);
const EPOCHS = 10;

const DISTRIBUTIONS: Record<string, Distribution> = {
  gru_hidden: { type: 'categorical', choices: [32, 64, 128, 256, 512] },
  batch_size: { type: 'categorical', choices: [16, 32, 48, 60] },
  num_layers: { type: 'int', low: 2, high: 4, log: false, step: 1 },
  num_blocks: { type: 'int', low: 1, high: 5, log: false, step: 1 },
  dropout: { type: 'categorical', choices: [0.2, 0.3, 0.4] },
  optimizer: { type: 'categorical', choices: ['adam', 'adamw'] },
  lr_factor: { type: 'float', low: 0.1, high: 0.4, log: false, step: null },
  learning_rate: { type: 'float', low: 1e-4, high: 1e-2, log: true, step: null },
};

// A small deterministic generator, so every run benchmarks the same database.
let state = 12345;
function rand(): number {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state / 2 ** 31;
}

function sampleParams(): Params {
  const out: Params = {};
  for (const [name, d] of Object.entries(DISTRIBUTIONS)) {
    if (d.type === 'categorical') out[name] = d.choices[Math.floor(rand() * d.choices.length)] as Params[string];
    else if (d.type === 'int') out[name] = d.low + Math.floor(rand() * (d.high - d.low + 1));
    else out[name] = d.log ? Math.exp(Math.log(d.low) + rand() * Math.log(d.high / d.low)) : d.low + rand() * (d.high - d.low);
  }
  return out;
}

async function fill(storage: SqliteStorage, studyId: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t = await storage.createTrial(studyId, {
      state: 'RUNNING',
      params: sampleParams(),
      distributions: DISTRIBUTIONS,
      seed: i,
    });
    let v = 0.5 * rand();
    for (let step = 0; step < EPOCHS; step++) {
      v = Math.min(1, v + 0.05 * rand());
      await storage.reportIntermediate(t.id, step, v, {
        loss: 1 - v,
        val_loss: 1.1 - v,
        accuracy: v,
        recall_per_class: [v, v, v, v, v],
      });
    }
    await storage.finishTrial(t.id, { state: 'COMPLETE', value: v, metrics: { recall_macro: v, accuracy: v } });
  }
}

/** A timed function may return its own duration when only part of it counts. */
type Timed = () => Promise<unknown>;

class OwnTime {
  constructor(
    readonly ms: number,
    readonly cpuMs: number,
  ) {}
}

interface Timing {
  readonly median: number;
  readonly min: number;
  /** Median CPU time of this process (user + system): what the load of a shared machine inflates least. */
  readonly cpu: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

async function time(runs: number, fn: Timed): Promise<Timing> {
  await fn(); // warm-up: prepares statements, fills caches
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const own = await fn();
    ms.push(own instanceof OwnTime ? own.ms : performance.now() - t0);
    cpu.push(own instanceof OwnTime ? own.cpuMs : cpuMsSince(c0));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { median: median(ms), min: Math.min(...ms), cpu: median(cpu) };
}

/** Times `fn` on a freshly opened connection (the open itself is not timed). */
function timedPart(file: string, fn: (s: SqliteStorage) => Promise<unknown>): () => Promise<OwnTime> {
  return async () => {
    const fresh = SqliteStorage.open(file);
    try {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn(fresh);
      return new OwnTime(performance.now() - t0, cpuMsSince(c0));
    } finally {
      await fresh.close();
    }
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-bench-'));
  const file = join(dir, 'trials.db');
  try {
    const storage = SqliteStorage.open(file);
    const big = await storage.createStudy({ name: 'bench', direction: 'maximize', metric: 'recall_macro', yaml: null, settings: {} });
    const small = await storage.createStudy({ name: 'bench-1k', direction: 'maximize', metric: 'recall_macro', yaml: null, settings: {} });
    const owner = { host: 'bench', pid: process.pid };
    const t0 = performance.now();
    await fill(storage, big.id, N_TRIALS);
    const fillS = (performance.now() - t0) / 1000;
    await fill(storage, small.id, 1000);

    // "cold": a fresh connection, nothing cached (the first ask() after a resume, `export`);
    // warm: the same connection again (finished trials come from its cache: every later ask()).
    const rows: [string, Timing][] = [
      [`leaderboard top 20, cold (${N_TRIALS} trials)`, await time(RUNS, timedPart(file, (s) => s.leaderboard(big.id, { top: 20 })))],
      [`leaderboard top 20 (${N_TRIALS})`, await time(RUNS, () => storage.leaderboard(big.id, { top: 20 }))],
      [`leaderboard --all top 20 (${N_TRIALS})`, await time(RUNS, () => storage.leaderboard(big.id, { top: 20, all: true }))],
      [`getTrials, cold (${N_TRIALS})`, await time(RUNS, timedPart(file, (s) => s.getTrials(big.id)))],
      [`getTrials, warm (${N_TRIALS})`, await time(RUNS, () => storage.getTrials(big.id))],
      ['getTrials, cold (1000)', await time(RUNS, timedPart(file, (s) => s.getTrials(small.id)))],
      ['getTrials, warm (1000)', await time(RUNS * 3, () => storage.getTrials(small.id))],
      ['countTrials (1000)', await time(RUNS * 3, () => storage.countTrials(small.id, ['COMPLETE']))],
      ['listStudies', await time(RUNS, () => storage.listStudies())],
      [
        // What Study.ask() asks of storage: claim an enqueued trial or create one, read the
        // history for the sampler, store the sampled params and the seed.
        'ask() storage round (1000 finished)',
        await time(RUNS * 3, async () => {
          const t = (await storage.claimWaitingTrial(small.id, owner)) ?? (await storage.createTrial(small.id, { state: 'RUNNING', owner }));
          await storage.getTrials(small.id);
          await storage.setTrialParams(t.id, sampleParams(), DISTRIBUTIONS);
          await storage.setTrialSeed(t.id, t.number);
          await storage.finishTrial(t.id, { state: 'FAIL' }); // keep the study at 1000 + a few finished
        }),
      ],
      [
        'createTrial + 8 params (1 tx)',
        await time(RUNS * 3, () => storage.createTrial(small.id, { state: 'RUNNING', params: sampleParams(), distributions: DISTRIBUTIONS })),
      ],
    ];
    await storage.close();

    const size = statSync(file).size / 2 ** 20;
    console.log(`${N_TRIALS} trials x (8 params, ${EPOCHS} intermediate values) filled in ${fillS.toFixed(1)} s; db ${size.toFixed(1)} MiB`);
    // Timings are wall-clock: on a shared machine the load average says how far to trust them.
    const load = loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`median / min of ${RUNS} runs (after one warm-up); node ${process.version}, ${cpus().length} cpus, load average ${load}`);
    const w = Math.max(...rows.map(([name]) => name.length));
    console.log(`${'operation'.padEnd(w)}  median ms     min ms  cpu ms (median)`);
    for (const [name, t] of rows) {
      const cells = [t.median, t.min, t.cpu].map((x) => x.toFixed(2).padStart(9));
      console.log(`${name.padEnd(w)}  ${cells.join('  ')}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
