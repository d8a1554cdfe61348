/**
 * The study's cores shared out among its running trials (src/worker/kernel-threads.ts): the
 * shares, their re-balancing as trials start and end, HPSEARCH_THREADS, and real trials in a
 * worker thread: a lone trial of a 2-core budget gets both cores, and a trial gives the same
 * weights and metrics bit for bit with 1, 2 and 3 kernel threads.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StudySettings } from '../../src/config/settings.js';
import { parseSpaceFile } from '../../src/config/parse.js';
import { loadNativeAddon } from '../../src/backend/native/index.js';
import { prepareStudyData, type PreparedData } from '../../src/data/prepare.js';
import { taskOf } from '../../src/study/drive.js';
import type { TrialResult } from '../../src/train/result.js';
import { KernelThreadBudget, kernelCores, threadShares } from '../../src/worker/kernel-threads.js';
import { ThreadTrainer } from '../../src/worker/thread-trainer.js';
import { ProcessTrainer } from '../../src/worker/process-trainer.js';
import type { Trainer } from '../../src/worker/trainer.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));
const load = loadNativeAddon();
const noNative: string | false = load.ok ? false : `native addon unavailable: ${load.reason}`;

test('each running trial gets ⌊cores / running⌋ threads, the first ones to start one more, never fewer than 1', () => {
  assert.deepEqual(threadShares(2, 1), [2]);
  assert.deepEqual(threadShares(2, 2), [1, 1]);
  assert.deepEqual(threadShares(3, 2), [2, 1]);
  assert.deepEqual(threadShares(8, 3), [3, 3, 2]);
  assert.deepEqual(threadShares(2, 3), [1, 1, 1]);
});

test('the shares are re-balanced as trials start and end; each trial is told only when its share changes', () => {
  const budget = new KernelThreadBudget(4);
  const told: string[] = [];
  const leaveA = budget.join((n) => told.push(`a${n}`));
  const leaveB = budget.join((n) => told.push(`b${n}`));
  const leaveC = budget.join((n) => told.push(`c${n}`));
  assert.deepEqual(told, ['a4', 'a2', 'b2', 'b1', 'c1']);
  told.length = 0;
  leaveA();
  assert.deepEqual(told, ['b2', 'c2']);
  told.length = 0;
  leaveA();
  assert.deepEqual(told, [], 'leaving twice changes nothing');
  leaveB();
  assert.deepEqual(told, ['c4']);
  leaveC();
});

test('HPSEARCH_THREADS sets the cores the kernels share; unset, every core; anything but a positive whole number is refused', () => {
  assert.equal(kernelCores({}), availableParallelism());
  assert.equal(kernelCores({ HPSEARCH_THREADS: '3' }), 3);
  for (const bad of ['0', '-1', '1.5', 'two']) {
    assert.throws(() => kernelCores({ HPSEARCH_THREADS: bad }), (err: Error) => err.name === 'InputError' && /^HPSEARCH_THREADS: expected a positive whole number of threads, got/.test(err.message));
  }
});

let dir: string;
let settings: StudySettings;
let prepared: PreparedData;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-kernel-threads-'));
  const parsed = parseSpaceFile(TINY).settings;
  settings = { ...parsed, backend: 'native', budget: { trials: 1, epochs: 2 } };
  prepared = await prepareStudyData(settings.data, { cacheDir: join(dir, 'cache'), smote: false });
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** One trial (wide enough that the GRU's products and gate passes are shared out), alone on `trainer`. */
async function trainOn(trainer: Trainer, label: string): Promise<TrialResult> {
  try {
    const task = taskOf(
      { settings, checkpointRoot: join(dir, `checkpoints-${label}`) },
      { id: 1, number: 0, params: { learning_rate: 0.003, dataset: 'oversampled', dropout: 0.2, hidden: 16, gru_hidden: 64 }, seed: 11 },
    );
    const result = await trainer.train(task, async () => 'continue', new AbortController().signal);
    assert.equal(result.state, 'COMPLETE', result.failReason ?? '');
    return result;
  } finally {
    await trainer.close();
  }
}

const inThreads = (kernelThreads: number): Promise<TrialResult> =>
  trainOn(new ThreadTrainer({ workers: 1, backend: 'native', dataRef: prepared.ref, kernelThreads }), `thread-${kernelThreads}`);

function assertSameTraining(r: TrialResult, one: TrialResult, name: string): void {
  assert.deepEqual(r.history.map((h) => h.metrics), one.history.map((h) => h.metrics), `${name}: every epoch's metrics`);
  assert.deepEqual(r.testMetrics, one.testMetrics, `${name}: test metrics`);
  assert.ok(r.model !== null && one.model !== null);
  assert.ok(Buffer.from(r.model).equals(Buffer.from(one.model)), `${name}: the kept weights, byte for byte`);
}

test('a study of 1 worker on 2 cores gives its trial both cores, and the trial trains the same bits with 1, 2 and 3 kernel threads, in a thread or a process', { skip: noNative }, async () => {
  const two = await inThreads(2);
  assert.equal(two.kernelThreads, 2, 'the lone trial received the whole budget');
  const one = await inThreads(1);
  assert.equal(one.kernelThreads, 1);
  const three = await inThreads(3);
  assert.equal(three.kernelThreads, 3);
  assertSameTraining(two, one, '2 threads');
  assertSameTraining(three, one, '3 threads');
  const processed = await trainOn(new ProcessTrainer({ cacheDir: join(dir, 'cache'), backend: 'native', kernelThreads: 2 }), 'process-2');
  assert.equal(processed.kernelThreads, 2, 'a worker process receives its share too');
  assertSameTraining(processed, one, 'a process with 2 threads');
});
