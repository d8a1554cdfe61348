/**
 * Exports checked with stock runtimes, not our code: for each model (cnngru, cnn2d, and a
 * multi-label cnn1d), a tiny real study, its best trial exported as ONNX (loaded by
 * onnxruntime-node) and as TF.js Layers (loaded by plain @tensorflow/tfjs in a process with
 * nothing of hpsearch): on new beats, the same probabilities as `hpsearch predict` within
 * 1e-5 and the same class for every beat; on the study's test split, the test metrics
 * stored for the trial.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { hpsearch } from '../cli/helpers.js';
import { scalarMetrics, type Metrics } from '../../src/core/trial.js';
import { classificationMetrics, multilabelMetrics, sigmoidCrossEntropy, softmaxCrossEntropy } from '../../src/train/metrics.js';
import { writeTestSplit, type TestSplit } from './helpers.js';

const LOAD_TFJS = fileURLToPath(new URL('../../../test/deploy/fixtures/load-tfjs.mjs', import.meta.url));
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-export-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const STUDIES = {
  cnngru: `model: cnngru
data: {source: synthetic, n: 600, seed: 3, split: {val: 0.2, test: 0.2, seed: 0}}
defaults: {hidden: 8, gru_hidden: 16, num_layers: 2, num_blocks: 1, batch_size: 32, dataset: oversampled, dropout: 0.2}`,
  cnn2d: `model: cnn2d
data: {source: synthetic, n: 600, seed: 3, split: {val: 0.2, test: 0.2, seed: 0}}
defaults: {hidden: 8, num_layers: 2, num_blocks: 1, batch_size: 64, dataset: oversampled, dropout: 0.2}`,
  'cnn1d-multilabel': `model: cnn1d
objective: {metric: f1_macro, direction: maximize}
data: {source: synthetic, multilabel: true, n: 400, seed: 3, split: {val: 0.2, test: 0.2, seed: 0}}
defaults: {hidden: 8, batch_size: 64, dataset: oversampled}`,
} as const;

interface Study {
  readonly db: string;
  readonly yaml: string;
  readonly name: string;
}

function runStudy(name: keyof typeof STUDIES): Study {
  const yaml = join(dir, `${name}.yaml`);
  writeFileSync(yaml, `study: ${name}\n${STUDIES[name]}\nbudget: {trials: 1, epochs: 3}\nsampler: {type: random, seed: 1}\npruner: {type: none}\nworkers: 1\nparams:\n  learning_rate: {type: float, low: 1.0e-2, high: 2.0e-2, log: true}\n`);
  const db = join(dir, `${name}.db`);
  const run = hpsearch(['run', yaml, '--db', db], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  return { db, yaml, name };
}

/** Probabilities per beat from `hpsearch predict DIR` (our runtime, from the export folder). */
function ourPredictions(exported: string, data: string): { probabilities: number[]; class: string | string[] }[] {
  const r = hpsearch(['predict', exported, data, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { probabilities: number[]; class: string | string[] }[];
}

function assertClose(actual: ArrayLike<number>, ours: readonly { probabilities: number[] }[], k: number, what: string): void {
  assert.equal(actual.length, ours.length * k, what);
  let max = 0;
  ours.forEach((o, i) => o.probabilities.forEach((p, j) => (max = Math.max(max, Math.abs(p - actual[i * k + j]!)))));
  assert.ok(max <= 1e-5, `${what}: max |difference| ${max}`);
}

function classesOf(p: ArrayLike<number>, k: number, classes: readonly string[], multilabel: boolean): (string | string[])[] {
  const out: (string | string[])[] = [];
  for (let i = 0; i < p.length / k; i++) {
    const row = Array.from({ length: k }, (_, j) => p[i * k + j]!);
    out.push(multilabel ? classes.filter((_, j) => row[j]! >= 0.5) : classes[row.indexOf(Math.max(...row))]!);
  }
  return out;
}

/** The training loop's metrics (train/metrics.ts) from a runtime's probabilities. */
function metricsFromProbabilities(p: ArrayLike<number>, split: TestSplit): Metrics {
  const k = split.classes.length;
  const n = split.count;
  const clamp = (q: number): number => Math.min(Math.max(q, 1e-12), 1 - 1e-12);
  if (split.multilabel) {
    const logits = Float64Array.from(p, (q) => Math.log(clamp(q) / (1 - clamp(q))));
    const targets = Float32Array.from(split.multiHot);
    return { loss: sigmoidCrossEntropy(logits, targets, n, k), ...multilabelMetrics(logits, targets, n, k) };
  }
  const logits = Float64Array.from(p, (q) => Math.log(clamp(q)));
  const targets = new Float32Array(n * k);
  split.classIndex.forEach((c, i) => (targets[i * k + c] = 1));
  return { loss: softmaxCrossEntropy(logits, targets, n, k), ...classificationMetrics(logits, split.classIndex, k) };
}

/**
 * Whether every class's scores tell the beats apart by more than float32 rounding: AUROC
 * ranks beats by score, and scores closer than ~1e-6 are ranked by rounding noise, which
 * differs between any two runtimes (a barely trained model scores every beat alike).
 */
function ranksAreStable(p: ArrayLike<number>, k: number): boolean {
  for (let j = 0; j < k; j++) {
    const column = Array.from({ length: p.length / k }, (_, i) => p[i * k + j]!).sort((a, b) => a - b);
    for (let i = 1; i < column.length; i++) if (column[i]! - column[i - 1]! < 1e-6) return false;
  }
  return true;
}

function assertStoredMetrics(runtime: Metrics, stored: Metrics, what: string, withAuroc: boolean): void {
  const ours = scalarMetrics(runtime);
  for (const [key, value] of Object.entries(scalarMetrics(stored))) {
    if (!withAuroc && key.startsWith('auroc')) continue;
    // Relative for the loss, which is not bounded by 1 (float32 sums of the runtimes).
    assert.ok(Math.abs((ours[key] ?? NaN) - value) <= 1e-5 * Math.max(1, Math.abs(value)), `${what}: ${key} ${ours[key]} vs stored ${value}`);
  }
  if (stored.confusion_matrix !== undefined) assert.deepEqual(runtime.confusion_matrix, stored.confusion_matrix, `${what}: confusion matrix`);
}

function tfjsProbabilities(exported: string, split: TestSplit): { input: string; probabilities: number[] } {
  const raw = join(dir, 'beats.f32');
  writeFileSync(raw, new Uint8Array(split.x.buffer, split.x.byteOffset, split.x.byteLength));
  const r = spawnSync(process.execPath, [LOAD_TFJS, exported, raw, String(split.count), String(split.length), String(split.channels)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { input: string; probabilities: number[] };
}

for (const name of Object.keys(STUDIES) as (keyof typeof STUDIES)[]) {
  test(`${name}: the ONNX and TF.js exports give hpsearch predict's probabilities and the stored test metrics`, async (t) => {
    const study = runStudy(name);
    const split = await writeTestSplit(study.yaml, study.db, join(dir, `${name}-test.h5`));
    const fresh = join(dir, `${name}-new.h5`);
    const synth = hpsearch(['data', 'synth', '--out', fresh, '--n', '60', '--seed', '99', ...(split.multilabel ? ['--multilabel'] : [])]);
    assert.equal(synth.code, 0, synth.stderr);
    const k = split.classes.length;
    const card = (folder: string): { metrics: { test: Metrics }; input: { name: string; shape: unknown[] }; output: { name: string; kind: string }; classes: string[] } =>
      JSON.parse(readFileSync(join(folder, 'model-card.json'), 'utf8'));

    await t.test('onnx, loaded by onnxruntime-node', async () => {
      const out = join(dir, `${name}-onnx`);
      const exported = hpsearch(['export-model', name, '--db', study.db, '--out', out]);
      assert.equal(exported.code, 0, exported.stderr);
      const c = card(out);
      assert.deepEqual(c.input.shape, [null, split.length, split.channels]);
      assert.equal(c.output.kind, split.multilabel ? 'sigmoid' : 'softmax');
      const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
      assert.deepEqual([session.inputNames, session.outputNames], [[c.input.name], [c.output.name]]);
      const run = async (x: Float32Array, n: number): Promise<Float32Array> =>
        (await session.run({ [c.input.name]: new ort.Tensor('float32', x, [n, split.length, split.channels]) }))[c.output.name]!.data as Float32Array;
      // New beats: the same probabilities and classes as hpsearch predict.
      const { LazyHdf5Dataset } = await import('../../src/data/hdf5/lazy-dataset.js');
      const ds = await LazyHdf5Dataset.open(fresh);
      const x = ds.readRange(0, ds.count);
      ds.close();
      const ours = ourPredictions(out, fresh);
      const p = await run(x, ours.length);
      assertClose(p, ours, k, 'onnxruntime vs hpsearch predict');
      assert.deepEqual(classesOf(p, k, c.classes, split.multilabel), ours.map((o) => o.class));
      // The test split: the trial's stored test metrics.
      const onTest = await run(split.x, split.count);
      const stable = ranksAreStable(onTest, k);
      if (!stable) t.diagnostic(`${name}: the trial scores test beats alike (within 1e-6): AUROC, a ranking, is not compared`);
      assertStoredMetrics(metricsFromProbabilities(onTest, split), c.metrics.test, 'onnxruntime on the test split', stable);
    });

    await t.test('tfjs, loaded by stock @tensorflow/tfjs', async (t2) => {
      const out = join(dir, `${name}-tfjs`);
      const exported = hpsearch(['export-model', name, '--db', study.db, '--out', out, '--format', 'tfjs']);
      if (exported.code === 1 && /not implemented/.test(exported.stderr)) return t2.skip('the TF.js converter is not merged yet');
      assert.equal(exported.code, 0, exported.stderr);
      const c = card(out);
      const loaded = tfjsProbabilities(out, split);
      const ours = ourPredictions(out, join(dir, `${name}-test.h5`));
      assertClose(loaded.probabilities, ours, k, 'tfjs vs hpsearch predict');
      assert.deepEqual(classesOf(loaded.probabilities, k, c.classes, split.multilabel), ours.map((o) => o.class));
      assertStoredMetrics(metricsFromProbabilities(loaded.probabilities, split), c.metrics.test, 'tfjs on the test split', ranksAreStable(loaded.probabilities, k));
    });
  });
}
