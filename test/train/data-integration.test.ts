/**
 * The training loop on the data layer's own TrainingData (`trainingDataFromArrays`): SMOTE
 * balancing and per-batch augmentation are functions of (seed, epoch), so reruns and resumes
 * stay bit-identical on the real data path too.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { trainingDataFromArrays } from '../../src/data/training-data.js';
import type { TrainingData } from '../../src/data/types.js';
import type { Params } from '../../src/core/search-space.js';
import { trainTrial } from '../../src/train/loop.js';
import type { TrainTrialOptions } from '../../src/train/options.js';
import type { TrialResult } from '../../src/train/result.js';
import { syntheticSplit } from './fixtures/array-data.js';
import { useTestBackend } from './fixtures/backend.js';

const LENGTH = 32;

/** 3 classes, the last one rare (1 in 6), so SMOTE has minority samples to synthesise. */
function imbalanced(): { signals: Float32Array; labels: Int32Array } {
  const all = syntheticSplit({ n: 360, length: LENGTH, numClasses: 3, seed: 11 });
  const keep: number[] = [];
  for (let i = 0; i < all.n; i++) if (all.labels[i] !== 2 || i % 6 === 2) keep.push(i);
  const signals = new Float32Array(keep.length * LENGTH);
  keep.forEach((row, k) => signals.set(all.x.subarray(row * LENGTH, (row + 1) * LENGTH), k * LENGTH));
  return { signals, labels: Int32Array.from(keep, (row) => all.labels[row]) };
}

const PARAMS: Params = { hidden: 8, num_layers: 2, num_blocks: 1, dropout: 0.2, batch_size: 32, learning_rate: 0.01, optimizer: 'adamw' };

describe('trainTrial on trainingDataFromArrays (SMOTE + augmentation)', () => {
  const arrays = imbalanced();
  const dirs: string[] = [];
  const opened: TrainingData[] = [];
  const data = async (): Promise<TrainingData> => {
    const d = await trainingDataFromArrays(
      { signals: arrays.signals, length: LENGTH, labels: arrays.labels, split: { val: 0.2, test: 0.2, seed: 0 } },
      { balancing: 'smote', seed: 77, augment: { gaussian_noise: 0.05, amplitude_scale: 0.1, mixup: 0.2 } },
    );
    opened.push(d);
    return d;
  };
  const run = async (over: Partial<TrainTrialOptions>): Promise<TrialResult> =>
    trainTrial({
      model: 'cnn2d',
      params: PARAMS,
      seed: 77,
      data: await data(),
      epochs: 3,
      checkpointDir: null,
      earlyStopping: { monitor: 'recall_macro', patience: 5, min_delta: 0, restore_best_weights: true },
      lrSchedule: { monitor: 'val_loss', factor: 0.5, patience: 1, min_lr: 1e-5 },
      ...over,
    });
  const reproducible = (r: TrialResult): unknown => ({ history: r.history.map((h) => h.metrics), test: r.testMetrics });

  before(async () => {
    await useTestBackend();
  });
  after(async () => {
    await Promise.all(opened.map((d) => d.close()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('reruns bit-identically and resumes to the uninterrupted result', async () => {
    const full = await run({});
    assert.equal(full.state, 'COMPLETE', full.failReason ?? '');
    assert.deepStrictEqual(reproducible(await run({})), reproducible(full));

    const dir = await mkdtemp(path.join(tmpdir(), 'hpsearch-data-'));
    dirs.push(dir);
    const controller = new AbortController();
    const cut = await run({ checkpointDir: dir, signal: controller.signal, onEpoch: () => (controller.abort(), 'continue') });
    assert.equal(cut.state, 'INTERRUPTED');
    assert.equal(cut.epochsRun, 1);
    const resumed = await run({ checkpointDir: dir, resume: true });
    assert.deepStrictEqual(reproducible(resumed), reproducible(full));
  });
});
