import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importCsv, inspectCsv, readKaggleCsv } from '../../src/data/csv.js';
import { DataError } from '../../src/data/errors.js';
import { LazyHdf5Dataset } from '../../src/data/hdf5/lazy-dataset.js';
import { randomSignals, tempDir, writeKaggleCsv } from './helpers.js';

test('importCsv streams Kaggle CSVs into chunked, gzip HDF5 (MIT-BIH class names, files concatenated)', async (t) => {
  const dir = tempDir(t);
  const l = 187;
  const a = join(dir, 'mitbih_train.csv');
  const b = join(dir, 'mitbih_test.csv');
  const sa = randomSignals(130, l, 1, 1);
  const sb = randomSignals(20, l, 1, 2);
  const la = Int32Array.from({ length: 130 }, (_, i) => i % 5);
  const lb = Int32Array.from({ length: 20 }, (_, i) => (i * 3) % 5);
  writeKaggleCsv(a, sa, la, l);
  writeKaggleCsv(b, sb, lb, l);
  const out = join(dir, 'mitbih.h5');
  // Small blocks so the streaming path crosses several blocks per file.
  const res = await importCsv([a, b], out, { blockRows: 32 });
  assert.equal(res.rows, 150);
  assert.deepEqual(res.rowsPerFile, [130, 20]);
  assert.equal(res.length, 187);
  assert.deepEqual(res.classes, ['N', 'S', 'V', 'F', 'Q']);
  assert.deepEqual(res.classCounts, [30, 30, 30, 30, 30]);
  const ds = await LazyHdf5Dataset.open(out);
  try {
    assert.deepEqual(ds.layout.signals.shape, [150, 187]);
    assert.ok(ds.layout.signals.chunks && ds.layout.signals.filters.some((f) => f.startsWith('gzip')));
    assert.deepEqual(ds.readRange(0, 130), sa);
    assert.deepEqual(ds.readRange(130, 150), sb);
    const labels = ds.readLabels();
    assert.deepEqual(Array.from(labels.classIndex), [...la, ...lb]);
    assert.deepEqual(labels.classes, ['N', 'S', 'V', 'F', 'Q']);
  } finally {
    ds.close();
  }
});

test('PTB-DB files get normal/abnormal; other names get numbered classes; inspectCsv counts', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'ptbdb_abnormal.csv');
  writeKaggleCsv(p, randomSignals(10, 187), Int32Array.from({ length: 10 }, (_, i) => (i < 7 ? 1 : 0)), 187);
  const res = await importCsv([p], join(dir, 'ptb.h5'));
  assert.deepEqual(res.classes, ['normal', 'abnormal']);
  const q = join(dir, 'beats.csv');
  writeKaggleCsv(q, randomSignals(6, 20), [0, 2, 2, 1, 0, 0], 20);
  const s = await inspectCsv(q);
  assert.deepEqual(s, { rows: 6, columns: 21, length: 20, classes: ['0', '1', '2'], classCounts: [3, 1, 2] });
});

async function expectCsvError(p: Promise<unknown>, file: string, location: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataError, String(e));
    assert.equal(e.file, file);
    assert.equal(e.location, location);
    assert.match(e.message, pattern);
    assert.ok(e.message.startsWith(`${file}:${location}: `), e.message);
    return true;
  });
}

test('ragged rows, non-numeric cells, headers and bad labels are DataErrors at file:line:column', async (t) => {
  const dir = tempDir(t);
  const row = (vals: string[]) => vals.join(',');
  const good = Array.from({ length: 5 }, (_, i) => String(i / 10));

  const ragged = join(dir, 'ragged.csv');
  writeFileSync(ragged, [row([...good, '0']), row([...good, '1']), row([...good.slice(0, 3), '1']), ''].join('\n'));
  await expectCsvError(importCsv([ragged], join(dir, 'o1.h5')), ragged, '3:5', /expected 6 columns \(5 signal values and the label, as in the first row\), found 4/);

  const text = join(dir, 'text.csv');
  writeFileSync(text, [row([...good, '0']), row(['0.1', 'abc', '0.3', '0.4', '0.5', '1'])].join('\n'));
  await expectCsvError(importCsv([text], join(dir, 'o2.h5')), text, '2:2', /expected a finite number, found "abc"/);

  const empty = join(dir, 'empty-cell.csv');
  writeFileSync(empty, row(['0.1', '', '0.3', '0.4', '0.5', '1']));
  await expectCsvError(inspectCsv(empty), empty, '1:2', /expected a finite number, found ""/);

  const header = join(dir, 'header.csv');
  writeFileSync(header, [row(['a', 'b', 'c', 'd', 'e', 'label']), row([...good, '0'])].join('\n'));
  await expectCsvError(importCsv([header], join(dir, 'o3.h5')), header, '1:1', /no header row/);

  const label = join(dir, 'label.csv');
  writeFileSync(label, [row([...good, '0']), row([...good, '1.5'])].join('\n'));
  await expectCsvError(importCsv([label], join(dir, 'o4.h5')), label, '2:6', /the label must be a class index/);

  const nan = join(dir, 'nan.csv');
  writeFileSync(nan, row(['0.1', 'NaN', '0.3', '0.4', '0.5', '1']));
  await expectCsvError(importCsv([nan], join(dir, 'o5.h5')), nan, '1:2', /finite number/);

  // A second file must have the width of the first.
  const first = join(dir, 'first.csv');
  const second = join(dir, 'second.csv');
  writeFileSync(first, row([...good, '0']));
  writeFileSync(second, row([...good, '0.6', '0']));
  await expectCsvError(importCsv([first, second], join(dir, 'o6.h5')), second, '1:7', /expected 6 columns/);

  // No partial output is left behind by failed imports.
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.h5') || f.includes('partial')),
    [],
  );
  await assert.rejects(importCsv([join(dir, 'missing.csv')], join(dir, 'o7.h5')), /missing\.csv: file not found/);
  assert.equal(existsSync(join(dir, 'o7.h5')), false);
});

test('readKaggleCsv hands over blocks of at most blockRows rows', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'blocks.csv');
  writeKaggleCsv(p, randomSignals(25, 4), Int32Array.from({ length: 25 }, () => 0), 4);
  const sizes: number[] = [];
  const { rows, width } = await readKaggleCsv(p, (b) => void sizes.push(b.rows), { blockRows: 10 });
  assert.equal(rows, 25);
  assert.equal(width, 5);
  assert.deepEqual(sizes, [10, 10, 5]);
});
