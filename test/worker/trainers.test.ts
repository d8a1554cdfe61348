/**
 * ThreadTrainer and ProcessTrainer, each training one real tiny trial (the fixture study's
 * model on 400 synthetic beats) in this test process: the epochs come over the protocol,
 * a prune decision and a stop go back, and the result names the backend.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Metrics } from '../../src/core/trial.js';
import type { StudySettings } from '../../src/config/settings.js';
import { parseSpaceFile } from '../../src/config/parse.js';
import { prepareStudyData, type PreparedData } from '../../src/data/prepare.js';
import type { EpochDecision } from '../../src/train/options.js';
import { taskOf } from '../../src/study/drive.js';
import type { TrialTask } from '../../src/worker/task.js';
import type { Trainer } from '../../src/worker/trainer.js';
import { ThreadTrainer } from '../../src/worker/thread-trainer.js';
import { ProcessTrainer } from '../../src/worker/process-trainer.js';
import { trainHere } from '../../src/worker/train-here.js';
import { loadNativeAddon } from '../../src/backend/native/index.js';
import { recyclerOf } from '../../src/backend/native/output-recycler.js';
import * as tf from '@tensorflow/tfjs';

const TINY = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));
let dir: string;
let settings: StudySettings;
let prepared: PreparedData;
/** The weights trial 0 returned from a thread, to compare with a process's. */
let threadWeights: Uint8Array | null = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-trainers-'));
  const parsed = parseSpaceFile(TINY).settings;
  // wasm: a backend every machine has, that threads and processes alike can load.
  settings = { ...parsed, backend: 'wasm', budget: { trials: 1, epochs: 2 } };
  prepared = await prepareStudyData(settings.data, { cacheDir: join(dir, 'cache'), smote: true });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function task(number: number): TrialTask {
  return taskOf({ settings, checkpointRoot: join(dir, 'checkpoints') }, { id: number + 1, number, params: { learning_rate: 0.003, dataset: 'smote', dropout: 0.0 }, seed: 7 + number });
}

/** Trains `t`, answering each epoch with `decide`; returns the epochs seen and the result. */
async function train(trainer: Trainer, t: TrialTask, decide: (epoch: number, stop: AbortController) => EpochDecision) {
  const stop = new AbortController();
  const seen: { epoch: number; metrics: Metrics }[] = [];
  const result = await trainer.train(t, async (epoch, metrics) => {
    seen.push({ epoch, metrics });
    return decide(epoch, stop);
  }, stop.signal);
  return { seen, result };
}

function checkTrained(seen: { epoch: number; metrics: Metrics }[], epochs: number[]): void {
  assert.deepEqual(seen.map((s) => s.epoch), epochs);
  for (const s of seen) assert.equal(typeof s.metrics.recall_macro, 'number');
}

test('ThreadTrainer: a trial trains in a worker thread; epochs come back, a prune goes there, a stop ends the next trial resumable', async () => {
  const trainer = new ThreadTrainer({ workers: 1, backend: settings.backend, dataRef: prepared.ref });
  try {
    const full = await train(trainer, task(0), () => 'continue');
    assert.equal(full.result.state, 'COMPLETE', full.result.failReason ?? '');
    assert.equal(full.result.backend, 'wasm');
    checkTrained(full.seen, [1, 2]);
    assert.equal(typeof full.result.testMetrics?.accuracy, 'number');
    threadWeights = full.result.model;
    assert.ok(threadWeights instanceof Uint8Array && threadWeights.length > 0, 'a COMPLETE result carries its best weights');

    const pruned = await train(trainer, task(1), () => 'prune');
    assert.equal(pruned.result.state, 'PRUNED');
    checkTrained(pruned.seen, [1]);

    const stopped = await train(trainer, task(2), (_, stop) => {
      stop.abort();
      return 'continue';
    });
    assert.equal(stopped.result.state, 'INTERRUPTED');
    assert.equal(stopped.result.epochsRun, 1);
  } finally {
    await trainer.close();
  }
});

test('ThreadTrainer: a trial that throws in its thread rejects with the error named', async () => {
  const trainer = new ThreadTrainer({ workers: 1, backend: settings.backend, dataRef: prepared.ref });
  try {
    // A model type that does not exist fails in the thread, before the first epoch.
    const bad = { ...task(3), settings: { ...task(3).settings, model: 'no-such-model' as StudySettings['model'] } };
    await assert.rejects(train(trainer, bad, () => 'continue'), (err: Error) => err.name === 'Error' && /no-such-model/.test(err.message));
  } finally {
    await trainer.close();
  }
});

test('ProcessTrainer: a trial trains in its own process from the data cache; a stop sent with the start ends it before its first epoch', async () => {
  const trainer = new ProcessTrainer({ cacheDir: join(dir, 'cache'), backend: settings.backend });
  try {
    const full = await train(trainer, task(4), (epoch) => (epoch === 1 ? 'continue' : 'prune'));
    assert.equal(full.result.state, 'PRUNED', full.result.failReason ?? '');
    assert.equal(full.result.backend, 'wasm');
    checkTrained(full.seen, [1, 2]);

    const stop = new AbortController();
    stop.abort();
    const never = await trainer.train(task(5), async () => assert.fail('no epoch may run after a stop'), stop.signal);
    assert.equal(never.state, 'INTERRUPTED');
    assert.equal(never.epochsRun, 0);
    // Each child reports its own peak RSS with its trial's end, which the run's figure adds.
    const peak = trainer.peakMemory();
    assert.equal(peak.workerProcessBytes.length, 2);
    assert.ok(peak.workerProcessBytes.every((b) => b > 30e6), `worker process peaks ${peak.workerProcessBytes.join(', ')} bytes`);
    assert.equal(peak.concurrent, 1);
  } finally {
    await trainer.close();
  }
});

test('ProcessTrainer: a COMPLETE trial brings its best weights back over IPC, byte for byte the weights the same trial returns from a thread', async () => {
  assert.ok(threadWeights !== null, 'the thread test ran first');
  const trainer = new ProcessTrainer({ cacheDir: join(dir, 'cache'), backend: settings.backend });
  try {
    const again = { ...task(0), checkpointDir: join(dir, 'checkpoints-process') };
    const { result } = await train(trainer, again, () => 'continue');
    assert.equal(result.state, 'COMPLETE', result.failReason ?? '');
    assert.ok(result.model instanceof Uint8Array, 'bytes, not an object of numbers');
    assert.deepEqual(Buffer.from(result.model), Buffer.from(threadWeights));
  } finally {
    await trainer.close();
  }
});

test('a worker keeps none of a finished trial\'s kernel buffers (native backend): the pool it recycled from during the trial is empty after it', { skip: loadNativeAddon().ok ? false : 'native addon unavailable' }, async () => {
  const t = { ...task(6), settings: { ...task(6).settings, budget: { trials: 1, epochs: 1 } }, checkpointDir: join(dir, 'checkpoints-native') };
  const result = await trainHere(t, { backend: 'native', data: prepared.ref, onEpoch: () => 'continue' });
  assert.equal(result.state, 'COMPLETE', result.failReason ?? '');
  const recycler = recyclerOf(tf.backend());
  assert.ok(recycler !== undefined, 'trained on the native backend');
  assert.ok(recycler.hits > 0, 'the trial reused its step outputs');
  assert.equal(recycler.bytes, 0);
});
