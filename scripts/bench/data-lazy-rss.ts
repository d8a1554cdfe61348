/**
 * Peak RSS while iterating one training epoch over an HDF5 file whose signals are four times
 * the memory budget (default: 400 MB of float32 signals, --memory-budget 100 MB), read lazily,
 * compared with the same file under a budget it fits (loaded once into shared memory).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench/data-lazy-rss.js [--budget-mb 100] [--factor 4] [--gzip 4] [--dir DIR] [--batch 256]
 *
 * The file is generated once (synthetic beats) in DIR (default: the OS temp folder). Each
 * measurement runs in a fresh child process under `/usr/bin/time -v` (when present), which
 * reports the peak RSS of the child; the child also reports `process.resourceUsage().maxRSS`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openTrainingData, prepareStudyData } from '../../src/data/prepare.js';
import { BEAT_LENGTH } from '../../src/data/synthetic.js';
import { syntheticHdf5 } from './synthetic-hdf5.js';
import type { DataSettings } from '../../src/config/settings.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}
const MB = 1e6;

async function child(): Promise<void> {
  const file = arg('child', '');
  const budget = Number(arg('budget', '0'));
  const batch = Number(arg('batch', '256'));
  const settings: DataSettings = {
    source: file,
    n: 0,
    seed: 0,
    multilabel: false,
    split: { val: 0.15, test: 0.15, by: 'stratified', seed: 0 },
    epoch_size: null,
    memory_budget: budget,
    augment: { amplitude_scale: 0, gaussian_noise: 0, time_mask: 0, baseline_wander: 0, mixup: 0 },
  };
  let t0 = performance.now();
  // A fresh cache folder, so that the one-time scan of the file is part of the measurement.
  const cacheDir = mkdtempSync(join(tmpdir(), 'hpsearch-bench-rss-cache-'));
  const prepared = await prepareStudyData(settings, { cacheDir, smote: false });
  rmSync(cacheDir, { recursive: true, force: true });
  const prepareS = (performance.now() - t0) / 1000;
  const rssAfterPrepare = process.resourceUsage().maxRSS;
  const data = await openTrainingData(prepared.ref, { balancing: 'oversampled', seed: 1, augment: { gaussian_noise: 0.01, mixup: 0.2 } });
  t0 = performance.now();
  let rows = 0;
  let checksum = 0;
  for await (const b of data.trainBatches(0, batch)) {
    rows += b.size;
    checksum += b.x[0]!;
  }
  const epochS = (performance.now() - t0) / 1000;
  await data.close();
  console.log(
    JSON.stringify({
      storage: prepared.storage,
      signalBytes: prepared.signalBytes,
      budget,
      trainSize: prepared.sizes.train,
      rows,
      prepareSeconds: prepareS,
      epochSeconds: epochS,
      maxRssAfterPrepareMB: (rssAfterPrepare * 1024) / MB,
      maxRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
      checksum,
    }),
  );
}

async function parent(): Promise<void> {
  const budgetMb = Number(arg('budget-mb', '100'));
  const factor = Number(arg('factor', '4'));
  const gzip = Number(arg('gzip', '4'));
  const batch = arg('batch', '256');
  const dir = arg('dir', join(tmpdir(), 'hpsearch-bench-rss'));
  const n = Math.ceil((factor * budgetMb * MB) / (BEAT_LENGTH * 4));
  const file = await syntheticHdf5(dir, n, gzip);
  console.log(`file ${file}: ${(statSync(file).size / MB).toFixed(0)} MB on disk, ${((n * BEAT_LENGTH * 4) / MB).toFixed(0)} MB of float32 signals; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`);
  const self = fileURLToPath(import.meta.url);
  const timeV = existsSync('/usr/bin/time');
  for (const [label, budget] of [
    [`lazy (budget ${budgetMb} MB)`, budgetMb * MB],
    ['shared (budget 4 GB)', 4000 * MB],
  ] as const) {
    const cmd = timeV ? '/usr/bin/time' : process.execPath;
    const args = [...(timeV ? ['-v', process.execPath] : []), self, '--child', file, '--budget', String(budget), '--batch', batch];
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) {
      console.log(`${label}: failed\n${r.stderr}`);
      continue;
    }
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | string>;
    const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
    console.log(
      `${label}: storage ${result.storage}, prepare ${(result.prepareSeconds as number).toFixed(1)} s, one epoch of ${result.rows} samples (batch ${batch}) ${(result.epochSeconds as number).toFixed(1)} s, ` +
        `peak RSS ${peak ? `${((Number(peak[1]) * 1024) / MB).toFixed(0)} MB (/usr/bin/time -v)` : ''} / ${(result.maxRssMB as number).toFixed(0)} MB (resourceUsage), after prepare ${(result.maxRssAfterPrepareMB as number).toFixed(0)} MB`,
    );
  }
}

if (process.argv.includes('--child')) await child();
else await parent();
