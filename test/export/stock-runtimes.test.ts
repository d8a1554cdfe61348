/**
 * An exported model computes, in the runtimes our users deploy with, what hpsearch computes:
 * each configuration of test/export/fixtures/trained-models.ts is exported to ONNX and to
 * TF.js Layers files, and on new beats the class probabilities of
 *  - onnxruntime-node (graph optimisations on) reading the ONNX bytes, and
 *  - stock @tensorflow/tfjs in a process of its own, with nothing of hpsearch loaded,
 *    fetching model.json and its weights over http as a browser does
 * equal hpsearch's own (the model's logits on the test backend, then softmax or sigmoid)
 * within 1e-5, with the same predicted class for every beat.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';

import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME, toOnnxModel, toTfjsLayers } from '../../src/export/index.js';
import { ONNX_CONVERTERS } from '../../src/export/onnx/layers.js';
import { REPLACED_CLASSES, STOCK_CLASSES } from '../../src/export/tfjs/to-tfjs-layers.js';
import { useTestBackend } from '../train/fixtures/backend.js';
import { serveDirectory, type StaticServer } from './fixtures/static-server.js';
import type { StockJob, StockResult } from './fixtures/stock-tfjs-predict.js';
import { MODEL_CASES, type ModelCase, randomBeats, trainedModel } from './fixtures/trained-models.js';

const STOCK_PREDICT = fileURLToPath(new URL('./fixtures/stock-tfjs-predict.js', import.meta.url));
const BEATS = 12;
const TOLERANCE = 1e-5;

interface Prepared {
  readonly c: ModelCase;
  readonly layerClasses: ReadonlySet<string>;
  readonly beats: Float32Array;
  /** hpsearch's probabilities [BEATS, classes]. */
  readonly ours: Float32Array;
  readonly onnx: Uint8Array;
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Probabilities equal within TOLERANCE, and the same decision for every beat. */
function assertSameProbabilities(actual: ArrayLike<number>, expected: Float32Array, c: ModelCase, who: string): void {
  assert.equal(actual.length, expected.length, `${who}: ${actual.length} values for ${BEATS} beats × ${c.classes} classes`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= TOLERANCE, `${who}: probabilities differ by up to ${worst}`);
  for (let b = 0; b < BEATS; b++) {
    const row = (x: ArrayLike<number>): number[] => Array.from({ length: c.classes }, (_, k) => x[b * c.classes + k]);
    assert.equal(argmax(row(actual)), argmax(row(expected)), `${who}: beat ${b} gets another class`);
    if (c.multilabel) assert.deepEqual(row(actual).map((p) => p >= 0.5), row(expected).map((p) => p >= 0.5), `${who}: beat ${b} gets other labels`);
  }
}

async function onnxProbabilities(bytes: Uint8Array, beats: Float32Array, n: number, c: ModelCase): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    assert.deepEqual(session.inputNames, [EXPORT_INPUT_NAME]);
    assert.deepEqual(session.outputNames, [EXPORT_OUTPUT_NAME]);
    const out = await session.run({ [EXPORT_INPUT_NAME]: new ort.Tensor('float32', beats, [n, c.length, c.channels]) });
    const probabilities = out[EXPORT_OUTPUT_NAME];
    assert.deepEqual(probabilities.dims, [n, c.classes]);
    return probabilities.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('an exported model gives hpsearch’s probabilities in onnxruntime and in stock TF.js', () => {
  const prepared: Prepared[] = [];
  let stock: StockResult[] = [];
  let dir = '';
  let server: StaticServer | null = null;

  before(async () => {
    await useTestBackend();
    dir = await mkdtemp(join(tmpdir(), 'hpsearch-export-'));
    server = await serveDirectory(dir);
    const jobs: StockJob[] = [];
    for (const [i, c] of MODEL_CASES.entries()) {
      const { built, dispose } = await trainedModel(c, 11 + i);
      try {
        const onnx = toOnnxModel(built, { length: c.length, channels: c.channels }, { producerVersion: 'test' });
        const { modelJson, weightData, weightsPath } = toTfjsLayers(built);
        const caseDir = join(dir, `case${i}`);
        await mkdir(caseDir);
        await writeFile(join(caseDir, 'model.json'), JSON.stringify(modelJson));
        await writeFile(join(caseDir, weightsPath), weightData);
        const beats = randomBeats(BEATS, c.length, c.channels, 100 + i);
        // After both exports: exporting must leave the model as it was.
        const ours = tf.tidy(() => {
          const logits = built.model.predict(tf.tensor3d(beats, [BEATS, c.length, c.channels])) as tf.Tensor;
          return (built.output === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits)).dataSync() as Float32Array;
        });
        const layerClasses = new Set(built.model.layers.map((l) => l.getClassName()));
        prepared.push({ c, layerClasses, beats, ours: Float32Array.from(ours), onnx });
        jobs.push({ url: `${server.url}/case${i}/model.json`, shape: [BEATS, c.length, c.channels], values: Array.from(beats) });
      } finally {
        dispose();
      }
    }
    const jobsFile = join(dir, 'jobs.json');
    const resultsFile = join(dir, 'results.json');
    await writeFile(jobsFile, JSON.stringify(jobs));
    await promisify(execFile)(process.execPath, [STOCK_PREDICT, jobsFile, resultsFile], { maxBuffer: 1 << 24 });
    stock = JSON.parse(await readFile(resultsFile, 'utf8')) as StockResult[];
  });

  after(async () => {
    await server?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  MODEL_CASES.forEach((c, i) => {
    describe(c.title, () => {
      it('onnxruntime (graph optimisations on) gives the same probabilities and classes, for a batch and for one beat', async () => {
        const p = prepared[i];
        assertSameProbabilities(await onnxProbabilities(p.onnx, p.beats, BEATS, c), p.ours, c, 'onnxruntime');
        const per = c.length * c.channels;
        const first = await onnxProbabilities(p.onnx, p.beats.subarray(0, per), 1, c);
        assert.ok(Array.from(first).every((v, k) => Math.abs(v - p.ours[k]) <= TOLERANCE), 'a batch of one beat (the batch dimension is symbolic)');
      });

      it('stock @tensorflow/tfjs loading model.json over http gives the same probabilities and classes', () => {
        const result = stock[i];
        assert.ok(!('error' in result), `tf.loadLayersModel failed: ${'error' in result ? result.error : ''}`);
        assert.deepEqual(result.shape, [BEATS, c.classes]);
        assert.equal(result.inputName, EXPORT_INPUT_NAME);
        assert.equal(result.outputName, EXPORT_OUTPUT_NAME);
        assertSameProbabilities(result.values, prepared[i].ours, c, 'stock tfjs');
      });
    });
  });

  it('the configurations above use every layer class the converters know', () => {
    const used = new Set(prepared.flatMap((p) => [...p.layerClasses]));
    used.delete('InputLayer');
    assert.deepEqual([...used].sort(), Object.keys(ONNX_CONVERTERS).sort(), 'ONNX converters');
    assert.deepEqual([...used].sort(), [...STOCK_CLASSES, ...REPLACED_CLASSES].sort(), 'TF.js conversions');
  });
});
