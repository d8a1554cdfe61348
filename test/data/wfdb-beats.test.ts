import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { aamiClassIndex, annotationMnemonic } from '../../src/data/wfdb/aami.js';
import { BEAT_SAMPLES, segmentBeats } from '../../src/data/wfdb/beats.js';
import { readWfdbRecord } from '../../src/data/wfdb/record.js';
import { resampledIndex, resampledLength, resampleLinear } from '../../src/data/wfdb/resample.js';
import { PHYSIONET } from './physionet-fixtures.js';

test('AAMI mapping: N = N L R e j, S = A a J S, V = V E, F = F, Q = / f Q; other codes are not beats', () => {
  const byMnemonic = new Map<string, number>();
  for (let code = 1; code <= 41; code++) {
    const m = annotationMnemonic(code);
    if (m !== null) byMnemonic.set(m, aamiClassIndex(code));
  }
  const expected: Record<string, number> = { N: 0, L: 0, R: 0, e: 0, j: 0, A: 1, a: 1, J: 1, S: 1, V: 2, E: 2, F: 3, '/': 4, f: 4, Q: 4 };
  for (const [m, c] of byMnemonic) assert.equal(c, expected[m] ?? -1, `code ${m}`);
  assert.equal(Object.keys(expected).filter((m) => byMnemonic.has(m)).length, 15, 'every beat mnemonic is defined');
  assert.equal(annotationMnemonic(15), null);
  assert.equal(annotationMnemonic(45), null);
});

test('segmentBeats on a ramp: window scaling, 1.2 × median RR, clipping at the window end, truncation to 187, drop of lone beats', () => {
  // 2.5 windows of 1250 samples; value = t, so a scaled sample is (t − start) / (end − 1 − start).
  const lead = Float64Array.from({ length: 3125 }, (_, t) => t);
  const peaks = Int32Array.from([100, 200, 300, 1200, /* window 2: */ 1300, 1500, 1700, /* window 3: */ 2600]);
  const classes = Int32Array.from([0, 1, 2, 3, 4, 0, 1, 2]);
  const b = segmentBeats(lead, peaks, classes);
  assert.equal(b.count, 7);
  assert.equal(b.dropped, 1, 'the last window has one beat: no RR interval');
  assert.deepEqual(Array.from(b.labels), [0, 1, 2, 3, 4, 0, 1]);
  const row = (i: number) => Array.from(b.signals.subarray(i * BEAT_SAMPLES, (i + 1) * BEAT_SAMPLES));
  const nonZero = (r: number[]) => r.findLastIndex((v) => v !== 0) + 1;
  // Window 1: RR 100, 100, 900 → median 100 → 120 samples.
  const r0 = row(0);
  assert.equal(nonZero(r0), 120);
  r0.slice(0, 120).forEach((v, j) => assert.ok(Math.abs(v - (100 + j) / 1249) < 1e-6, `sample ${j}`));
  assert.equal(nonZero(row(3)), 50, 'peak 1200: clipped at the window end 1250');
  // Window 2: RR 200, 200 → median 200 → 240 samples, truncated to 187.
  const r4 = row(4);
  assert.equal(nonZero(r4), 187);
  assert.ok(Math.abs(r4[0]! - (1300 - 1250) / 1249) < 1e-6);
});

test('resampling 360 → 125 Hz keeps lengths and positions', () => {
  assert.equal(resampledLength(650000, 360, 125), 225695);
  assert.equal(resampledIndex(77, 360, 125), 27);
  const x = Float64Array.from({ length: 721 }, (_, i) => 3 * i);
  const y = resampleLinear(x, 360, 125);
  assert.equal(y.length, 251);
  y.forEach((v, k) => assert.ok(Math.abs(v - (3 * k * 360) / 125) < 1e-9, `sample ${k}`));
});

/**
 * Properties of the beats of a real record, computed here from the annotations without the
 * segmentation code: windows of 1250 samples at 125 Hz, R peaks by rounding, median RR.
 */
for (const record of ['100', '208']) {
  test(`beats of record ${record}: 187 samples in [0, 1], zero after 1.2 × median RR, one per annotated beat`, () => {
    const rec = readWfdbRecord(join(PHYSIONET, `${record}.hea`), 'MLII');
    const fs = rec.header.frequency;
    const lead = resampleLinear(rec.signal, fs, 125);
    const peaks: number[] = [];
    const classes: number[] = [];
    rec.annotations.codes.forEach((code, i) => {
      if (aamiClassIndex(code) < 0) return;
      peaks.push(Math.round((rec.annotations.samples[i]! * 125) / fs));
      classes.push(aamiClassIndex(code));
    });
    const b = segmentBeats(lead, Int32Array.from(peaks), Int32Array.from(classes));
    // Expected: per 10-s window, the peaks in it; a window with >= 2 gives one beat per peak.
    const windows = new Map<number, number[]>();
    peaks.forEach((p, i) => windows.set(Math.floor(p / 1250), [...(windows.get(Math.floor(p / 1250)) ?? []), i]));
    const expected: { peak: number; cls: number; span: number; lo: number; hi: number }[] = [];
    for (const [w, members] of [...windows].sort((x, y) => x[0] - y[0])) {
      if (members.length < 2) continue;
      const ps = members.map((i) => peaks[i]!);
      const rr = ps.slice(1).map((p, i) => p - ps[i]!).sort((x, y) => x - y);
      const med = rr.length % 2 ? rr[(rr.length - 1) / 2]! : (rr[rr.length / 2 - 1]! + rr[rr.length / 2]!) / 2;
      const seg = lead.subarray(w * 1250, Math.min(lead.length, (w + 1) * 1250));
      const lo = Math.min(...seg);
      const hi = Math.max(...seg);
      for (const i of members) expected.push({ peak: peaks[i]!, cls: classes[i]!, span: Math.min(Math.round(1.2 * med), 187, Math.min(lead.length, (w + 1) * 1250) - peaks[i]!), lo, hi });
    }
    assert.equal(b.count, expected.length);
    assert.equal(b.count + b.dropped, peaks.length);
    assert.equal(b.signals.length, b.count * BEAT_SAMPLES);
    expected.forEach((e, i) => {
      const r = b.signals.subarray(i * BEAT_SAMPLES, (i + 1) * BEAT_SAMPLES);
      for (let j = 0; j < BEAT_SAMPLES; j++) {
        assert.ok(r[j]! >= 0 && r[j]! <= 1, `beat ${i} sample ${j} in [0, 1]`);
        if (j >= e.span) assert.equal(r[j], 0, `beat ${i}: zero padding from sample ${e.span}`);
      }
      // The beat starts at its R peak, scaled with its window's min and max.
      assert.ok(Math.abs(r[0]! - (lead[e.peak]! - e.lo) / (e.hi - e.lo)) < 1e-6, `beat ${i} starts at its R peak`);
      assert.equal(b.labels[i], e.cls);
    });
  });
}
