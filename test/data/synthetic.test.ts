import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { apportion, BEAT_LENGTH, generateSynthetic, generateSyntheticBlocks, MITBIH_SHARES, MULTILABEL_CLASSES } from '../../src/data/synthetic.js';
import { stratifiedSplit } from '../../src/data/splits.js';

test('apportion: largest remainder, sums to n', () => {
  assert.deepEqual(apportion(1000, MITBIH_SHARES), [828, 25, 66, 7, 74]);
  assert.deepEqual(apportion(10, [1, 1, 1]), [4, 3, 3]);
  for (const n of [1, 7, 99, 6000]) assert.equal(apportion(n, MITBIH_SHARES).reduce((a, b) => a + b, 0), n);
});

test('Kaggle format: 187 samples in [0, 1], min-max scaled window then zero padding; MIT-BIH shares', () => {
  const s = generateSynthetic({ n: 2000, seed: 11 });
  assert.equal(s.length, BEAT_LENGTH);
  assert.equal(s.channels, 1);
  assert.deepEqual(s.classes, ['N', 'S', 'V', 'F', 'Q']);
  const counts = [0, 0, 0, 0, 0];
  for (const c of s.labels.classIndex) counts[c]!++;
  assert.deepEqual(counts, apportion(2000, MITBIH_SHARES));
  const firstSample: number[] = [];
  for (let i = 0; i < s.count; i++) {
    const row = s.signals.subarray(i * BEAT_LENGTH, (i + 1) * BEAT_LENGTH);
    let end = BEAT_LENGTH;
    while (end > 0 && row[end - 1] === 0) end--;
    // Window 1.2 × RR at 125 Hz for 55–100 bpm: 90..164 samples (jittered by the median RR).
    assert.ok(end >= 75 && end <= BEAT_LENGTH, `window length ${end}`);
    // Min-max scaled: the window's maximum is 1 and its minimum 0 (the minimum may be the very
    // last sample, indistinguishable from the padding that follows).
    assert.ok(Math.abs(Math.max(...row) - 1) < 1e-6, 'max 1');
    assert.ok(row.every((v) => v >= 0 && v <= 1), 'values in [0, 1]');
    assert.ok(Math.min(...row.subarray(0, Math.min(BEAT_LENGTH, end + 1))) < 1e-6, 'min 0');
    if (s.labels.classIndex[i] === 0) firstSample.push(row[0]!);
  }
  // The window opens on an R peak: for sinus beats the first sample is near the maximum.
  firstSample.sort((a, b) => a - b);
  assert.ok(firstSample[Math.floor(firstSample.length / 2)]! > 0.8, `median first sample of N beats ${firstSample[Math.floor(firstSample.length / 2)]}`);
});

test('deterministic for a seed; blocks equal the whole; seeds differ', async () => {
  const a = generateSynthetic({ n: 300, seed: 5 });
  const b = generateSynthetic({ n: 300, seed: 5 });
  assert.deepEqual(a.signals, b.signals);
  assert.deepEqual(a.labels.classIndex, b.labels.classIndex);
  assert.deepEqual(a.groups, b.groups);
  const part = generateSynthetic({ n: 300, seed: 5 }, { start: 120, end: 200 });
  assert.deepEqual(part.signals, a.signals.subarray(120 * BEAT_LENGTH, 200 * BEAT_LENGTH));
  const blocks: Float32Array[] = [];
  await generateSyntheticBlocks({ n: 300, seed: 5 }, 64, (blk) => void blocks.push(blk.signals));
  assert.deepEqual(Float32Array.from(blocks.flatMap((x) => Array.from(x))), a.signals);
  const c = generateSynthetic({ n: 300, seed: 6 });
  assert.notDeepEqual(c.signals, a.signals);
});

