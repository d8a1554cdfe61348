/**
 * `npm run bench [-- --json] [--backend auto|tensorflow-gpu|tensorflow|native|wasm|cpu] [--steps N]
 *                [--only NAME[,NAME...]] [--profile] [--threads N]`
 *
 * Median wall time of one training step (forward, backward, Adam update) on random data after
 * two warm-up steps, for the four configurations of the PyTorch reference (the table of
 * docs/performance.md, "How to reproduce": architectures and batch sizes are the reference's;
 * the models are src/models', the step is the trainer's: variableGrads of the loss, then the
 * trainer's Adam applyGradients). `--json`
 * prints exactly one object, {"backend", "ms_per_step"}, comparable with the reference's
 * `--json` output. `--profile` adds, per model, the kernels that take the time in one step.
 * `--threads N`: the native kernels' threads (default 1, like the reference's `--threads 1`).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs';

import { AUTO_ORDER, BackendUnavailableError, describeBackend, initBackend, setKernelThreads, type BackendInfo } from '../../src/backend/index.js';
import type { DataInfo } from '../../src/data/types.js';
import { buildModel, countParams, type BuiltModel } from '../../src/models/index.js';
import type { BackendName } from '../../src/config/settings.js';
import type { Params } from '../../src/core/search-space.js';
import { createOptimizer, optimizerSettings } from '../../src/train/optimizers.js';

interface Benchmark {
  readonly model: 'cnngru' | 'cnn2d';
  readonly params: Params;
  readonly batch: number;
  /** The reference's constructor call, for the table. */
  readonly torch: string;
}

/** The PyTorch reference's benchmarks, parameter for parameter (docs/performance.md, "How to reproduce"). */
export const BENCHMARKS: Readonly<Record<string, Benchmark>> = {
  'cnngru-small': {
    model: 'cnngru',
    params: { hidden: 64, num_blocks: 0, gru_hidden: 64, num_layers: 1, dropout: 0 },
    batch: 64,
    torch: 'CNNGRU(64, 0, 64, 1, 0.0)',
  },
  'cnngru-seed-best': {
    model: 'cnngru',
    params: { hidden: 64, num_blocks: 5, gru_hidden: 256, num_layers: 2, dropout: 0.4 },
    batch: 32,
    torch: 'CNNGRU(64, 5, 256, 2, 0.4)',
  },
  'cnn2d-small': {
    model: 'cnn2d',
    params: { hidden: 64, num_blocks: 1, num_layers: 1, dropout: 0 },
    batch: 64,
    torch: 'CNN2D(64, 1, 1, 0.0)',
  },
  'cnn2d-seed-best': {
    model: 'cnn2d',
    params: { hidden: 128, num_blocks: 1, num_layers: 3, dropout: 0.3 },
    batch: 16,
    torch: 'CNN2D(128, 1, 3, 0.3)',
  },
};

const WARMUP_STEPS = 2;
/** The reference's data: single-lead beats of 187 samples, 5 classes. */
const INFO: DataInfo = { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] };

interface KernelTime {
  readonly name: string;
  readonly calls: number;
  readonly ms: number;
}

interface Result {
  readonly name: string;
  readonly params: number;
  readonly times: number[];
  readonly median: number;
  readonly profile: { readonly kernels: KernelTime[]; readonly calls: number; readonly kernelMs: number; readonly wallMs: number } | null;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

class StepRunner {
  private readonly built: BuiltModel;
  private readonly trainable: tf.Variable[];
  private readonly optimizer: ReturnType<typeof createOptimizer>;
  private readonly x: tf.Tensor3D;
  private readonly y: tf.Tensor2D;

  constructor(b: Benchmark, seed: number) {
    this.built = buildModel(b.model, b.params, INFO, seed);
    this.trainable = this.built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = createOptimizer(optimizerSettings({ optimizer: 'adam', learning_rate: 1e-3 }));
    // Fixed random batch, as the reference: x ~ N(0, 1), uniform random labels.
    this.x = tf.randomNormal([b.batch, INFO.length, INFO.channels], 0, 1, 'float32', seed);
    const labels = tf.tidy(() => tf.floor(tf.randomUniform([b.batch], 0, INFO.numClasses, 'float32', seed + 1)).toInt());
    this.y = tf.oneHot(labels as tf.Tensor1D, INFO.numClasses).toFloat() as tf.Tensor2D;
    labels.dispose();
  }

  get params(): number {
    return countParams(this.built.model);
  }

  /** One training step as the trainer takes it; returns the loss (read back, which also syncs). */
  step(): number {
    const { model, output, stepCounter } = this.built;
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(this.x, { training: true }) as tf.Tensor;
        return output === 'sigmoid' ? tf.losses.sigmoidCrossEntropy(this.y, logits) : tf.losses.softmaxCrossEntropy(this.y, logits);
      }, this.trainable);
      this.optimizer.applyGradients(grads);
      return value;
    });
    stepCounter.advance();
    const v = loss.dataSync()[0];
    loss.dispose();
    return v;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.built.model.dispose();
    tf.dispose([this.x, this.y]);
  }
}

