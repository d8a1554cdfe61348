/**
 * Times `TPESampler.sample` against a study history of 1,000 finished trials over 8
 * parameters of every kind (float, log float, stepped float, int, log int, two
 * categoricals, and a conditional log float), the situation of `ask()` late in a study.
 *
 *   node dist/scripts/bench/sampler.js [--trials 1000] [--repeat 50] [--json]
 *
 * The history is built the way storage returns it: every trial carries its own
 * distribution objects (parsed from JSON), 10 % of them are PRUNED with intermediate
 * values and a few FAIL and RUNNING trials are mixed in, so the sampler does all the work
 * it does in a real study. Each configuration is timed over `repeat` calls with distinct
 * trial numbers after two warm-up calls; the median and 95th percentile of the wall time
 * are printed, and the median CPU time of the process (which, unlike the wall time, does
 * not grow when other processes compete for the cores; it includes the GC's threads).
 */
import { parseArgs } from 'node:util';
import seedrandom from 'seedrandom';
import { RandomSampler } from '../../src/samplers/random.js';
import { TPESampler, type TPESamplerOptions } from '../../src/samplers/tpe/sampler.js';
import type { Distribution, Params, SearchSpace } from '../../src/core/search-space.js';
import { createFrozenTrial, type FrozenTrial, type TrialState } from '../../src/core/trial.js';

const SPACE: SearchSpace = [
  { name: 'lr_factor', distribution: { type: 'float', low: 0.1, high: 0.4, log: false, step: null } },
  { name: 'learning_rate', distribution: { type: 'float', low: 1e-4, high: 1e-2, log: true, step: null } },
  { name: 'dropout', distribution: { type: 'float', low: 0, high: 0.5, log: false, step: 0.05 } },
  { name: 'num_layers', distribution: { type: 'int', low: 2, high: 4, log: false, step: 1 } },
  { name: 'units', distribution: { type: 'int', low: 16, high: 512, log: true, step: 1 } },
  { name: 'batch_size', distribution: { type: 'categorical', choices: [16, 32, 48, 60] } },
  { name: 'optimizer', distribution: { type: 'categorical', choices: ['adam', 'adamw'] } },
  { name: 'weight_decay', distribution: { type: 'float', low: 1e-5, high: 1e-2, log: true, step: null }, when: { optimizer: ['adamw'] } },
];

function objective(p: Params): number {
  let v = ((p.lr_factor as number) - 0.2) ** 2 + (Math.log10(p.learning_rate as number) + 3) ** 2;
  v += ((p.dropout as number) - 0.3) ** 2 + 0.1 * ((p.num_layers as number) - 3) ** 2 + 0.05 * (Math.log2(p.units as number) - 7) ** 2;
  v += p.batch_size === 32 ? 0 : 0.1;
  v += p.optimizer === 'adamw' ? 0.1 * (Math.log10(p.weight_decay as number) + 4) ** 2 : 0.2;
  return v;
}

/** A trial as storage returns it: distributions re-parsed from JSON, one object per trial. */
function storedTrial(number: number, params: Params, state: TrialState, value: number | null, steps: number): FrozenTrial {
  const distributions: Record<string, Distribution> = {};
  for (const spec of SPACE) if (spec.name in params) distributions[spec.name] = JSON.parse(JSON.stringify(spec.distribution)) as Distribution;
  const intermediate = Array.from({ length: steps }, (_, i) => ({ step: i + 1, value: (value ?? 1) + 1 / (i + 1) }));
  return createFrozenTrial({
    number,
    state,
    params,
    distributions,
    value,
    intermediate,
    seed: number,
    startedAt: new Date(0),
    completedAt: state === 'RUNNING' ? null : new Date(0),
    host: 'bench',
    pid: 1,
    backend: 'cpu',
    failReason: state === 'FAIL' ? 'bench' : null,
  });
}

function history(n: number): FrozenTrial[] {
  const random = new RandomSampler({ seed: 0 });
  const rng = seedrandom('bench-history');
  const trials: FrozenTrial[] = [];
  for (let t = 0; t < n; t++) {
    const params = random.sample({ space: SPACE, direction: 'minimize', trials: [], trialNumber: t });
    const u = rng();
    const state: TrialState = u < 0.1 ? 'PRUNED' : u < 0.12 ? 'FAIL' : 'COMPLETE';
    const value = state === 'FAIL' ? null : objective(params);
    trials.push(storedTrial(t, params, state, value, state === 'PRUNED' ? 1 + Math.floor(rng() * 5) : 10));
  }
  // Four workers busy on trials that have their parameters but no value yet.
  for (let w = 0; w < 4; w++) {
    const params = random.sample({ space: SPACE, direction: 'minimize', trials: [], trialNumber: n + w });
    trials.push(storedTrial(n + w, params, 'RUNNING', null, 0));
  }
  return trials;
}

function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function main(): void {
  const { values: args } = parseArgs({
    options: {
      trials: { type: 'string', default: '1000' },
      repeat: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
    },
  });
  const n = Number(args.trials);
  const repeat = Number(args.repeat);
  const trials = history(n);
  const finished = trials.filter((t) => t.state === 'COMPLETE' || t.state === 'PRUNED').length;

  const configs: [string, TPESamplerOptions][] = [
    ['univariate', {}],
    ['univariate + constant liar', { constantLiar: true }],
    ['multivariate', { multivariate: true }],
    ['multivariate + constant liar', { multivariate: true, constantLiar: true }],
  ];
  const results: { config: string; median_ms: number; p95_ms: number; max_ms: number; median_cpu_ms: number }[] = [];
  for (const [config, options] of configs) {
    const sampler = new TPESampler({ seed: 1, ...options });
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = -2; i < repeat; i++) {
      const trialNumber = trials.length + 10 + i;
      const start = process.hrtime.bigint();
      const startCpu = process.cpuUsage();
      sampler.sample({ space: SPACE, direction: 'minimize', trials, trialNumber });
      const used = process.cpuUsage(startCpu);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (i >= 0) {
        times.push(ms);
        cpu.push((used.user + used.system) / 1000);
      }
    }
    results.push({
      config,
      median_ms: percentile(times, 0.5),
      p95_ms: percentile(times, 0.95),
      max_ms: Math.max(...times),
      median_cpu_ms: percentile(cpu, 0.5),
    });
  }

  if (args.json) {
    process.stdout.write(`${JSON.stringify({ trials: trials.length, finished, params: SPACE.length, repeat, results })}\n`);
    return;
  }
  console.log(`TPESampler.sample: ${trials.length} trials in the history (${finished} COMPLETE/PRUNED), ${SPACE.length} parameters, ${repeat} calls each`);
  for (const r of results) {
    console.log(
      `  ${r.config.padEnd(30)} median ${r.median_ms.toFixed(2)} ms   p95 ${r.p95_ms.toFixed(2)} ms   max ${r.max_ms.toFixed(2)} ms   (median CPU time ${r.median_cpu_ms.toFixed(2)} ms)`,
    );
  }
}

main();
