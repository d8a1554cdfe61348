import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { DataSettings } from '../../src/config/settings.js';
import { DataError } from '../../src/data/errors.js';
import { writeHdf5 } from '../../src/data/hdf5/writer.js';
import { openTrainingData, prepareStudyData } from '../../src/data/prepare.js';
import { generateSynthetic, BEAT_LENGTH } from '../../src/data/synthetic.js';
import { BalancingError, trainingDataFromArrays } from '../../src/data/training-data.js';
import type { Batch, TrainingData, TrainingDataOptions } from '../../src/data/types.js';
import { labelsWithCounts, randomSignals, tempDir, writeKaggleCsv } from './helpers.js';

async function collect(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

function settings(overrides: Partial<DataSettings> = {}): DataSettings {
  return {
    source: 'synthetic',
    n: 900,
    seed: 7,
    multilabel: false,
    split: { val: 0.15, test: 0.15, by: 'stratified', seed: 0 },
    epoch_size: null,
    memory_budget: 1024 ** 3,
    augment: { amplitude_scale: 0, gaussian_noise: 0, time_mask: 0, baseline_wander: 0, mixup: 0 },
    ...overrides,
  };
}

const AUGMENT = { amplitude_scale: 0.1, gaussian_noise: 0.01, time_mask: 0.5, baseline_wander: 0.05, mixup: 0.2 };

test('trainBatches is a pure function of (seed, epoch, batch size): a resumed trial sees the same batches', async () => {
  const syn = generateSynthetic({ n: 600, seed: 1 });
  const options: TrainingDataOptions = { balancing: 'smote', seed: 42, augment: AUGMENT };
  const a = await trainingDataFromArrays(syn, options);
  const b = await trainingDataFromArrays(syn, options);
  // "Run" epochs 0..2 on a, then jump straight to epoch 2 on b (a resumed trial).
  await collect(a.trainBatches(0, 32));
  await collect(a.trainBatches(1, 32));
  const e2a = await collect(a.trainBatches(2, 32));
  const e2b = await collect(b.trainBatches(2, 32));
  assert.equal(e2a.length, Math.ceil(a.trainSize / 32));
  assert.deepEqual(e2a, e2b);
  const e3 = await collect(b.trainBatches(3, 32));
  assert.notDeepEqual(e3[0]!.x, e2b[0]!.x);
  const otherSeed = await trainingDataFromArrays(syn, { ...options, seed: 43 });
  assert.notDeepEqual((await collect(otherSeed.trainBatches(2, 32)))[0]!.x, e2a[0]!.x);
  // Shapes: [size, L, C] and one-hot/mixed targets of K columns.
  const first = e2a[0]!;
  assert.equal(first.x.length, 32 * BEAT_LENGTH);
  assert.equal(first.y.length, 32 * 5);
  assert.equal(first.labels.length, 32);
  await Promise.all([a.close(), b.close(), otherSeed.close()]);
});

test('epoch length: default the natural training size, configurable, drawn from the balanced distribution', async () => {
  const x = randomSignals(500, 10);
  const labels = labelsWithCounts([450, 50]);
  const natural = await trainingDataFromArrays({ signals: x, length: 10, labels }, { balancing: 'oversampled', seed: 1 });
  const batches = await collect(natural.trainBatches(0, 64));
  assert.equal(batches.reduce((a, b) => a + b.size, 0), natural.trainSize);
  assert.equal(batches.at(-1)!.size, natural.trainSize % 64 || 64);
  const counts = [0, 0];
  for (const b of batches) for (const l of b.labels) counts[l]!++;
  assert.ok(Math.abs(counts[0]! - counts[1]!) < 0.2 * natural.trainSize, `balanced draws ${counts}`);
  const long = await trainingDataFromArrays({ signals: x, length: 10, labels }, { balancing: 'none', seed: 1, epochSize: 1000 });
  assert.equal((await collect(long.trainBatches(0, 100))).reduce((a, b) => a + b.size, 0), 1000);
  await assert.rejects(trainingDataFromArrays({ signals: x, length: 10, labels }, { balancing: 'none', seed: 1, epochSize: 0 }), /epoch size/);
  await assert.rejects(async () => collect(natural.trainBatches(0, 0)), /batch size/);
});

test('evaluation batches: every val/test sample once, natural labels, no augmentation', async () => {
  const syn = generateSynthetic({ n: 400, seed: 2 });
  const data = await trainingDataFromArrays(syn, { balancing: 'oversampled', seed: 3, augment: AUGMENT });
  for (const split of ['val', 'test'] as const) {
    const batches = await collect(data.evalBatches(split, 25));
    const n = split === 'val' ? data.valSize : data.testSize;
    assert.equal(batches.reduce((a, b) => a + b.size, 0), n);
    const again = await collect(data.evalBatches(split, 25));
    assert.deepEqual(again, batches);
    // Unaugmented: rows are exact copies of generator rows.
    const row = batches[0]!.x.subarray(0, BEAT_LENGTH);
    let found = false;
    for (let i = 0; i < syn.count && !found; i++) found = syn.signals.subarray(i * BEAT_LENGTH, (i + 1) * BEAT_LENGTH).every((v, t) => v === row[t]);
    assert.ok(found);
    for (const b of batches) for (let r = 0; r < b.size; r++) assert.equal(b.y.subarray(r * 5, r * 5 + 5).reduce((s, v) => s + v, 0), 1);
  }
});

test('online augmentation: seeded per batch, changes the signal, keeps the zero padding; mixup mixes labels', async () => {
  const syn = generateSynthetic({ n: 300, seed: 4 });
  const plain = await trainingDataFromArrays(syn, { balancing: 'none', seed: 9 });
  const aug = await trainingDataFromArrays(syn, { balancing: 'none', seed: 9, augment: AUGMENT });
  const aug2 = await trainingDataFromArrays(syn, { balancing: 'none', seed: 9, augment: AUGMENT });
  const p = (await collect(plain.trainBatches(0, 50)))[0]!;
  const a = (await collect(aug.trainBatches(0, 50)))[0]!;
  const a2 = (await collect(aug2.trainBatches(0, 50)))[0]!;
  assert.deepEqual(a, a2, 'deterministic');
  assert.notDeepEqual(a.x, p.x, 'augmented');
  assert.deepEqual(a.labels, p.labels, 'class indices are the dominant (unmixed) classes');
  let mixed = 0;
  for (let r = 0; r < 50; r++) {
    const y = a.y.subarray(r * 5, r * 5 + 5);
    assert.ok(Math.abs(y.reduce((s, v) => s + v, 0) - 1) < 1e-6, 'mixed targets sum to 1');
    assert.ok(y[a.labels[r]!]! >= 0.5 - 1e-6, 'dominant class keeps at least half');
    if (y.filter((v) => v > 0).length === 2) mixed++;
  }
  assert.ok(mixed > 0, 'some rows were mixed with a partner of another class');
  // Without mixup, the zero padding of every row stays zero.
  const noMix = await trainingDataFromArrays(syn, { balancing: 'none', seed: 9, augment: { ...AUGMENT, mixup: 0 } });
  const q = (await collect(noMix.trainBatches(0, 50)))[0]!;
  for (let r = 0; r < 50; r++) {
    const row = p.x.subarray(r * BEAT_LENGTH, (r + 1) * BEAT_LENGTH);
    let end = BEAT_LENGTH;
    while (end > 0 && row[end - 1] === 0) end--;
    for (let t = end; t < BEAT_LENGTH; t++) assert.equal(q.x[r * BEAT_LENGTH + t], 0);
  }
  await noMix.close();
  // Only mixup: every x is a convex mix of two plain rows (checked on row sums).
  const onlyMixup = await trainingDataFromArrays(syn, { balancing: 'none', seed: 9, augment: { mixup: 0.4 } });
  const m = (await collect(onlyMixup.trainBatches(0, 50)))[0]!;
  assert.notDeepEqual(m.x, p.x);
  await Promise.all([plain.close(), aug.close(), aug2.close(), onlyMixup.close()]);
});

test('prepareStudyData (synthetic, shared memory) and openTrainingData; the SMOTE table is cached', async (t) => {
  const cacheDir = tempDir(t);
  const prepared = await prepareStudyData(settings(), { cacheDir });
  assert.equal(prepared.storage, 'shared');
  assert.equal(prepared.ref.signals.kind, 'shared');
  assert.deepEqual(prepared.info, { length: 187, channels: 1, numClasses: 5, multilabel: false, classes: ['N', 'S', 'V', 'F', 'Q'] });
  assert.equal(prepared.sizes.train + prepared.sizes.val + prepared.sizes.test, 900);
  assert.ok(prepared.smote && !prepared.smote.cached && existsSync(prepared.smote.file));
  const again = await prepareStudyData(settings(), { cacheDir });
  assert.equal(again.smote!.cached, true);
  for (const balancing of ['smote', 'oversampled', 'none'] as const) {
    const data = await openTrainingData(prepared.ref, { balancing, seed: 1 });
    const batches = await collect(data.trainBatches(0, 64));
    assert.equal(batches.reduce((a, b) => a + b.size, 0), prepared.sizes.train);
    await data.close();
  }
});

test('lazy HDF5 reads and shared memory give identical batches (memory budget decides)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'beats.h5');
  const syn = generateSynthetic({ n: 700, seed: 12 });
  await writeHdf5(file, syn, { chunkRows: 16 });
  const shared = await prepareStudyData(settings({ source: file }), { cacheDir: join(dir, 'cache') });
  const messages: string[] = [];
  const lazy = await prepareStudyData(settings({ source: file, memory_budget: 100_000 }), { cacheDir: join(dir, 'cache'), log: (m) => messages.push(m) });
  assert.ok(messages.some((m) => m.startsWith('checking 700 signals')), messages.join('\n'));
  // The finiteness scan of an over-budget file runs once per file version, not per worker process.
  const again: string[] = [];
  await prepareStudyData(settings({ source: file, memory_budget: 100_000 }), { cacheDir: join(dir, 'cache'), log: (m) => again.push(m) });
  assert.ok(!again.some((m) => m.startsWith('checking')), again.join('\n'));
  assert.equal(shared.storage, 'shared');
  assert.equal(lazy.storage, 'lazy');
  assert.equal(lazy.ref.signals.kind, 'hdf5');
  assert.equal(lazy.smote!.cached, true, 'same data, split and k: the table is reused');
  for (const balancing of ['smote', 'oversampled'] as const) {
    const options: TrainingDataOptions = { balancing, seed: 77, augment: AUGMENT };
    const a = await openTrainingData(shared.ref, options);
    const b = await openTrainingData(lazy.ref, options);
    assert.deepEqual(await collect(b.trainBatches(1, 48)), await collect(a.trainBatches(1, 48)));
    assert.deepEqual(await collect(b.evalBatches('test', 40)), await collect(a.evalBatches('test', 40)));
    await Promise.all([a.close(), b.close()]);
  }
});

