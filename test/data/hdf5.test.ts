import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { chunkRuns, LazyHdf5Dataset } from '../../src/data/hdf5/lazy-dataset.js';
import { writeHdf5 } from '../../src/data/hdf5/writer.js';
import { multiClassLabels, multiLabelLabels } from '../../src/data/labels.js';
import { InMemorySignalSource } from '../../src/data/source.js';
import { hasH5py, labelsWithCounts, randomSignals, runPython, tempDir, writeRawHdf5, type RawDataset } from './helpers.js';

async function expectDataError(p: Promise<unknown> | (() => unknown), file: string, pattern: RegExp): Promise<DataError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    assert.ok(e.message.startsWith(file), `message names the file: ${e.message}`);
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail(`expected a DataError matching ${pattern}`);
}

test('chunkRuns groups consecutive chunks', () => {
  assert.deepEqual(chunkRuns([0, 1, 2, 5, 7, 8]), [
    [0, 3],
    [5, 6],
    [7, 9],
  ]);
  assert.deepEqual(chunkRuns([]), []);
});

test('writeHdf5 round trip: chunked, gzip, [N, L] with groups and classes', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'a.h5');
  const n = 300;
  const l = 187;
  const signals = randomSignals(n, l);
  const labels = multiClassLabels(labelsWithCounts([200, 60, 40]), ['N', 'S', 'V']);
  const groups = Int32Array.from({ length: n }, (_, i) => i % 7);
  await writeHdf5(path, { signals, count: n, length: l, channels: 1, labels, groups });
  const ds = await LazyHdf5Dataset.open(path);
  try {
    assert.deepEqual([ds.count, ds.length, ds.channels], [n, l, 1]);
    assert.deepEqual(ds.layout.signals.shape, [n, l]);
    assert.equal(ds.layout.signals.dtype, 'float32');
    assert.ok(ds.layout.signals.chunks, 'chunked');
    assert.ok(ds.layout.signals.filters.some((f) => f.startsWith('gzip')), 'gzip filter');
    assert.deepEqual(ds.layout.classes, ['N', 'S', 'V']);
    const back = ds.readLabels();
    assert.deepEqual(Array.from(back.classIndex), Array.from(labels.classIndex));
    assert.deepEqual(back.classes, ['N', 'S', 'V']);
    assert.deepEqual(Array.from(ds.readGroups()!), Array.from(groups));
    assert.deepEqual(ds.readRange(0, n), signals);
  } finally {
    ds.close();
  }
});

test('lazy gather (any order, repeats) equals in-memory gather and reads by chunk', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'b.h5');
  const n = 500;
  const l = 50;
  const c = 2;
  const signals = randomSignals(n, l, c, 3);
  const labels = multiClassLabels(labelsWithCounts([250, 250]), ['a', 'b']);
  await writeHdf5(path, { signals, count: n, length: l, channels: c, labels, groups: null }, { chunkRows: 16 });
  const mem = new InMemorySignalSource(signals, n, l, c);
  const ds = await LazyHdf5Dataset.open(path, { cacheBytes: 4 * 16 * l * c * 4 });
  try {
    assert.deepEqual(ds.layout.signals.shape, [n, l, c]);
    assert.equal(ds.unitRows, 16);
    for (const indices of [[499, 0, 17, 17, 250, 3, 498], Array.from({ length: 64 }, (_, i) => (i * 97) % n), [5]]) {
      const a = new Float32Array(indices.length * l * c);
      const b = new Float32Array(indices.length * l * c);
      ds.gather(indices, a);
      mem.gather(indices, b);
      assert.deepEqual(a, b);
    }
    // Rows 0..15 share a chunk: one slice after the cache is cold for them.
    const before = ds.sliceCalls;
    ds.gather([32, 33, 40, 47], new Float32Array(4 * l * c));
    assert.equal(ds.sliceCalls - before, 1);
    // Two adjacent chunks are read with one slice.
    const before2 = ds.sliceCalls;
    ds.gather([400, 420], new Float32Array(2 * l * c));
    assert.equal(ds.sliceCalls - before2, 1);
    assert.throws(() => ds.gather([n], new Float32Array(l * c)), RangeError);
  } finally {
    ds.close();
  }
});

