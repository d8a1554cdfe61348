import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import type { Batch } from '../../src/data/types.js';
import type { EarlyStoppingSettings, LrScheduleSettings } from '../../src/config/settings.js';
import type { Params } from '../../src/core/search-space.js';
import type { Metrics } from '../../src/core/trial.js';
import { CHECKPOINT_FILE } from '../../src/train/checkpoint.js';
import { trainTrial } from '../../src/train/loop.js';
import type { EpochDecision, TrainTrialOptions } from '../../src/train/options.js';
import type { TrialResult } from '../../src/train/result.js';
import { syntheticData } from './fixtures/array-data.js';
import { useTestBackend } from './fixtures/backend.js';

// Small enough for ~1 s per cnngru epoch on wasm: 160 beats of 32 samples, 3 classes.
const beats = (trialSeed: number, tamper?: (epoch: number, step: number, batch: Batch) => Batch) =>
  syntheticData({ length: 32, numClasses: 3, sizes: [160, 48, 48], trialSeed }, tamper);
const multilabel = (trialSeed: number) => syntheticData({ length: 32, channels: 2, numClasses: 3, multilabel: true, sizes: [96, 32, 32], trialSeed });

const CNNGRU: Params = { hidden: 8, gru_hidden: 8, num_layers: 2, num_blocks: 1, dropout: 0.2, batch_size: 32, learning_rate: 0.01 };
const CNN2D: Params = { hidden: 8, num_layers: 2, num_blocks: 1, dropout: 0.2, batch_size: 32, learning_rate: 0.01 };
const CNN1D: Params = { batch_size: 32, learning_rate: 0.003 };

const ES: EarlyStoppingSettings = { monitor: 'val_loss', patience: 3, min_delta: 0, restore_best_weights: true };
const LRS: LrScheduleSettings = { monitor: 'val_loss', factor: 0.5, patience: 1, min_lr: 1e-5 };

function options(over: Partial<TrainTrialOptions> & Pick<TrainTrialOptions, 'model' | 'params' | 'data'>): TrainTrialOptions {
  return { seed: 1, epochs: 2, checkpointDir: null, earlyStopping: ES, lrSchedule: LRS, ...over };
}

/** Everything reproducible about a result (durations excluded). */
function reproducible(r: TrialResult): unknown {
  return { state: r.state, history: r.history.map((h) => [h.epoch, h.metrics]), bestEpoch: r.bestEpoch, test: r.testMetrics };
}

// Runs shared by several tests (the loss test and the rerun test use the same trials).
const memo = new Map<string, Promise<TrialResult>>();
function once(key: string, opts: () => TrainTrialOptions): Promise<TrialResult> {
  let p = memo.get(key);
  if (p === undefined) {
    p = trainTrial(opts());
    memo.set(key, p);
  }
  return p;
}
const cnngruRun = (seed: number) => once(`cnngru-${seed}`, () => options({ model: 'cnngru', params: CNNGRU, data: beats(seed), seed }));

