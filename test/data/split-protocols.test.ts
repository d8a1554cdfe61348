/**
 * Inter-patient splits: explicit validation / test groups, the de Chazal et al. 2004 protocol
 * on data whose groups are MIT-BIH record numbers, and the refusals before any trial (a
 * group the data do not have, data that are not MIT-BIH records, a class without validation
 * samples unless metrics.ignore_classes names it).
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DataSettings, SplitSettings } from '../../src/config/settings.js';
import { DE_CHAZAL_DS1, DE_CHAZAL_DS2, MITBIH_PACED } from '../../src/data/de-chazal.js';
import { DataError } from '../../src/data/errors.js';
import { classCounts, multiClassLabels, type ClassIndex } from '../../src/data/labels.js';
import { prepareStudyData } from '../../src/data/prepare.js';
import { fixedGroupSplit, SplitError } from '../../src/data/splits.js';
import { generateSynthetic } from '../../src/data/synthetic.js';
import { hpsearch } from '../cli/helpers.js';
import { tempDir, writeRawHdf5 } from './helpers.js';
import { writeFileSync } from 'node:fs';

const MITBIH_RECORDS = [...DE_CHAZAL_DS1, ...DE_CHAZAL_DS2, ...MITBIH_PACED].sort();

/** A synthetic set of 48 patients whose groups are the 48 MIT-BIH record numbers (integers, as a Python script would write them). */
async function writeMitbihLike(path: string, n = 4800, recordOf = (p: number) => Number(MITBIH_RECORDS[p]!)): Promise<{ groups: Int32Array; labels: ClassIndex }> {
  const set = generateSynthetic({ n, seed: 3, patients: 48 });
  const groups = Int32Array.from(set.groups!, recordOf);
  await writeRawHdf5(
    path,
    [
      { name: 'X', data: set.signals, shape: [n, set.length] },
      { name: 'y', data: set.labels.classIndex, shape: [n] },
      { name: 'groups', data: groups, shape: [n] },
    ],
    { classes: [...set.classes] },
  );
  return { groups, labels: set.labels.classIndex };
}

function dataSettings(source: string, split: Partial<SplitSettings>): DataSettings {
  return {
    source,
    n: 0,
    seed: 0,
    multilabel: false,
    split: { val: 0.15, test: 0.15, by: 'group', seed: 0, ...split },
    epoch_size: null,
    memory_budget: 1024 ** 3,
    augment: { amplitude_scale: 0, gaussian_noise: 0, time_mask: 0, baseline_wander: 0, mixup: 0 },
  };
}

const namesOf = (rows: Int32Array, groups: Int32Array) => [...new Set(Array.from(rows, (i) => String(groups[i])))].sort();

test('val_groups and test_groups put exactly those groups in validation and test, the rest in training', () => {
  const groups = Int32Array.from({ length: 60 }, (_, i) => i % 6);
  const labels = multiClassLabels(Int32Array.from({ length: 60 }, (_, i) => (i % 5 === 0 ? 1 : 0)), ['a', 'b']);
  const names = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'];
  const s = fixedGroupSplit(labels, groups, names, { val: 0.15, test: 0.15, by: 'group', seed: 0, val_groups: ['p4'], test_groups: ['p1', 'p5'] });
  const named = (rows: Int32Array) => [...new Set(Array.from(rows, (i) => names[groups[i]!]))].sort();
  assert.deepEqual(named(s.val), ['p4']);
  assert.deepEqual(named(s.test), ['p1', 'p5']);
  assert.deepEqual(named(s.train), ['p0', 'p2', 'p3']);
  assert.equal(s.train.length + s.val.length + s.test.length, 60);
  // Only test_groups: validation is drawn from the other groups by the val fraction.
  const t = fixedGroupSplit(labels, groups, names, { val: 0.2, test: 0.15, by: 'group', seed: 0, test_groups: ['p1'] });
  assert.deepEqual(named(t.test), ['p1']);
  assert.equal(named(t.val).length, 1);
  assert.ok(!named(t.val).includes('p1') && !named(t.train).includes('p1'));
});