test('simulated patients: groups, paced patients produce only Q beats, abnormal beats cluster by patient', () => {
  const s = generateSynthetic({ n: 6000, seed: 7 });
  const patients = new Set(s.groups);
  assert.equal(patients.size, 40);
  const classesOf = new Map<number, Set<number>>();
  for (let i = 0; i < s.count; i++) {
    const g = s.groups![i]!;
    if (!classesOf.has(g)) classesOf.set(g, new Set());
    classesOf.get(g)!.add(s.labels.classIndex[i]!);
  }
  const paced = [...classesOf.values()].filter((cs) => cs.has(4));
  assert.ok(paced.length >= 3, 'at least three paced patients');
  for (const cs of paced) assert.deepEqual([...cs], [4]);
  // Ectopy propensities differ: some non-paced patients have no V beat at all.
  const nonPaced = [...classesOf.values()].filter((cs) => !cs.has(4));
  assert.ok(nonPaced.some((cs) => !cs.has(2)) && nonPaced.some((cs) => cs.has(2)));
});

/** Nearest-centroid classifier on the raw samples: a deliberately simple baseline. */
function nearestCentroidRecall(signals: Float32Array, labels: ArrayLike<number>, train: Int32Array, test: Int32Array, k: number, d: number): number[] {
  const centroid = Array.from({ length: k }, () => new Float64Array(d));
  const n = new Array<number>(k).fill(0);
  for (const i of train) {
    const c = labels[i]!;
    n[c]!++;
    for (let t = 0; t < d; t++) centroid[c]![t]! += signals[i * d + t]!;
  }
  centroid.forEach((v, c) => v.forEach((_, t) => (v[t]! /= Math.max(1, n[c]!))));
  const hit = new Array<number>(k).fill(0);
  const total = new Array<number>(k).fill(0);
  for (const i of test) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (signals[i * d + t]! - centroid[c]![t]!) ** 2;
      if (s < bestD) {
        bestD = s;
        best = c;
      }
    }
    total[labels[i]!]!++;
    if (best === labels[i]) hit[labels[i]!]!++;
  }
  return hit.map((h, c) => h / total[c]!);
}

test('not trivially separable: a nearest-centroid baseline recalls S and F poorly but V and Q well', () => {
  const s = generateSynthetic({ n: 8000, seed: 3 });
  const split = stratifiedSplit(s.labels, { val: 0, test: 0.3, seed: 0 });
  const recall = nearestCentroidRecall(s.signals, s.labels.classIndex, split.train, split.test, 5, BEAT_LENGTH);
  assert.ok(recall[1]! < 0.75, `S recall ${recall[1]}`);
  assert.ok(recall[3]! < 0.75, `F recall ${recall[3]}`);
  assert.ok(recall[4]! > 0.5, `Q recall ${recall[4]} (the classes do carry information)`);
});

test('multi-label variant: [N, 187, 3] leads, K = 5 co-occurring labels, PVC excludes PAC and BBB', () => {
  const s = generateSynthetic({ n: 1500, seed: 2, multilabel: true });
  assert.equal(s.channels, 3);
  assert.equal(s.signals.length, 1500 * BEAT_LENGTH * 3);
  assert.equal(s.labels.multilabel, true);
  assert.deepEqual(s.labels.classes, [...MULTILABEL_CLASSES]);
  const k = 5;
  const positives = new Array<number>(k).fill(0);
  let multi = 0;
  let none = 0;
  for (let i = 0; i < s.count; i++) {
    const row = s.labels.multiHot.subarray(i * k, i * k + k);
    row.forEach((v, j) => (positives[j]! += v));
    const sum = row.reduce((a, b) => a + b, 0);
    if (sum >= 2) multi++;
    if (sum === 0) none++;
    if (row[1]) assert.equal(row[0]! + row[2]!, 0, 'a premature ventricular beat is neither atrial nor conducted with BBB');
  }
  for (const p of positives) assert.ok(p > 0 && p < s.count / 2, `label prevalence ${p}`);
  assert.ok(multi > 0, 'some beats carry several labels');
  assert.ok(none > 0, 'some beats carry none');
  const two = generateSynthetic({ n: 50, seed: 2, multilabel: true, leads: 2 });
  assert.equal(two.channels, 2);
});