test('a DataRef crosses to a worker thread without copying the signals', async (t) => {
  const cacheDir = tempDir(t);
  const prepared = await prepareStudyData(settings({ n: 400 }), { cacheDir });
  const options: TrainingDataOptions = { balancing: 'smote', seed: 5, augment: AUGMENT };
  const local = await openTrainingData(prepared.ref, options);
  const expected = (await collect(local.trainBatches(1, 16)))[0]!;
  await local.close();
  const reply = await new Promise<{ x: Float32Array; y: Float32Array; labels: Int32Array; sharedIsShared: boolean }>((resolve, reject) => {
    const w = new Worker(new URL('./fixtures/open-in-worker.js', import.meta.url), { workerData: { ref: prepared.ref, options, mark: true } });
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.deepEqual(reply.x, expected.x);
  assert.deepEqual(reply.y, expected.y);
  assert.deepEqual(reply.labels, expected.labels);
  assert.equal(reply.sharedIsShared, true);
  assert.equal(prepared.ref.signals.kind, 'shared');
  if (prepared.ref.signals.kind === 'shared') {
    const view = new Float32Array(prepared.ref.signals.signals.buffer);
    assert.equal(view[view.length - 1], -12345, 'the worker wrote into the same memory');
  }
});

test('CSV sources are imported once into the cache; multi-label data refuses SMOTE but oversamples', async (t) => {
  const dir = tempDir(t);
  const csv = join(dir, 'mitbih_train.csv');
  writeKaggleCsv(csv, randomSignals(120, 187), labelsWithCounts([80, 10, 10, 10, 10]), 187);
  const prepared = await prepareStudyData(settings({ source: 'mitbih_train.csv' }), { cacheDir: join(dir, 'cache'), baseDir: dir });
  assert.deepEqual(prepared.info.classes, ['N', 'S', 'V', 'F', 'Q']);
  assert.equal(prepared.sizes.train + prepared.sizes.val + prepared.sizes.test, 120);

  const ml = await prepareStudyData(settings({ multilabel: true, n: 300 }), { cacheDir: join(dir, 'cache') });
  assert.equal(ml.info.multilabel, true);
  assert.equal(ml.info.channels, 3);
  assert.equal(ml.smote, null);
  await assert.rejects(openTrainingData(ml.ref, { balancing: 'smote', seed: 0 }), (e: unknown) => e instanceof BalancingError && /multi-label/.test(e.message));
  const data: TrainingData = await openTrainingData(ml.ref, { balancing: 'oversampled', seed: 0 });
  const b = (await collect(data.trainBatches(0, 10)))[0]!;
  assert.equal(b.x.length, 10 * 187 * 3);
  assert.equal(b.y.length, 10 * 5);
  assert.equal(b.labels.length, 0);
  await data.close();
});

test('prepareStudyData errors: missing file, group split without groups, malformed HDF5', async (t) => {
  const dir = tempDir(t);
  await assert.rejects(prepareStudyData(settings({ source: 'nope.h5' }), { cacheDir: dir, baseDir: dir }), (e: unknown) => e instanceof DataError && /nope\.h5: file not found/.test(e.message));
  const file = join(dir, 'nogroups.h5');
  const syn = generateSynthetic({ n: 100, seed: 1 });
  await writeHdf5(file, { ...syn, groups: null });
  await assert.rejects(
    prepareStudyData(settings({ source: file, split: { val: 0.2, test: 0.2, by: 'group', seed: 0 } }), { cacheDir: dir }),
    (e: unknown) => e instanceof DataError && e.file === file && /needs group ids/.test(e.message),
  );
  const junk = join(dir, 'junk.h5');
  writeFileSync(junk, 'not hdf5');
  await assert.rejects(prepareStudyData(settings({ source: junk }), { cacheDir: dir }), (e: unknown) => e instanceof DataError && /not an HDF5 file/.test(e.message));
});