test('a listed group the data do not have is refused at its key, listing the groups the data have', () => {
  const groups = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const labels = multiClassLabels(Int32Array.from([0, 1, 0, 1, 0, 1]), ['a', 'b']);
  assert.throws(
    () => fixedGroupSplit(labels, groups, ['100', '101', '103'], { val: 0.15, test: 0.15, by: 'group', seed: 0, val_groups: ['100', '999'] }),
    (e: unknown) => e instanceof SplitError && e.message === 'no group "999" in the data; its groups: 100, 101, 103' && JSON.stringify(e.path) === '["data","split","val_groups",1]',
  );
});

test('de-chazal: DS2 records are the test split, DS1 records train and validate by record, paced records are in no split', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'mitbih-like.h5');
  const { groups } = await writeMitbihLike(path);
  const prepared = await prepareStudyData(dataSettings(path, { protocol: 'de-chazal', val: 0.2 }), { cacheDir: join(dir, 'cache'), smote: false, ignoreClasses: ['Q'] });
  const split = prepared.ref.split;
  assert.deepEqual(namesOf(split.test, groups), [...DE_CHAZAL_DS2].sort());
  const trainRecords = namesOf(split.train, groups);
  const valRecords = namesOf(split.val, groups);
  assert.deepEqual([...trainRecords, ...valRecords].sort(), [...DE_CHAZAL_DS1].sort(), 'DS1 = train + validation');
  assert.ok(valRecords.length >= 2 && trainRecords.length >= 10, `validation records ${valRecords}`);
  assert.ok(!valRecords.some((r) => trainRecords.includes(r)), 'no record in both');
  const paced = Array.from(groups).filter((g) => MITBIH_PACED.includes(String(g))).length;
  assert.ok(paced > 0);
  assert.equal(split.train.length + split.val.length + split.test.length, groups.length - paced, 'paced beats are in no split');
  // val_groups with the protocol: exactly those DS1 records validate.
  const fixed = await prepareStudyData(dataSettings(path, { protocol: 'de-chazal', val_groups: ['101', '205'] }), { cacheDir: join(dir, 'cache'), smote: false });
  assert.deepEqual(namesOf(fixed.ref.split.val, groups), ['101', '205']);
  await assert.rejects(
    prepareStudyData(dataSettings(path, { protocol: 'de-chazal', val_groups: ['100'] }), { cacheDir: join(dir, 'cache'), smote: false }),
    (e: unknown) => e instanceof DataError && /group "100" is a DS2 record, the test part of the de-chazal protocol/.test(e.message),
  );
});

test('de-chazal is refused on data whose groups are not MIT-BIH record numbers', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'svdb-like.h5');
  // Record 800 is of the Supraventricular Arrhythmia Database, not the Arrhythmia Database.
  await writeMitbihLike(path, 2400, (p) => (p === 0 ? 800 : Number(MITBIH_RECORDS[p]!)));
  await assert.rejects(
    prepareStudyData(dataSettings(path, { protocol: 'de-chazal' }), { cacheDir: join(dir, 'cache'), smote: false }),
    (e: unknown) => e instanceof DataError && /the de-chazal protocol splits the records of the MIT-BIH Arrhythmia Database, but the data's groups include 800, which is not one/.test(e.message),
  );
});

