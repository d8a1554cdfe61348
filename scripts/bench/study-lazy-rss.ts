/**
 * Peak RSS of a whole study on HDF5 files too large for the memory budget (read lazily), at
 * several file sizes: issue 16's "lazy data should cost memory by the batch, not by the file".
 * Each size is a 2-worker study of 2 trials of a small CNN-GRU (cnngru-small of
 * scripts/bench/training-step.ts), 1 epoch of `--epoch-size` balanced samples, random
 * oversampling (SMOTE's neighbour search over millions of beats is a job of its own), run by
 * `hpsearch run` under `/usr/bin/time -v` in a fresh folder (so the one-time scan of the file
 * is included).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench/study-lazy-rss.js [--gib 1,8] [--dir DIR] [--gzip 0]
 *       [--epoch-size 2048] [--val 0.05] [--test 0.05] [--budget 256MiB]
 *
 * Files are written once in DIR (default: the OS temp folder) and reused.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BEAT_LENGTH } from '../../src/data/synthetic.js';
import { syntheticHdf5 } from './synthetic-hdf5.js';

const { values: args } = parseArgs({
  options: {
    gib: { type: 'string', default: '1,8' },
    dir: { type: 'string', default: join(tmpdir(), 'hpsearch-bench-rss') },
    gzip: { type: 'string', default: '0' },
    'epoch-size': { type: 'string', default: '2048' },
    val: { type: 'string', default: '0.05' },
    test: { type: 'string', default: '0.05' },
    budget: { type: 'string', default: '256MiB' },
  },
});

const cli = resolve(fileURLToPath(import.meta.url), '../../../src/cli/main.js');

function studyYaml(file: string): string {
  return [
    'study: lazy-rss',
    'model: cnngru',
    'objective: {metric: recall_macro, direction: maximize}',
    `data: {source: ${JSON.stringify(file)}, memory_budget: ${args.budget}, split: {val: ${args.val}, test: ${args.test}, by: stratified, seed: 0}, epoch_size: ${args['epoch-size']}}`,
    'budget: {trials: 2, epochs: 1}',
    'sampler: {type: random, seed: 1}',
    'pruner: {type: none}',
    'workers: 2',
    'defaults: {hidden: 64, gru_hidden: 64, batch_size: 64, num_layers: 1, num_blocks: 0, dropout: 0, optimizer: adam, dataset: oversampled, lr_factor: 0.2}',
    'params: {}',
    '',
  ].join('\n');
}

const rows: string[] = [];
for (const gib of args.gib.split(',').map(Number)) {
  const n = Math.round((gib * 1024 ** 3) / (BEAT_LENGTH * 4));
  const file = await syntheticHdf5(args.dir, n, Number(args.gzip));
  const work = mkdtempSync(join(tmpdir(), 'hpsearch-bench-study-rss-'));
  writeFileSync(join(work, 'study.yaml'), studyYaml(file));
  const load = loadavg()[0]!.toFixed(1);
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, 'run', 'study.yaml', '--db', 'trials.db', '--backend', 'native'], { cwd: work, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  rmSync(work, { recursive: true, force: true });
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const printed = /peak RSS ([\d.]+ [GM]B)/.exec(r.stdout);
  if (r.status !== 0 || !peak) {
    console.log(`${gib} GiB: hpsearch run failed (exit ${r.status})\n${r.stderr.split('\n').slice(-8).join('\n')}`);
    continue;
  }
  const line = `| ${gib} GiB | ${n.toLocaleString('en')} | ${(statSync(file).size / 1024 ** 3).toFixed(2)} GiB | ${Number(peak[1]).toLocaleString('en')} kB (${((Number(peak[1]) * 1024) / 1e9).toFixed(2)} GB) | ${printed?.[1] ?? '?'} | ${seconds.toFixed(0)} s | ${load} |`;
  console.log(line);
  rows.push(line);
}
console.log('\n| signals | beats | file | peak RSS (/usr/bin/time -v) | printed by hpsearch run | wall | load at start |\n|---|---:|---:|---:|---:|---:|---:|');
for (const l of rows) console.log(l);
