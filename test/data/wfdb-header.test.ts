import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DataError } from '../../src/data/errors.js';
import { parseWfdbHeader } from '../../src/data/wfdb/header.js';
import { PHYSIONET } from './physionet-fixtures.js';

const header = (record: string) => parseWfdbHeader(readFileSync(join(PHYSIONET, `${record}.hea`), 'latin1'), `${record}.hea`);

test('100.hea: a comment before the record line and a blank line between the signal lines', () => {
  const h = header('100');
  assert.equal(h.record, '100');
  assert.equal(h.frequency, 360);
  assert.equal(h.samples, 650000);
  assert.equal(h.signals.length, 2);
  const [mlii, v5] = h.signals;
  assert.deepEqual(
    { ...mlii },
    { file: '100.dat', format: 212, samplesPerFrame: 1, skew: 0, byteOffset: 0, gain: 200, baseline: 1024, units: 'mV', adcResolution: 11, adcZero: 1024, initialValue: 995, checksum: -22131, blockSize: 0, description: 'MLII', line: 3 },
  );
  assert.equal(v5!.description, 'V5');
  assert.equal(v5!.line, 5, 'the blank line 4 is skipped');
  assert.equal(v5!.initialValue, 1011);
  assert.equal(v5!.checksum, 20052);
  assert.deepEqual(h.comments, ['unnecessary comment', '69 M 1085 1629 x1', 'Aldomet, Inderal']);
});

test('208.hea: patient comments after the signal lines; 800.hea: CRLF line ends and an ADC zero of 0', () => {
  const h208 = header('208');
  assert.deepEqual(h208.signals.map((s) => s.description), ['MLII', 'V1']);
  assert.equal(h208.comments.length, 5);
  assert.match(h208.comments[2]!, /^The PVCs are uniform\./);
  const h800 = header('800');
  assert.equal(h800.frequency, 128);
  assert.equal(h800.samples, 230400);
  assert.deepEqual(h800.signals.map((s) => [s.description, s.adcResolution, s.adcZero, s.baseline, s.initialValue, s.checksum]), [
    ['ECG', 10, 0, 0, -101, -25183],
    ['ECG', 10, 0, 0, 123, 10510],
  ]);
});

test('every optional field: fs/counter(base), format x:+, gain(baseline)/units, descriptions with spaces, defaults', () => {
  const h = parseWfdbHeader(
    [
      'rec 3 500/1000(2) 1000 12:00:00 01/01/2000',
      'rec.dat 16x1:0+512 400(-12)/uV 16 5 7 -3 0 lead II chest',
      'rec.dat 16',
      'other.dat 80 0',
    ].join('\n'),
    'rec.hea',
  );
  assert.equal(h.frequency, 500);
  assert.equal(h.samples, 1000);
  const [a, b, c] = h.signals;
  assert.deepEqual([a!.format, a!.samplesPerFrame, a!.skew, a!.byteOffset, a!.gain, a!.baseline, a!.units, a!.adcZero, a!.initialValue, a!.checksum], [16, 1, 0, 512, 400, -12, 'uV', 5, 7, -3]);
  assert.equal(a!.description, 'lead II chest');
  assert.deepEqual([b!.gain, b!.baseline, b!.units, b!.initialValue, b!.checksum, b!.description], [200, 0, 'mV', null, null, 'record rec, signal 1']);
  assert.equal(c!.gain, 200, 'gain 0 (uncalibrated) is taken as the default 200');
  assert.equal(parseWfdbHeader('rec 1\nrec.dat 212\n', 'rec.hea').frequency, 250, 'default sampling frequency');
  assert.equal(parseWfdbHeader('rec 1 360\nrec.dat 212\n', 'rec.hea').samples, null, 'no nsamp: the signal file decides');
});

test('malformed headers are DataErrors at file:line:column', () => {
  const bad = (text: string, message: RegExp) => assert.throws(() => parseWfdbHeader(text, 'r.hea'), (e: unknown) => e instanceof DataError && message.test(e.message));
  bad('# only comments\n\n', /^r\.hea: no record line/);
  bad('r 2 360 100\nr.dat 212\n', /^r\.hea:3:1: the record line announces 2 signals, found 1 signal lines/);
  bad('r two 360\n', /^r\.hea:1:3: number of signals: expected an integer, found "two"/);
  bad('r/2 2 360\n', /^r\.hea:1:1: multi-segment records/);
  bad('r 1 fast\n', /^r\.hea:1:5: sampling frequency: expected/);
  bad('r 1 360\nr.dat 212q\n', /^r\.hea:2:7: format: expected format\[xsamp\]/);
  bad('r 1 360\nr.dat 212 200 11 zero\n', /^r\.hea:2:18: ADC zero: expected an integer, found "zero"/);
  bad('r 1 360\nr.dat 212\nr.dat 212\n', /^r\.hea:3:1: more signal lines than the 1/);
});