/** Kernel time of one step by kernel name. Scopes of custom-gradient ops ("…__op") are left out: their time is that of the kernels they run, which are listed themselves. */
async function profileStep(runner: StepRunner): Promise<NonNullable<Result['profile']>> {
  const env = tf.env();
  const check = env.getBool('CHECK_COMPUTATION_FOR_ERRORS');
  env.set('CHECK_COMPUTATION_FOR_ERRORS', false); // else every kernel output is read back
  try {
    const t0 = performance.now();
    const info = await tf.profile(() => void runner.step());
    const wallMs = performance.now() - t0;
    const byName = new Map<string, { calls: number; ms: number }>();
    let calls = 0;
    for (const k of info.kernels) {
      if (k.name.endsWith('__op')) continue;
      const e = byName.get(k.name) ?? { calls: 0, ms: 0 };
      e.calls += 1;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byName.set(k.name, e);
      calls += 1;
    }
    const kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
    return { kernels, calls, kernelMs: kernels.reduce((s, k) => s + k.ms, 0), wallMs };
  } finally {
    env.set('CHECK_COMPUTATION_FOR_ERRORS', check);
  }
}

async function run(name: string, b: Benchmark, steps: number, profile: boolean): Promise<Result> {
  const runner = new StepRunner(b, 0);
  try {
    for (let i = 0; i < WARMUP_STEPS; i++) {
      const loss = runner.step();
      if (!Number.isFinite(loss)) throw new Error(`${name}: loss is ${loss} at warm-up step ${i + 1}`);
    }
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      runner.step();
      times.push(performance.now() - t0);
    }
    return { name, params: runner.params, times, median: median(times), profile: profile ? await profileStep(runner) : null };
  } finally {
    runner.dispose();
  }
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
}

function printTable(info: BackendInfo, results: readonly Result[], steps: number): void {
  console.log(`backend: ${describeBackend(info)}; median of ${steps} steps after ${WARMUP_STEPS} warm-up steps`);
  const rows = results.map((r) => {
    const b = BENCHMARKS[r.name];
    return [r.name, b.torch, String(b.batch), r.params.toLocaleString('en-US'), fmt(r.median), `${fmt(Math.min(...r.times))}–${fmt(Math.max(...r.times))}`];
  });
  const head = ['model', 'reference', 'batch', 'params', 'ms/step', 'range'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  for (const r of results) {
    if (r.profile === null) continue;
    const p = r.profile;
    console.log(
      `\n${r.name}: ${p.calls} kernel calls, ${fmt(p.kernelMs)} ms in kernels (one profiled step: ${fmt(p.wallMs)} ms wall, profiler overhead included)`,
    );
    for (const k of p.kernels.filter((k) => k.ms >= 0.005 * p.kernelMs).slice(0, 15)) {
      console.log(`  ${k.name.padEnd(24)} ${fmt(k.ms).padStart(8)} ms  ${((100 * k.ms) / p.kernelMs).toFixed(1).padStart(5)} %  ${String(k.calls).padStart(6)} calls`);
    }
  }
}

function usage(message: string): never {
  console.error(`bench: ${message}`);
  console.error(`usage: npm run bench -- [--json] [--backend ${['auto', ...AUTO_ORDER].join('|')}] [--steps N] [--only NAME[,NAME]] [--profile] [--threads N]`);
  process.exit(2);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        backend: { type: 'string', default: 'auto' },
        steps: { type: 'string', default: '20' },
        only: { type: 'string', multiple: true },
        profile: { type: 'boolean', default: false },
        threads: { type: 'string', default: '1' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    usage(err instanceof Error ? err.message : String(err));
  }
  const backends: readonly BackendName[] = ['auto', ...AUTO_ORDER];
  const backend = args.backend as BackendName;
  if (!backends.includes(backend)) usage(`--backend must be one of ${backends.join(', ')}, got "${args.backend}"`);
  const steps = Number(args.steps);
  if (!Number.isInteger(steps) || steps < 1) usage(`--steps must be a positive integer, got "${args.steps}"`);
  const threads = Number(args.threads);
  if (!Number.isInteger(threads) || threads < 1) usage(`--threads must be a positive integer, got "${args.threads}"`);
  const names = (args.only ?? Object.keys(BENCHMARKS)).flatMap((s) => s.split(',')).filter((s) => s !== '');
  for (const n of names) if (!(n in BENCHMARKS)) usage(`unknown benchmark "${n}" (expected ${Object.keys(BENCHMARKS).join(', ')})`);

  let info: BackendInfo;
  try {
    info = await initBackend(backend);
  } catch (err) {
    if (err instanceof BackendUnavailableError) usage(err.message);
    throw err;
  }
  setKernelThreads(threads);
  const results: Result[] = [];
  for (const name of Object.keys(BENCHMARKS).filter((n) => names.includes(n))) {
    if (!args.json) process.stderr.write(`running ${name}…\n`);
    results.push(await run(name, BENCHMARKS[name], steps, args.profile && !args.json));
  }
  if (args.json) {
    const ms: Record<string, number> = {};
    for (const r of results) ms[r.name] = Math.round(r.median * 100) / 100;
    console.log(JSON.stringify({ backend: info.name, ms_per_step: ms }));
  } else {
    printTable(info, results, steps);
  }
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
