/**
 * SMOTE on a Kaggle-size set (87,554 × 187, synthesised): time to build the per-class
 * neighbour table here versus imbalanced-learn's SMOTE on this machine, and the bytes held for
 * the balanced training set versus a materialised SMOTE set.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench/data-smote.js [--n 87554] [--threads 2] [--no-python]
 *
 * Needs /usr/bin/python3 with python3-imblearn for the comparison (skipped otherwise).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rangeArray } from '../../src/data/labels.js';
import { SmoteBalancedSet, buildSmoteNeighbourTable } from '../../src/data/smote.js';
import { InMemorySignalSource } from '../../src/data/source.js';
import { BEAT_LENGTH, generateSynthetic } from '../../src/data/synthetic.js';
import { BalancedTrainingData } from '../../src/data/training-data.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : fallback;
}

const n = Number(arg('n', '87554'));
const seed = Number(arg('seed', '0'));
const threadsMax = Number(arg('threads', String(availableParallelism())));
const python = !process.argv.includes('--no-python');
const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}, node ${process.version}, load average ${(await import('node:os')).loadavg().map((v) => v.toFixed(1)).join(' ')}`);
let t0 = performance.now();
const syn = generateSynthetic({ n, seed });
console.log(`generated ${n} × ${BEAT_LENGTH} synthetic beats in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const labels = syn.labels;
const source = new InMemorySignalSource(syn.signals, n, BEAT_LENGTH, 1);
const all = rangeArray(n);
const counts = labels.classes.map((_, c) => labels.classIndex.filter((v) => v === c).length);
console.log(`class counts ${labels.classes.map((c, i) => `${c} ${counts[i]}`).join(', ')}`);

const timings: Record<string, number> = {};
let table = null;
for (const threads of [...new Set([1, threadsMax])]) {
  t0 = performance.now();
  table = await buildSmoteNeighbourTable(source, labels, all, { k: 5, threads });
  timings[`threads=${threads}`] = (performance.now() - t0) / 1000;
  console.log(`hpsearch neighbour table (exact, k=5, ${threads} thread${threads > 1 ? 's' : ''}): ${timings[`threads=${threads}`]!.toFixed(2)} s, ${mib(table.bytes)}`);
}

// The balanced set a trial holds, and what materialising it would cost.
const data = new BalancedTrainingData(
  { source, labels, split: { train: all, val: new Int32Array(0), test: new Int32Array(0) }, smoteTable: table, ownsSource: false },
  { balancing: 'smote', seed: 1 },
);
const set = data.balanced as SmoteBalancedSet;
const heldBytes = data.balancedSetBytes + table!.bytes;
const materialisedF32 = set.size * BEAT_LENGTH * 4 + set.size * 8;
const syntheticF32 = set.plan.size * BEAT_LENGTH * 4;
console.log(`balanced set: ${set.size} samples (${n} original + ${set.plan.size} synthetic)`);
console.log(`held by hpsearch: ${mib(heldBytes)} (training index ${mib(4 * n)}, SMOTE plan ${mib(set.plan.bytes)} = ${set.plan.bytes / set.plan.size} B per synthetic sample, neighbour table ${mib(table!.bytes)})`);
console.log(`materialised SMOTE (float32 X + int64 y, as imbalanced-learn returns): ${mib(materialisedF32)} (synthetic part ${mib(syntheticF32)}); with float64 X: ${mib(set.size * BEAT_LENGTH * 8 + set.size * 8)}`);

t0 = performance.now();
let rows = 0;
for await (const b of data.trainBatches(0, 256)) rows += b.size;
const epochS = (performance.now() - t0) / 1000;
console.log(`one SMOTE epoch (${rows} samples, batch 256, synthesised at batch time, shared memory): ${epochS.toFixed(2)} s`);

let imb: Record<string, unknown> | null = null;
if (python) {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-bench-smote-'));
  try {
    writeFileSync(join(dir, 'X.f32'), new Uint8Array(syn.signals.buffer));
    writeFileSync(join(dir, 'y.i32'), new Uint8Array(labels.classIndex.buffer));
    const script = fileURLToPath(new URL('../../../scripts/bench/data-smote-imblearn.py', import.meta.url));
    const r = spawnSync('/usr/bin/python3', [script, join(dir, 'X.f32'), join(dir, 'y.i32'), String(n), String(BEAT_LENGTH), join(dir, 'out.json')], { encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] });
    if (r.status !== 0) {
      console.log(`imbalanced-learn comparison skipped: ${r.stderr.trim().split('\n').at(-1)}`);
    } else {
      imb = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Record<string, unknown>;
      console.log(`imbalanced-learn ${String(imb.imblearn)} (scikit-learn ${String(imb.sklearn)}, numpy ${String(imb.numpy)}): neighbour search ${(imb.knn_seconds as number).toFixed(2)} s, SMOTE.fit_resample ${(imb.fit_resample_seconds as number).toFixed(2)} s, resampled set ${mib(imb.resampled_bytes as number)}`);
      // Do the two neighbour searches agree? (Every minority sample; ties may be ordered differently.)
      const cmp = imb.compare_neighbours as Record<string, number[]>;
      for (let c = 0; c < labels.numClasses; c++) {
        const [a, b] = table!.classRange(c);
        if (a === b) continue;
        let same = 0;
        let sameSet = 0;
        for (let r2 = a; r2 < b; r2++) {
          const theirs = cmp[String(table!.sampleOf(r2))]!;
          const ours = Array.from(table!.neighboursOf(r2));
          if (theirs.every((v, j) => v === ours[j])) same++;
          if ([...theirs].sort().join() === [...ours].sort().join()) sameSet++;
        }
        console.log(`class ${labels.classes[c]}: neighbour lists identical to scikit-learn's for ${same} / ${b - a} samples (same set: ${sameSet})`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(JSON.stringify({ n, d: BEAT_LENGTH, tableSeconds: timings, tableBytes: table!.bytes, heldBytes, materialisedBytesF32: materialisedF32, planBytes: set.plan.bytes, synthetic: set.plan.size, epochSeconds: epochS, imblearn: imb && { knn_seconds: imb.knn_seconds, fit_resample_seconds: imb.fit_resample_seconds, resampled_bytes: imb.resampled_bytes } }));