test('class labels above 255 in a file without class names are read whole, four bytes each from there on', async (t) => {
  const dir = tempDir(t);
  const n = (1 << 18) + 9_000; // the wide label sits in the second read block
  const l = 2;
  const y = Int32Array.from({ length: n }, (_, i) => (i === n - 3 ? 300 : i % 7));
  const file = join(dir, 'wide.h5');
  await writeRawHdf5(file, [
    { name: 'X', data: randomSignals(n, l, 1, 2), shape: [n, l] },
    { name: 'y', data: y, shape: [n] },
  ]);
  const ds = await LazyHdf5Dataset.open(file);
  try {
    const labels = ds.readLabels();
    assert.ok(labels.classIndex instanceof Int32Array);
    assert.deepEqual(Array.from(labels.classIndex), Array.from(y));
    assert.equal(labels.numClasses, 301);
  } finally {
    ds.close();
  }
});

test('labels and groups of a file longer than one read block come back whole, without reading a signal row; a bad label in a later block names its row', async (t) => {
  const dir = tempDir(t);
  const n = (1 << 18) + 40_000; // two blocks of labels and groups
  const l = 2;
  const signals = randomSignals(n, l, 1, 5);
  const classIndex = Int32Array.from({ length: n }, (_, i) => (i * 7) % 3);
  const groups = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 1000));
  const good = join(dir, 'long.h5');
  await writeHdf5(good, { signals, count: n, length: l, channels: 1, labels: multiClassLabels(classIndex, ['a', 'b', 'c']), groups });
  const ds = await LazyHdf5Dataset.open(good);
  try {
    const labels = ds.readLabels();
    assert.deepEqual(Array.from(labels.classIndex), Array.from(classIndex));
    assert.ok(labels.classIndex instanceof Uint8Array, 'one byte per label for three classes');
    assert.ok(labels.classIndex.buffer instanceof SharedArrayBuffer, 'labels are shared with the workers as read, not copied');
    assert.deepEqual(ds.readGroups(), groups);
    assert.equal(ds.rowsRead, 0, 'no signal row was read');
  } finally {
    ds.close();
  }
  const bad = join(dir, 'bad-label.h5');
  const broken = Int32Array.from(classIndex);
  broken[n - 5] = -1;
  await writeHdf5(bad, { signals, count: n, length: l, channels: 1, labels: multiClassLabels(broken, ['a', 'b', 'c']), groups: null });
  const b = await LazyHdf5Dataset.open(bad);
  try {
    await expectDataError(() => b.readLabels(), bad, new RegExp(`row ${n - 5} holds -1`));
  } finally {
    b.close();
  }
});

test('aliases: x / signals / tracings, labels, patient_id strings, record', async (t) => {
  const dir = tempDir(t);
  const n = 40;
  const variants: Array<{ sig: string; lab: string; grp: string | null; rank3: boolean }> = [
    { sig: 'x', lab: 'labels', grp: 'record', rank3: false },
    { sig: 'signals', lab: 'y', grp: 'patient_id', rank3: true },
    { sig: 'tracings', lab: 'labels', grp: null, rank3: true },
  ];
  for (const [k, v] of variants.entries()) {
    const path = join(dir, `alias${k}.h5`);
    const l = 20;
    const c = v.rank3 ? 3 : 1;
    const data = randomSignals(n, l, c, k);
    const y = Int32Array.from({ length: n }, (_, i) => i % 4);
    const datasets: RawDataset[] = [
      { name: v.sig, data, shape: v.rank3 ? [n, l, c] : [n, l], dtype: '<f', chunks: v.rank3 ? [8, l, c] : [8, l], gzip: true },
      { name: v.lab, data: y, shape: [n], dtype: '<i' },
    ];
    if (v.grp === 'patient_id') datasets.push({ name: 'patient_id', data: Array.from({ length: n }, (_, i) => `p${i % 5}`), shape: [n] });
    if (v.grp === 'record') datasets.push({ name: 'record', data: Int32Array.from({ length: n }, (_, i) => 100 + (i % 3)), shape: [n], dtype: '<i' });
    await writeRawHdf5(path, datasets, v.sig === 'x' ? { classes: ['a', 'b', 'c', 'd'] } : {});
    const ds = await LazyHdf5Dataset.open(path);
    try {
      assert.equal(ds.layout.signals.path, `/${v.sig}`);
      assert.equal(ds.layout.labels.path, `/${v.lab}`);
      assert.equal(ds.channels, c);
      assert.deepEqual(ds.readRange(0, n), data);
      const labels = ds.readLabels();
      assert.equal(labels.numClasses, 4);
      assert.deepEqual(labels.classes, v.sig === 'x' ? ['a', 'b', 'c', 'd'] : ['0', '1', '2', '3']);
      const g = ds.readGroups();
      if (v.grp === null) assert.equal(g, null);
      else assert.equal(new Set(g).size, v.grp === 'patient_id' ? 5 : 3);
    } finally {
      ds.close();
    }
  }
});

