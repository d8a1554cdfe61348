import { strict as assert } from 'node:assert';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importCommand, inspectFile } from '../../src/data/commands.js';
import { DataError } from '../../src/data/errors.js';
import { LazyHdf5Dataset } from '../../src/data/hdf5/lazy-dataset.js';
import { readMitAnnotations } from '../../src/data/wfdb/annotations.js';
import { parseWfdbHeader } from '../../src/data/wfdb/header.js';
import { importWfdb } from '../../src/data/wfdb/import.js';
import { readWfdbRecord } from '../../src/data/wfdb/record.js';
import { decodeSignal } from '../../src/data/wfdb/signals.js';
import { hpsearch } from '../cli/helpers.js';
import { tempDir } from './helpers.js';
import { copyRecords, decodeWithNumpy, numpyPython, PHYSIONET, RECORDS, REFERENCE_COUNTS } from './physionet-fixtures.js';

test('format 212 samples and .atr codes/times equal an independent numpy decoding of the three records', (t) => {
  const py = numpyPython();
  if (!py) {
    t.skip('no python3 with numpy (apt-get install python3-numpy)');
    return;
  }
  const dir = tempDir(t);
  for (const record of RECORDS) {
    const ref = decodeWithNumpy(py, dir, record);
    const headerFile = join(PHYSIONET, `${record}.hea`);
    const h = parseWfdbHeader(readFileSync(headerFile, 'latin1'), headerFile);
    const dat = readFileSync(join(PHYSIONET, `${record}.dat`));
    const n = h.samples!;
    assert.equal(ref.samples.length, 2 * n, `${record}: numpy decoded ${n} frames`);
    for (let s = 0; s < 2; s++) {
      const ours = decodeSignal(dat, h.signals, s, n, { datFile: `${record}.dat`, headerFile });
      const theirs = Int32Array.from({ length: n }, (_, i) => ref.samples[2 * i + s]!);
      assert.deepEqual(ours, theirs, `${record}, signal ${s}: samples`);
    }
    const ann = readMitAnnotations(readFileSync(join(PHYSIONET, `${record}.atr`)), `${record}.atr`);
    assert.deepEqual(Array.from(ann.samples), ref.times, `${record}: annotation times`);
    assert.deepEqual(Array.from(ann.codes), ref.codes, `${record}: annotation codes`);
  }
});

test('readWfdbRecord: the lead by name in physical units, the first signal when the record lacks it', () => {
  const r100 = readWfdbRecord(join(PHYSIONET, '100.hea'), 'V5');
  assert.equal(r100.lead, 'V5');
  assert.equal(r100.fallback, false);
  assert.equal(r100.signal.length, 650000);
  assert.equal(r100.signal[0], (1011 - 1024) / 200, 'initial value 1011, baseline = ADC zero 1024, gain 200');
  const r800 = readWfdbRecord(join(PHYSIONET, '800.hea'), 'MLII');
  assert.equal(r800.fallback, true);
  assert.equal(r800.lead, 'ECG');
  assert.equal(r800.signal[0], -101 / 200);
});

test('importing the three records gives the README reference beats per record and AAMI class', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'beats.h5');
  const warnings: string[] = [];
  const results = await importWfdb([join(PHYSIONET, '100.hea'), join(PHYSIONET, '208.hea'), join(PHYSIONET, '800.hea')], out, { lead: 'MLII', warn: (m) => warnings.push(m) });
  assert.deepEqual(warnings, ['record 800 has no lead MLII: using its first signal, ECG']);
  for (const r of results) {
    assert.deepEqual(r.classCounts, REFERENCE_COUNTS[r.record as (typeof RECORDS)[number]], `record ${r.record}`);
    assert.equal(r.dropped, 0);
  }
  const summary = await inspectFile(out);
  assert.equal(summary.count, 2273 + 2955 + 1883);
  assert.equal(summary.length, 187);
  assert.deepEqual(summary.classes, ['N', 'S', 'V', 'F', 'Q']);
  assert.equal(summary.groups, 3);
  assert.deepEqual(summary.groupClassCounts, [
    { group: '100', count: 2273, classCounts: { N: 2239, S: 33, V: 1, F: 0, Q: 0 } },
    { group: '208', count: 2955, classCounts: { N: 1586, S: 2, V: 992, F: 373, Q: 2 } },
    { group: '800', count: 1883, classCounts: { N: 1846, S: 30, V: 6, F: 1, Q: 0 } },
  ]);
  const ds = await LazyHdf5Dataset.open(out);
  try {
    const groups = ds.readGroups()!;
    assert.equal(groups[0], 0);
    assert.equal(groups[2273], 1);
    assert.equal(groups[summary.count - 1], 2);
  } finally {
    ds.close();
  }
  assert.deepEqual(readdirSync(dir), ['beats.h5'], 'no temporary file left');
});

