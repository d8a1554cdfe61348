/**
 * Ours against the PyTorch reference, measured in the same run on the same machine:
 *
 *   npm run build && node dist/scripts/bench/torch-compare.js [--backend auto] [--steps 20] [--rounds 3]
 *       [--reference PATH] [--python /usr/bin/python3] [--threads 1]
 *
 * `--reference` is the PyTorch reference script of docs/performance.md ("How to reproduce"),
 * which lives outside this repository (the default is the path that section runs it from).
 * Runs the reference with `--json` and `training-step.js --json` alternately for `rounds`
 * rounds (so a burst of load on a shared machine hits both), takes each model's median over
 * the rounds, and prints a Markdown table: reference ms, ours ms, ratio. Each process is a
 * fresh one, as in normal use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface StepTimes {
  readonly ms_per_step: Record<string, number>;
}

function isStepTimes(v: unknown): v is StepTimes {
  return typeof v === 'object' && v !== null && 'ms_per_step' in v && typeof v.ms_per_step === 'object' && v.ms_per_step !== null;
}

function runJson(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): StepTimes & Record<string, unknown> {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const parsed: unknown = JSON.parse(last);
  if (!isStepTimes(parsed)) throw new Error(`${cmd}: unexpected output ${last}`);
  return parsed as StepTimes & Record<string, unknown>;
}

/**
 * The BLAS library the anchor's torch loads. Debian's torch is built against the generic
 * `libblas.so.3`, so its GRU speed depends on which package provides that alternative: with
 * reference `libblas3` alone cnngru-small took 215 ms/step here, with `libopenblas0-pthread`
 * 32–35 ms (the 34.5 ms) — a ratio against the slow one would mean nothing.
 */
function anchorBlas(python: string, env: NodeJS.ProcessEnv): string {
  const probe = "import torch\nprint(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower()}))";
  const r = spawnSync(python, ['-c', probe], { encoding: 'utf8', env });
  return r.status === 0 ? r.stdout.trim() : `unknown (${r.stderr.trim().split('\n').pop() ?? ''})`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fmt(xs: readonly number[]): string {
  return xs.map((x) => x.toFixed(1)).join(', ');
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url)); // dist/scripts/bench
  const root = resolve(here, '..', '..', '..');
  const { values: a } = parseArgs({
    options: {
      backend: { type: 'string', default: 'auto' },
      steps: { type: 'string', default: '20' },
      rounds: { type: 'string', default: '3' },
      reference: { type: 'string', default: resolve(root, 'scripts', 'compare', 'torch_reference.py') },
      python: { type: 'string', default: '/usr/bin/python3' },
      threads: { type: 'string', default: '1' },
    },
    strict: true,
  });
  if (!existsSync(a.reference)) {
    console.error(`torch-compare: reference script not found: ${a.reference} (use --reference PATH)`);
    process.exit(2);
  }
  const rounds = Number(a.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`torch-compare: --rounds must be a positive integer, got "${a.rounds}"`);
    process.exit(2);
  }
  // A multi-threaded BLAS ignores torch.set_num_threads: pin it to the same thread count.
  const torchEnv = { ...process.env, OPENBLAS_NUM_THREADS: a.threads, OMP_NUM_THREADS: a.threads, MKL_NUM_THREADS: a.threads };
  const blas = anchorBlas(a.python, torchEnv);
  const torch: Record<string, number[]> = {};
  const ours: Record<string, number[]> = {};
  let framework = 'torch';
  let backend = a.backend;
  const loads: number[] = [];
  for (let i = 0; i < rounds; i++) {
    loads.push(loadavg()[0]);
    const t = runJson(a.python, [a.reference, '--threads', a.threads, '--steps', a.steps, '--json'], torchEnv);
    framework = typeof t['framework'] === 'string' ? t['framework'] : framework;
    for (const [k, v] of Object.entries(t.ms_per_step)) (torch[k] ??= []).push(v);
    const o = runJson(process.execPath, [resolve(here, 'training-step.js'), '--json', '--backend', a.backend, '--steps', a.steps, '--threads', a.threads]);
    backend = typeof o['backend'] === 'string' ? o['backend'] : backend;
    for (const [k, v] of Object.entries(o.ms_per_step)) (ours[k] ??= []).push(v);
    process.stderr.write(`round ${i + 1}/${rounds}: torch ${JSON.stringify(t.ms_per_step)} ours ${JSON.stringify(o.ms_per_step)}\n`);
  }
  console.log(`| model | ${framework}, ${a.threads} thread(s) (ms/step) | hpsearch, ${backend} (ms/step) | ratio (per-round range) |`);
  console.log('|---|---:|---:|---:|');
  for (const k of Object.keys(torch)) {
    const t = median(torch[k]);
    const o = ours[k] === undefined ? Number.NaN : median(ours[k]);
    const ratios = torch[k].map((tv, i) => (ours[k]?.[i] ?? Number.NaN) / tv);
    console.log(`| ${k} | ${t.toFixed(1)} (${fmt(torch[k])}) | ${o.toFixed(1)} (${fmt(ours[k] ?? [])}) | ${(o / t).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) |`);
  }
  console.log(`\nanchor BLAS: ${blas}`);
  console.log(`\nmedian of ${a.steps} steps per run, median over ${rounds} alternating rounds; 1-min load average at the start of each round: ${loads.map((l) => l.toFixed(1)).join(', ')}`);
}

main();