describe('trainTrial', () => {
  const dirs: string[] = [];
  const tempDir = async (): Promise<string> => {
    const d = await mkdtemp(path.join(tmpdir(), 'hpsearch-trial-'));
    dirs.push(d);
    return d;
  };
  before(async () => {
    await useTestBackend();
  });
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  describe('trains each model for two epochs with the loss going down', () => {
    const check = (r: TrialResult, names: string[]): void => {
      assert.equal(r.state, 'COMPLETE', r.failReason ?? '');
      assert.equal(r.epochsRun, 2);
      const [e1, e2] = r.history.map((h) => h.metrics);
      assert.ok((e2.loss as number) < (e1.loss as number), `training loss ${e1.loss} → ${e2.loss}`);
      for (const n of ['loss', 'val_loss', 'lr', ...names]) assert.equal(typeof e2[n], 'number', `metric ${n}`);
      assert.ok(r.testMetrics !== null);
      for (const n of names) assert.equal(typeof r.testMetrics[n], 'number', `test metric ${n}`);
    };
    const multiClass = ['accuracy', 'recall_macro', 'precision_macro', 'f1_macro'];

    it('cnngru', async () => {
      const r = await cnngruRun(1);
      check(r, multiClass);
      const cm = r.history[1].metrics.confusion_matrix as number[][];
      assert.equal(cm.flat().reduce((a, b) => a + b, 0), 48, 'confusion matrix over the 48 validation beats');
      assert.equal((r.history[1].metrics.recall_per_class as number[]).length, 3);
    });

    it('cnn2d', async () => {
      check(await once('cnn2d-1', () => options({ model: 'cnn2d', params: CNN2D, data: beats(1) })), multiClass);
    });

    it('cnn1d (multi-label, sigmoid cross-entropy)', async () => {
      const r = await trainTrial(options({ model: 'cnn1d', params: CNN1D, data: multilabel(1), earlyStopping: { ...ES, monitor: 'auroc_macro' } }));
      check(r, ['auroc_macro', 'f1_micro', 'f1_macro']);
    });
  });

  it('reruns bit-identically with the same seed and differently with another', async () => {
    const a = await cnngruRun(1);
    const b = await trainTrial(options({ model: 'cnngru', params: CNNGRU, data: beats(1), seed: 1 }));
    assert.deepStrictEqual(reproducible(b), reproducible(a));
    const c = await cnngruRun(2);
    assert.notEqual(c.history[0].metrics.loss, a.history[0].metrics.loss);
  });

  it('resumed from the checkpoint of epoch 2 ends exactly like the uninterrupted run, with flat tensor memory', async () => {
    // adamw, clipping, dropout, early stopping with restore and an LR schedule driven by lr_factor:
    // every piece of state the checkpoint has to carry.
    const params: Params = { ...CNN2D, optimizer: 'adamw', weight_decay: 0.01, clip_norm: 0.5, lr_factor: 0.3 };
    const base = { model: 'cnn2d' as const, params, epochs: 4, lrSchedule: { ...LRS, monitor: 'lr' } };
    const tensorsBefore = tf.memory().numTensors;
    const counts: number[] = [];
    const full = await trainTrial(
      options({
        ...base,
        data: beats(3),
        checkpointDir: await tempDir(),
        onEpoch: () => {
          counts.push(tf.memory().numTensors);
          return 'continue';
        },
      }),
    );
    assert.equal(full.state, 'COMPLETE');
    assert.equal(full.epochsRun, 4);
    assert.deepEqual(counts, new Array(4).fill(counts[0]), `tensor count per epoch: ${counts.join(', ')}`);
    assert.equal(tf.memory().numTensors, tensorsBefore, 'nothing left behind');
    // monitor 'lr' never improves: patience 1 → lr × lr_factor from epoch 3 on.
    assert.deepEqual(full.history.map((h) => h.metrics.lr), [0.01, 0.01, 0.01 * 0.3, 0.01 * 0.3 * 0.3]);

    const dir = await tempDir();
    const controller = new AbortController();
    const first = await trainTrial(
      options({
        ...base,
        data: beats(3),
        checkpointDir: dir,
        signal: controller.signal,
        onEpoch: (epoch) => {
          if (epoch === 2) controller.abort();
          return 'continue';
        },
      }),
    );
    assert.equal(first.state, 'INTERRUPTED');
    assert.equal(first.epochsRun, 2);
    assert.equal(first.testMetrics, null);
    assert.deepEqual(await readdir(dir), [CHECKPOINT_FILE]);

    const reported: number[] = [];
    const resumed = await trainTrial(
      options({
        ...base,
        data: beats(3), // a fresh data object, as in a new process
        checkpointDir: dir,
        resume: true,
        onEpoch: (epoch) => {
          reported.push(epoch);
          return 'continue';
        },
      }),
    );
    assert.equal(resumed.resumedFromEpoch, 2);
    assert.deepEqual(reported, [2, 3, 4], 'the last checkpointed epoch is re-delivered, then training goes on');
    assert.deepStrictEqual(reproducible(resumed), reproducible(full));

    // Stopped in the middle of epoch 3 (stopWithinEpoch): the partial epoch is thrown away and redone.
    const dir2 = await tempDir();
    const midway = new AbortController();
    const abortInEpoch3 = (epoch: number, step: number, batch: Batch): Batch => {
      if (epoch === 3 && step === 2) midway.abort();
      return batch;
    };
    const cut = await trainTrial(options({ ...base, data: beats(3, abortInEpoch3), checkpointDir: dir2, signal: midway.signal, stopWithinEpoch: true }));
    assert.equal(cut.state, 'INTERRUPTED');
    assert.equal(cut.epochsRun, 2);
    const redone = await trainTrial(options({ ...base, data: beats(3), checkpointDir: dir2, resume: true }));
    assert.deepStrictEqual(reproducible(redone), reproducible(full));
  });

  it('restores the best weights at the end: test metrics equal those of the best epoch', async () => {
    // Monitoring 'lr' (maximised, constant) makes epoch 1 the best and stops after epoch 2.
    const es: EarlyStoppingSettings = { monitor: 'lr', patience: 1, min_delta: 0, restore_best_weights: true };
    const stopped = await trainTrial(options({ model: 'cnn2d', params: CNN2D, data: beats(4), epochs: 5, earlyStopping: es, lrSchedule: null }));
    assert.equal(stopped.stoppedEarly, true);
    assert.equal(stopped.epochsRun, 2);
    assert.equal(stopped.bestEpoch, 1);
    assert.deepStrictEqual(stopped.bestMetrics, stopped.history[0].metrics);
    const oneEpoch = await trainTrial(options({ model: 'cnn2d', params: CNN2D, data: beats(4), epochs: 1, earlyStopping: null, lrSchedule: null }));
    assert.deepStrictEqual(stopped.testMetrics, oneEpoch.testMetrics);
  });

  it('ends as FAIL naming the epoch and step where the loss became NaN', async () => {
    const poison = (epoch: number, step: number, batch: Batch): Batch => {
      if (epoch !== 2 || step !== 3) return batch;
      // A NaN target makes the loss NaN on every backend (a NaN input may be swallowed by a
      // ReLU or max-pool whose kernel maps NaN to 0).
      const y = batch.y.slice();
      y[0] = Number.NaN;
      return { ...batch, y };
    };
    const before = tf.memory().numTensors;
    const r = await trainTrial(options({ model: 'cnn2d', params: CNN2D, data: beats(1, poison), epochs: 3 }));
    assert.equal(r.state, 'FAIL');
    assert.equal(r.failReason, 'loss became NaN at epoch 2 step 3');
    assert.equal(r.epochsRun, 1);
    assert.equal(r.testMetrics, null);
    assert.equal(tf.memory().numTensors, before);
  });

  it("stops as PRUNED when onEpoch says 'prune'", async () => {
    const dir = await tempDir();
    const decisions: Array<[number, Metrics]> = [];
    const r = await trainTrial(
      options({
        model: 'cnn2d',
        params: CNN2D,
        data: beats(1),
        epochs: 3,
        checkpointDir: dir,
        onEpoch: (epoch, metrics): Promise<EpochDecision> => {
          decisions.push([epoch, metrics]);
          return Promise.resolve(epoch === 1 ? 'prune' : 'continue');
        },
      }),
    );
    assert.equal(r.state, 'PRUNED');
    assert.equal(r.epochsRun, 1);
    assert.equal(decisions.length, 1);
    assert.equal(r.testMetrics, null);
    assert.deepEqual(await readdir(dir), [CHECKPOINT_FILE], 'the pruned epoch was checkpointed first');
  });

  it('refuses a checkpoint of another configuration and a monitor that is not a metric', async () => {
    const dir = await tempDir();
    await trainTrial(options({ model: 'cnn2d', params: CNN2D, data: beats(1), epochs: 1, checkpointDir: dir }));
    await assert.rejects(
      trainTrial(options({ model: 'cnn2d', params: { ...CNN2D, hidden: 4 }, data: beats(1), epochs: 2, checkpointDir: dir, resume: true })),
      /belongs to another configuration/,
    );
    await assert.rejects(
      trainTrial(options({ model: 'cnn2d', params: CNN2D, data: beats(1), earlyStopping: { ...ES, monitor: 'val_acc' } })),
      /early_stopping.monitor "val_acc" is not an epoch metric/,
    );
  });
});