test('hpsearch data import <folder> through the CLI: one stderr line for the fallback lead, per-record counts from inspect', (t) => {
  const dir = tempDir(t);
  const imported = hpsearch(['data', 'import', PHYSIONET, '--out', 'beats.h5'], { cwd: dir });
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stderr, 'record 800 has no lead MLII: using its first signal, ECG\n');
  const inspected = hpsearch(['data', 'inspect', 'beats.h5'], { cwd: dir });
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.match(inspected.stdout, /signals {2}7111 × 187/);
  assert.match(inspected.stdout, /100 +2273: N 2239, S 33, V 1, F 0, Q 0/);
  assert.match(inspected.stdout, /208 +2955: N 1586, S 2, V 992, F 373, Q 2/);
  assert.match(inspected.stdout, /800 +1883: N 1846, S 30, V 6, F 1, Q 0/);
  const mixed = hpsearch(['data', 'import', join(PHYSIONET, '100.hea'), 'beats.csv', '--out', 'mixed.h5'], { cwd: dir });
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /^hpsearch: beats\.csv: cannot import CSV files and WFDB records/);
});

/** A 16-bit MIT annotation word. */
const word = (code: number, n: number) => Buffer.from([n & 0xff, ((code << 2) | (n >> 8)) & 0xff]);

/** 100.atr with `extra` words inserted before its end-of-file word. */
function atrWith(dir: string, extra: Buffer): void {
  const original = readFileSync(join(PHYSIONET, '100.atr'));
  const end = original.length - 2;
  assert.equal(original.readUInt16LE(end), 0, 'the file ends with the 0 word');
  writeFileSync(join(dir, '100.atr'), Buffer.concat([original.subarray(0, end), extra, original.subarray(end)]));
}

test('an annotation file that does not match its signal is refused with the annotation and nothing is written', async (t) => {
  const dir = tempDir(t);
  copyRecords(dir);
  const out = join(dir, 'beats.h5');
  const refused = async (message: RegExp) => {
    await assert.rejects(importCommand({ files: [join(dir, '100.hea')], out }), (e: unknown) => e instanceof DataError && message.test(e.message));
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('partial')), []);
  };
  // Last annotation of 100.atr: index 2273 at sample 649991 (2274 annotations). A SKIP of 10,000 then an N beat
  // puts annotation 2274 at 649991 + 10000 + 5 = 659996, past the 650,000 samples.
  const skip = Buffer.alloc(4);
  skip.writeUInt16LE(0, 0);
  skip.writeUInt16LE(10_000, 2);
  atrWith(dir, Buffer.concat([word(59, 0), skip, word(1, 5)]));
  await refused(/100\.atr: annotation 2274 at sample 659996: beat "N" lies outside the signal \(650000 samples\)/);
  atrWith(dir, word(45, 3));
  await refused(/100\.atr: annotation 2274 at sample 649994: unknown annotation code 45/);
  // An AUX payload of odd length is skipped with its padding byte: the beat after it is read.
  atrWith(dir, Buffer.concat([word(63, 3), Buffer.from('(N\0\0'), word(45, 1)]));
  await refused(/annotation 2274 at sample 649992: unknown annotation code 45/);
});

test('a signal file that does not match its header (checksum, length) is refused', async (t) => {
  const dir = tempDir(t);
  copyRecords(dir);
  const out = join(dir, 'beats.h5');
  const dat = readFileSync(join(dir, '100.dat'));
  dat[3000] ^= 0x01;
  writeFileSync(join(dir, '100.dat'), dat);
  await assert.rejects(importWfdb([join(dir, '100.hea')], out), /100\.dat: checksum of signal MLII is -?\d+, the header .*100\.hea:3 says -22131/);
  writeFileSync(join(dir, '100.dat'), readFileSync(join(PHYSIONET, '100.dat')).subarray(0, 1000));
  await assert.rejects(importWfdb([join(dir, '100.hea')], out), /100\.dat: holds 333 samples per signal, the header .* says 650000/);
  appendFileSync(join(dir, 'notes.txt'), 'x');
  await assert.rejects(importWfdb([join(dir, 'notes.txt')], out), /notes\.txt: expected a WFDB header \(\.hea\) file or a folder/);
  assert.equal(existsSync(out), false);
});
