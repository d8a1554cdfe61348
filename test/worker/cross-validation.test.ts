/**
 * Cross-validated trials (data.cv), with real training on a tiny synthetic set: one model per
 * fold, the value the mean of the folds' objectives, steps numbered fold · epochs + epoch with
 * the running mean for the pruner, a resume that continues inside the interrupted fold and
 * ends bit for bit where an uninterrupted run ends, and the CLI's leaderboard and rerun.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseSpaceText } from '../../src/config/parse.js';
import type { Metrics } from '../../src/core/trial.js';
import { prepareStudyData } from '../../src/data/prepare.js';
import { taskOf } from '../../src/study/drive.js';
import { CV_RUNNING_OBJECTIVE } from '../../src/train/epoch-metrics.js';
import { trainHere } from '../../src/worker/train-here.js';
import { hpsearch } from '../cli/helpers.js';

const TINY = readFileSync(fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url)), 'utf8');
const CV_SPACE = TINY.replace('  split: {val: 0.2, test: 0.2, by: stratified, seed: 0}', '  split: {test: 0.2, by: stratified, seed: 0}\n  cv: {folds: 3}').replace('study: tiny', 'study: tiny-cv\n# 400 beats hold 3 fusion beats: too few for a validation sample in each of 3 folds, so the macro metrics leave F out.\nmetrics: {ignore_classes: [F]}');
const dir = mkdtempSync(join(tmpdir(), 'hpsearch-cv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const EPOCHS = 2;
const settings = parseSpaceText(CV_SPACE, join(dir, 'cv.yaml')).settings;
const params = { learning_rate: 0.005, dataset: 'oversampled', dropout: 0 };

test('the folds cut everything but the test split, each validating once', async () => {
  const prepared = await prepareStudyData(settings.data, { cacheDir: join(dir, 'cache'), smote: false, ignoreClasses: ['F'] });
  const folds = prepared.ref.folds!;
  assert.equal(folds.length, 3);
  const test = Array.from(prepared.ref.split.test);
  const vals = folds.flatMap((f) => Array.from(f.split.val));
  assert.equal(new Set(vals).size, vals.length, 'no sample validates twice');
  assert.deepEqual([...vals, ...test].sort((a, b) => a - b), Array.from({ length: 400 }, (_, i) => i), 'folds and test cover the data');
  for (const f of folds) {
    assert.deepEqual(Array.from(f.split.test), test);
    assert.equal(f.split.train.length + f.split.val.length, 400 - test.length);
    assert.ok(!Array.from(f.split.train).some((i) => f.split.val.includes(i)));
  }
  // Stratified: the folds' class counts differ by at most one.
  for (let c = 0; c < 5; c++) {
    const counts = prepared.folds!.map((f) => f.classCounts.val[c]!);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `class ${c}: ${counts}`);
  }
});

async function train(checkpointDir: string | null, stopAtStep: number | null): Promise<{ result: Awaited<ReturnType<typeof trainHere>>; steps: Map<number, Metrics> }> {
  const prepared = await prepareStudyData(settings.data, { cacheDir: join(dir, 'cache'), smote: false });
  const task = { ...taskOf({ settings: { ...settings, budget: { trials: 1, epochs: EPOCHS } }, checkpointRoot: join(dir, 'ck') }, { id: 1, number: 0, params, seed: 11 }), checkpointDir: checkpointDir ?? join(dir, 'unused') };
  const steps = new Map<number, Metrics>();
  const stop = new AbortController();
  const result = await trainHere(task, {
    backend: 'auto',
    data: prepared.ref,
    onEpoch: (step, metrics) => {
      steps.set(step, metrics);
      if (step === stopAtStep) stop.abort();
      return 'continue';
    },
    signal: stop.signal,
    checkpoint: checkpointDir !== null,
  });
  return { result, steps };
}

test('a cross-validated trial trains one model per fold and is valued at the mean of their objectives; a resume continues inside the fold and ends bit for bit as an uninterrupted run', async () => {
  const whole = await train(null, null);
  assert.equal(whole.result.state, 'COMPLETE');
  const cv = whole.result.cv!;
  assert.equal(cv.values.length, 3);
  const mean = cv.values.reduce((a, b) => a + b, 0) / 3;
  assert.equal(whole.result.bestMetrics!.recall_macro, mean);
  const sd = Math.sqrt(cv.values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
  assert.ok(Math.abs(cv.std - sd) < 1e-12);
  assert.deepEqual([...whole.steps.keys()], [1, 2, 3, 4, 5, 6], 'steps are fold · epochs + epoch');
  assert.deepEqual([...whole.steps.values()].map((m) => m.fold), [0, 0, 1, 1, 2, 2]);
  // The pruner's value: fold 0 alone, then the running mean with the finished folds.
  assert.equal(whole.steps.get(2)![CV_RUNNING_OBJECTIVE], whole.steps.get(2)!.recall_macro);
  assert.equal(whole.steps.get(3)![CV_RUNNING_OBJECTIVE], (cv.values[0]! + (whole.steps.get(3)!.recall_macro as number)) / 2);
  assert.notEqual(whole.steps.get(1)!.val_loss, whole.steps.get(3)!.val_loss, 'the folds are different data');

  // Interrupted after fold 1's first epoch (step 3), then resumed from the checkpoints.
  const ck = join(dir, 'resume');
  const first = await train(ck, 3);
  assert.equal(first.result.state, 'INTERRUPTED');
  assert.ok(existsSync(join(ck, 'fold-0', 'result.json')), 'the finished fold left its result');
  assert.ok(!existsSync(join(ck, 'fold-1', 'result.json')));
  const second = await train(ck, null);
  assert.equal(second.result.state, 'COMPLETE');
  assert.deepEqual([...second.steps.keys()], [3, 4, 5, 6], 'fold 0 is not trained again; fold 1 resumes after its epoch 1');
  assert.equal(second.result.resumedFromEpoch, 3);
  for (const s of [3, 4, 5, 6]) assert.deepEqual(second.steps.get(s), whole.steps.get(s), `step ${s}`);
  assert.deepEqual(second.result.cv, whole.result.cv);
  assert.deepEqual(second.result.testMetrics, whole.result.testMetrics);
});

test('hpsearch run on a cross-validated space shows the folds, ranks by their mean with cv_std, and rerun matches bit for bit', () => {
  const space = join(dir, 'cv-cli.yaml');
  writeFileSync(space, CV_SPACE);
  const db = join(dir, 'cv.db');
  const run = hpsearch(['run', space, '--db', db, '--trials', '2', '--pruner', 'none'], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stderr, /class counts of the split \(3 cross-validation folds\):\n\s+samples\s+N\s+S\s+V\s+F\s+Q\n\s+fold 1 train/);
  assert.match(run.stdout, /cv_std/);
  const rows = JSON.parse(hpsearch(['leaderboard', '--db', db, '--format', 'json']).stdout) as { number: number; value: number; epochs: number; metrics: { cv_std: number; cv_values: number[] } }[];
  assert.equal(rows.length, 2);
  for (const r of rows) {
    assert.equal(r.epochs, 3 * 2);
    assert.equal(r.metrics.cv_values.length, 3);
    assert.ok(Math.abs(r.value - r.metrics.cv_values.reduce((a, b) => a + b, 0) / 3) < 1e-12);
    assert.ok(r.metrics.cv_std >= 0);
  }
  const rerun = hpsearch(['rerun', 'tiny-cv', String(rows[0]!.number), '--db', db, '--json'], { timeoutMs: 300_000 });
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  const r = JSON.parse(rerun.stdout) as { match: boolean; epochs: number };
  assert.equal(r.match, true);
  assert.equal(r.epochs, 6);
});