test('multi-label [N, K] labels and float64 [N, L, C] signals', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'ml.h5');
  const n = 30;
  const k = 4;
  const hot = Uint8Array.from({ length: n * k }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const x = Float64Array.from(randomSignals(n, 10, 2));
  await writeRawHdf5(
    path,
    [
      { name: 'X', data: x, shape: [n, 10, 2], dtype: '<d', chunks: [5, 10, 2], gzip: true },
      { name: 'y', data: hot, shape: [n, k], dtype: '<B' },
    ],
    { classes: ['a', 'b', 'c', 'd'] },
  );
  const ds = await LazyHdf5Dataset.open(path);
  try {
    assert.equal(ds.layout.signals.dtype, 'float64');
    const labels = ds.readLabels();
    assert.equal(labels.multilabel, true);
    assert.deepEqual(labels.multiHot, hot);
    const out = new Float32Array(2 * 20);
    ds.gather([29, 0], out);
    assert.deepEqual(out, Float32Array.from([...x.subarray(29 * 20, 30 * 20), ...x.subarray(0, 20)]));
  } finally {
    ds.close();
  }
  // multiLabelLabels agrees on K.
  assert.equal(multiLabelLabels(hot, ['a', 'b', 'c', 'd']).count, n);
});

test('files written by h5py load (float64, int64 labels, shuffle+gzip, byte-string groups, classes on the label dataset)', async (t) => {
  if (!hasH5py()) {
    t.skip('python3-h5py is not installed (/usr/bin/python3 cannot import h5py)');
    return;
  }
  const dir = tempDir(t);
  const path = join(dir, 'py.h5');
  runPython(`
import h5py, numpy as np
rng = np.random.default_rng(0)
X = rng.random((120, 187))
with h5py.File(${JSON.stringify(path)}, 'w') as f:
    f.create_dataset('X', data=X, chunks=(32, 187), compression='gzip', compression_opts=4, shuffle=True)
    f.create_dataset('y', data=np.arange(120) % 5)
    f.create_dataset('groups', data=np.array([b'rec%d' % (i % 6) for i in range(120)]))
    f['y'].attrs['classes'] = np.array([b'N', b'S', b'V', b'F', b'Q'])
np.save(${JSON.stringify(join(dir, 'x.npy'))}, X.astype('<f8'))
`);
  const ds = await LazyHdf5Dataset.open(path);
  try {
    assert.equal(ds.layout.signals.dtype, 'float64');
    assert.ok(ds.layout.signals.filters.includes('shuffle'));
    assert.equal(ds.layout.labels.dtype, 'int64');
    const labels = ds.readLabels();
    assert.deepEqual(labels.classes, ['N', 'S', 'V', 'F', 'Q']);
    assert.deepEqual(Array.from(labels.classIndex.subarray(0, 7)), [0, 1, 2, 3, 4, 0, 1]);
    assert.equal(new Set(ds.readGroups()).size, 6);
    // Compare with the values numpy wrote (the .npy payload is the last 120·187·8 bytes).
    const npy = readFileSync(join(dir, 'x.npy'));
    const expected = new Float64Array(npy.buffer.slice(npy.byteOffset + npy.length - 120 * 187 * 8, npy.byteOffset + npy.length));
    const out = new Float32Array(3 * 187);
    ds.gather([119, 0, 64], out);
    assert.deepEqual(out, Float32Array.from([...expected.subarray(119 * 187, 120 * 187), ...expected.subarray(0, 187), ...expected.subarray(64 * 187, 65 * 187)]));
  } finally {
    ds.close();
  }
});

