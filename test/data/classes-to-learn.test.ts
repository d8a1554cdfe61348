/**
 * A data file a classifier cannot learn from is refused when a study starts: fewer than two
 * classes (a study once ran on a one-class file and reported recall_macro 1.000), or a class
 * present in the file but absent from the training split.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { prepareStudyData } from '../../src/data/prepare.js';
import type { DataSettings } from '../../src/config/settings.js';
import { hpsearch } from '../cli/helpers.js';
import { randomSignals, tempDir, writeRawHdf5 } from './helpers.js';

function settings(source: string, by: 'stratified' | 'group' = 'stratified'): DataSettings {
  return {
    source,
    n: 0,
    seed: 0,
    multilabel: false,
    split: { val: 0.2, test: 0.2, by, seed: 0 },
    epoch_size: null,
    memory_budget: 1024 ** 3,
    augment: { amplitude_scale: 0, gaussian_noise: 0, time_mask: 0, baseline_wander: 0, mixup: 0 },
  };
}

async function writeSet(path: string, labels: number[], extra: { groups?: Int32Array; classes?: string[] } = {}): Promise<void> {
  const n = labels.length;
  await writeRawHdf5(
    path,
    [
      { name: 'X', data: randomSignals(n, 16), shape: [n, 16] },
      { name: 'y', data: Int32Array.from(labels), shape: [n] },
      ...(extra.groups ? [{ name: 'groups', data: extra.groups, shape: [n] }] : []),
    ],
    extra.classes ? { classes: extra.classes } : {},
  );
}

test('a file with one class is refused, naming the file, the label dataset and the class', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'one.h5');
  await writeSet(file, new Array<number>(50).fill(0), { classes: ['N\x1b[2J', 'S'] });
  await assert.rejects(prepareStudyData(settings(file), { cacheDir: join(dir, 'cache'), smote: false }), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.equal(e.message, `${file}: /y: has only class "N\\x1b[2J" (50 samples): a classifier needs samples of at least two classes`);
    return true;
  });
});

test('a class absent from the training split (all its groups in validation or test) is refused', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'grouped.h5');
  // Groups 0 and 1 (40 and 30 beats) hold classes 0 and 1; group 2 (10 beats) alone holds class 2.
  const labels = [...Array.from({ length: 70 }, (_, i) => i % 2), ...new Array<number>(10).fill(2)];
  const groups = Int32Array.from(labels.map((_, i) => (i < 40 ? 0 : i < 70 ? 1 : 2)));
  await writeSet(file, labels, { groups });
  await assert.rejects(
    prepareStudyData(settings(file, 'group'), { cacheDir: join(dir, 'cache'), smote: false }),
    /grouped\.h5: \/y: class "2" has 10 samples in the file and none in the training split: its groups all went to validation or test/,
  );
  // Stratified, every class keeps training samples: the same file is accepted.
  const ok = await prepareStudyData(settings(file), { cacheDir: join(dir, 'cache'), smote: false });
  assert.ok(ok.classCounts.train.every((c) => c > 0));
});

test('hpsearch run on a one-class file exits 2 naming the file', async (t) => {
  const dir = tempDir(t);
  await writeSet(join(dir, 'one.h5'), new Array<number>(40).fill(1));
  const yaml = ['study: one', 'model: cnngru', 'budget: {trials: 1, epochs: 1}', 'data: {source: one.h5}', 'params:', '  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}', ''].join('\n');
  writeFileSync(join(dir, 'space.yaml'), yaml);
  const r = hpsearch(['run', 'space.yaml', '--db', 'trials.db'], { cwd: dir });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /one\.h5: \/y: has only class "1" \(40 samples\): a classifier needs samples of at least two classes/);
});
