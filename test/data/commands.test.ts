import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDataSummary, importCommand, inspectFile, synthCommand } from '../../src/data/commands.js';
import { DataError } from '../../src/data/errors.js';
import { LazyHdf5Dataset } from '../../src/data/hdf5/lazy-dataset.js';
import { generateSynthetic } from '../../src/data/synthetic.js';
import { randomSignals, tempDir, writeKaggleCsv } from './helpers.js';

test('synthCommand writes the synthetic set as chunked, gzip HDF5 equal to the generator output', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'synth.h5');
  const summary = await synthCommand({ out, n: 500, seed: 3 });
  assert.equal(summary.format, 'hdf5');
  assert.equal(summary.count, 500);
  assert.equal(summary.length, 187);
  assert.equal(summary.channels, 1);
  assert.deepEqual(summary.classCounts, { N: 414, S: 13, V: 33, F: 3, Q: 37 });
  assert.equal(summary.groups, 8);
  assert.ok(summary.datasets!.signals.chunks);
  assert.ok(summary.datasets!.signals.filters.some((f) => f.startsWith('gzip')));
  const expected = generateSynthetic({ n: 500, seed: 3 });
  const ds = await LazyHdf5Dataset.open(out);
  try {
    assert.deepEqual(ds.readRange(0, 500), expected.signals);
  } finally {
    ds.close();
  }
  assert.deepEqual(readdirSync(dir), ['synth.h5'], 'no temporary file left');
  const text = formatDataSummary(summary);
  assert.match(text, /500 × 187/);
  assert.match(text, /\/X \[500, 187\] float32, chunks \[\d+, 187\], gzip\(4\)/);
  assert.match(text, /N 414 \(82\.8 %\)/);

  const ml = await synthCommand({ out: join(dir, 'ml.h5'), n: 60, seed: 1, multilabel: true });
  assert.equal(ml.multilabel, true);
  assert.equal(ml.channels, 3);
  assert.deepEqual(ml.datasets!.labels.shape, [60, 5]);
});

test('importCommand and inspectFile on CSV and HDF5', async (t) => {
  const dir = tempDir(t);
  const csv = join(dir, 'mitbih_test.csv');
  writeKaggleCsv(csv, randomSignals(40, 187), Int32Array.from({ length: 40 }, (_, i) => (i < 30 ? 0 : 2)), 187);
  const csvSummary = await inspectFile(csv);
  assert.equal(csvSummary.format, 'csv');
  assert.equal(csvSummary.columns, 188);
  assert.deepEqual(csvSummary.classCounts, { N: 30, S: 0, V: 10, F: 0, Q: 0 });
  const out = join(dir, 'mitbih.h5');
  const h5Summary = await importCommand({ files: [csv], out });
  assert.equal(h5Summary.count, 40);
  assert.deepEqual(h5Summary.classes, ['N', 'S', 'V', 'F', 'Q']);
  assert.deepEqual(h5Summary.classCounts, { N: 30, S: 0, V: 10, F: 0, Q: 0 });
  assert.equal(h5Summary.groups, null);
  await assert.rejects(inspectFile(join(dir, 'missing.h5')), (e: unknown) => e instanceof DataError && /missing\.h5: file not found/.test(e.message));
  await assert.rejects(synthCommand({ out: join(dir, 'bad.h5'), n: 0 }), /--n must be a positive integer/);
  assert.equal(existsSync(join(dir, 'bad.h5')), false);
});