test('errors name the file and the dataset path', async (t) => {
  const dir = tempDir(t);
  const n = 10;
  const sig = randomSignals(n, 8);
  const y = Int32Array.from({ length: n }, (_, i) => i % 2);

  const missing = join(dir, 'nope.h5');
  await expectDataError(LazyHdf5Dataset.open(missing), missing, /file not found/);

  const text = join(dir, 'text.h5');
  writeFileSync(text, 'this is not HDF5\n'.repeat(100));
  await expectDataError(LazyHdf5Dataset.open(text), text, /not an HDF5 file/);

  const good = join(dir, 'good.h5');
  await writeRawHdf5(good, [
    { name: 'X', data: randomSignals(2000, 8), shape: [2000, 8], dtype: '<f', chunks: [100, 8], gzip: true },
    { name: 'y', data: new Int32Array(2000), shape: [2000], dtype: '<i' },
  ]);
  const bytes = readFileSync(good);
  const truncated = join(dir, 'truncated.h5');
  writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  await expectDataError(LazyHdf5Dataset.open(truncated), truncated, /truncated HDF5 file/);

  const noSignals = join(dir, 'nosig.h5');
  await writeRawHdf5(noSignals, [{ name: 'y', data: y, shape: [n], dtype: '<i' }]);
  await expectDataError(LazyHdf5Dataset.open(noSignals), noSignals, /no signal dataset: expected one of \/X, \/x, \/signals, \/tracings/);

  const noLabels = join(dir, 'nolab.h5');
  await writeRawHdf5(noLabels, [{ name: 'X', data: sig, shape: [n, 8], dtype: '<f' }]);
  await expectDataError(LazyHdf5Dataset.open(noLabels), noLabels, /no label dataset/);

  const rank1 = join(dir, 'rank1.h5');
  await writeRawHdf5(rank1, [
    { name: 'X', data: sig, shape: [n * 8], dtype: '<f' },
    { name: 'y', data: y, shape: [n], dtype: '<i' },
  ]);
  const e1 = await expectDataError(LazyHdf5Dataset.open(rank1), rank1, /\/X: expected shape \[N, L\] or \[N, L, C\], found \[80\]/);
  assert.equal(e1.location, '/X');

  const intSignals = join(dir, 'int.h5');
  await writeRawHdf5(intSignals, [
    { name: 'X', data: Int32Array.from(sig, (v) => Math.round(v * 100)), shape: [n, 8], dtype: '<i' },
    { name: 'y', data: y, shape: [n], dtype: '<i' },
  ]);
  await expectDataError(LazyHdf5Dataset.open(intSignals), intSignals, /\/X: expected float32 or float64 signals, found int32/);

  const rows = join(dir, 'rows.h5');
  await writeRawHdf5(rows, [
    { name: 'X', data: sig, shape: [n, 8], dtype: '<f' },
    { name: 'y', data: y.subarray(0, 9), shape: [9], dtype: '<i' },
  ]);
  await expectDataError(LazyHdf5Dataset.open(rows), rows, /\/y: has 9 rows but \/X has 10/);

  const nan = join(dir, 'nan.h5');
  const bad = sig.slice();
  bad[3 * 8 + 5] = NaN;
  await writeRawHdf5(nan, [
    { name: 'X', data: bad, shape: [n, 8], dtype: '<f', chunks: [4, 8], gzip: true },
    { name: 'y', data: y, shape: [n], dtype: '<i' },
  ]);
  const ds = await LazyHdf5Dataset.open(nan);
  try {
    await expectDataError(() => ds.gather([3], new Float32Array(8)), nan, /\/X: row 3 holds a non-finite value \(NaN\) at sample 5/);
    await expectDataError(() => ds.readRange(0, n), nan, /row 3 holds a non-finite value/);
  } finally {
    ds.close();
  }

  const range = join(dir, 'range.h5');
  await writeRawHdf5(
    range,
    [
      { name: 'X', data: sig, shape: [n, 8], dtype: '<f' },
      { name: 'y', data: Int32Array.from(y, (v, i) => (i === 6 ? 7 : v)), shape: [n], dtype: '<i' },
    ],
    { classes: ['a', 'b'] },
  );
  const r = await LazyHdf5Dataset.open(range);
  try {
    await expectDataError(() => r.readLabels(), range, /\/y: label 7 at row 6 is out of range for the 2 classes/);
  } finally {
    r.close();
  }

  const negative = join(dir, 'neg.h5');
  await writeRawHdf5(negative, [
    { name: 'X', data: sig, shape: [n, 8], dtype: '<f' },
    { name: 'y', data: Float32Array.from(y, (v, i) => (i === 2 ? 0.5 : v)), shape: [n], dtype: '<f' },
  ]);
  const ng = await LazyHdf5Dataset.open(negative);
  try {
    await expectDataError(() => ng.readLabels(), negative, /class labels must be integers >= 0; row 2 holds 0.5/);
  } finally {
    ng.close();
  }

  const multi = join(dir, 'multi.h5');
  await writeRawHdf5(multi, [
    { name: 'X', data: sig, shape: [n, 8], dtype: '<f' },
    { name: 'y', data: Uint8Array.from({ length: n * 3 }, (_, i) => (i === 4 ? 2 : 0)), shape: [n, 3], dtype: '<B' },
  ]);
  const m = await LazyHdf5Dataset.open(multi);
  try {
    await expectDataError(() => m.readLabels(), multi, /multi-hot labels must be 0 or 1; row 1, label 1 holds 2/);
  } finally {
    m.close();
  }
});