test('a class without validation samples is refused before any trial, unless metrics.ignore_classes names it', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'mitbih-like.h5');
  const { groups, labels } = await writeMitbihLike(path);
  // Validate on one DS1 record that has no fusion (F) beat.
  const ds1 = DE_CHAZAL_DS1.filter((r) => Array.from(groups).some((g, i) => String(g) === r && labels[i] === 0));
  const noF = ds1.find((r) => !Array.from(groups).some((g, i) => String(g) === r && labels[i] === 3) && Array.from(groups).some((g, i) => String(g) === r && labels[i] !== 0));
  assert.ok(noF !== undefined, 'a DS1 record without F beats');
  const settings = dataSettings(path, { protocol: 'de-chazal', val_groups: [noF] });
  const cacheDir = join(dir, 'cache');
  const missing = (c: number) => classCounts(multiClassLabels(labels, ['N', 'S', 'V', 'F', 'Q']), Int32Array.from(Array.from(groups).flatMap((g, i) => (String(g) === noF ? [i] : []))))[c] === 0;
  const ignore = ['N', 'S', 'V', 'F', 'Q'].filter((_, c) => c !== 0 && missing(c));
  assert.ok(ignore.includes('F'));
  await assert.rejects(
    prepareStudyData(settings, { cacheDir, smote: false, ignoreClasses: ignore.filter((c) => c !== 'F') }),
    (e: unknown) => e instanceof DataError && /class "F" has \d+ samples in the file and none in the validation split, so its recall would be undefined: .*metrics: \{ignore_classes: \[F\]\}/.test(e.message),
  );
  const ok = await prepareStudyData(settings, { cacheDir, smote: false, ignoreClasses: ignore });
  assert.equal(ok.classCounts.val[3], 0);
  await assert.rejects(prepareStudyData(settings, { cacheDir, smote: false, ignoreClasses: ['X'] }), /metrics.ignore_classes names "X", which is not a class of the data \(N, S, V, F, Q\)/);
});

test('hpsearch run names the YAML line of a group the data do not have, exits 2 and writes no database', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'beats.h5');
  await writeMitbihLike(path, 2400);
  const space = join(dir, 'space.yaml');
  writeFileSync(space, ['data:', '  source: beats.h5', '  split:', '    by: group', '    test_groups: [100, 103]', '    val_groups: [101, 999]', 'budget: {trials: 1, epochs: 1}', 'params:', '  dropout: {type: float, low: 0.1, high: 0.2}', ''].join('\n'));
  const db = join(dir, 'trials.db');
  const res = hpsearch(['run', space, '--db', db]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /space\.yaml:6:23: data\.split\.val_groups\[1\]: no group "999" in the data; its groups: 100, 101, 102, .*, 233, 234 \(data /);
  assert.equal((await import('node:fs')).existsSync(db), false);
});

test('with cross-validation, each fold must have validation samples of every class not ignored', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'three-patients.h5');
  // Class b only in patients 1 and 2: one of three group folds validates without it.
  const n = 90;
  const groups = Int32Array.from({ length: n }, (_, i) => i % 6);
  const labels = Int32Array.from({ length: n }, (_, i) => ((groups[i] === 1 || groups[i] === 2) && Math.floor(i / 6) % 2 === 0 ? 1 : 0));
  await writeRawHdf5(path, [
    { name: 'X', data: Float32Array.from({ length: n * 8 }, (_, i) => Math.sin(i)), shape: [n, 8] },
    { name: 'y', data: labels, shape: [n] },
    { name: 'groups', data: groups, shape: [n] },
  ], { classes: ['a', 'b'] });
  const settings = { ...dataSettings(path, { test_groups: ['5'], val: 0.15 }), cv: { folds: 3, by: 'group' as const, seed: 0 } };
  await assert.rejects(
    prepareStudyData(settings, { cacheDir: join(dir, 'cache'), smote: false, ignoreClasses: [] }),
    /class "b" has 16 samples in the file and none in the validation fold \d of 3, so its recall would be undefined/,
  );
  const ok = await prepareStudyData(settings, { cacheDir: join(dir, 'cache'), smote: false, ignoreClasses: ['b'] });
  assert.equal(ok.folds!.length, 3);
  assert.equal(ok.folds!.filter((f) => f.classCounts.val[1] === 0).length, 1);
});
