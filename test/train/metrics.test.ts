import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  accuracyFromConfusion,
  argmaxRows,
  auroc,
  aurocPerClassOvr,
  classificationMetrics,
  confusionMatrix,
  confusionMatrixOfLogits,
  f1Macro,
  f1PerClass,
  multilabelMetrics,
  precisionMacro,
  precisionPerClass,
  recallMacro,
  recallPerClass,
  scalarMetricNames,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
  softmaxCrossEntropyOfLabels,
} from '../../src/train/metrics.js';

const close = (a: number, b: number, what = ''): void => assert.ok(Math.abs(a - b) < 1e-12, `${what} ${a} vs ${b}`);

describe('multi-class metrics', () => {
  // 3 classes; rows true, columns predicted.
  //   true 0: 4 right, 1 as class 1
  //   true 1: 1 as 0, 2 right, 1 as 2
  //   true 2: 2 right
  const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2];
  const preds = [0, 0, 0, 0, 1, 0, 1, 1, 2, 2, 2];
  const cm = confusionMatrix(labels, preds, 3);

  it('builds the confusion matrix with true classes as rows', () => {
    assert.deepEqual(cm, [
      [4, 1, 0],
      [1, 2, 1],
      [0, 0, 2],
    ]);
  });

  it('computes accuracy, per-class and macro recall, precision and F1', () => {
    close(accuracyFromConfusion(cm), 8 / 11);
    assert.deepEqual(recallPerClass(cm), [4 / 5, 2 / 4, 2 / 2]);
    assert.deepEqual(precisionPerClass(cm), [4 / 5, 2 / 3, 2 / 3]);
    close(recallMacro(cm), (0.8 + 0.5 + 1) / 3, 'balanced accuracy');
    close(precisionMacro(cm), (0.8 + 2 / 3 + 2 / 3) / 3);
    const f1 = [0.8, (2 * (2 / 3) * 0.5) / (2 / 3 + 0.5), (2 * (2 / 3)) / (2 / 3 + 1)];
    f1PerClass(cm).forEach((v, i) => close(v, f1[i], `f1[${i}]`));
    close(f1Macro(cm), (f1[0] + f1[1] + f1[2]) / 3);
  });

  it('averages recall over classes present in the truth (balanced accuracy) and scores 0/0 as 0', () => {
    // Class 2 never occurs and is never predicted; class 1 is predicted but never true.
    const m = confusionMatrix([0, 0, 0, 3, 3], [0, 1, 0, 3, 0], 4);
    assert.deepEqual(recallPerClass(m), [2 / 3, 0, 0, 1 / 2]);
    close(recallMacro(m), (2 / 3 + 1 / 2) / 2);
    assert.deepEqual(precisionPerClass(m), [2 / 3, 0, 0, 1]);
    close(precisionMacro(m), (2 / 3 + 0 + 1) / 3, 'over classes in truth or predictions');
  });

  it('takes the arg-max of logits (first on ties) and reports everything from logits', () => {
    assert.deepEqual(Array.from(argmaxRows([1, 3, 2, 5, 5, 0], 2, 3)), [1, 0]);
    const logits = [2, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0, 2];
    const m = classificationMetrics(logits, [0, 1, 2, 2], 3);
    assert.equal(m.accuracy, 0.75);
    assert.deepEqual(m.confusion_matrix, [
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 1],
    ]);
    assert.deepEqual(m.recall_per_class, [1, 1, 0.5]);
  });

  it('reports every objective a single-label study may name, one-vs-rest AUROC as scikit-learn', () => {
    const logits = [2, 0, 0, 0, 2, 1, 0, 2, 0, 1, 0, 2, 0.5, 0.2, 0.1];
    const m = classificationMetrics(logits, [0, 1, 2, 2, 1], 3);
    // roc_auc_score(y, softmax(logits), multi_class='ovr', average=None / 'macro')
    const expected = [1, 2 / 3, 7 / 12];
    (m.auroc_per_class as number[]).forEach((a, j) => close(a, expected[j]));
    close(m.auroc_macro as number, 0.75);
    assert.equal(m.balanced_accuracy, m.recall_macro);
    assert.equal(m.f1_micro, m.accuracy);
    for (const name of scalarMetricNames(false)) assert.equal(typeof m[name], 'number', name);
  });

  it('softmax cross-entropy is stable and matches ln 2 / closed forms', () => {
    close(softmaxCrossEntropy([0, 0], [1, 0], 1, 2), Math.LN2);
    close(softmaxCrossEntropy([1000, 0, 0, 1000], [1, 0, 1, 0], 2, 2), 500);
    close(softmaxCrossEntropy([1, 2, 3], [0.2, 0.3, 0.5], 1, 3), Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - (0.2 + 0.6 + 1.5));
  });

  it('one-vs-rest AUROC from one probability column at a time equals the whole-table computation bit for bit', () => {
    const n = 3000;
    const k = 5;
    const logits = Float32Array.from({ length: n * k }, (_, i) => Math.cos(i * 78.233) * 9);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * i) % k);
    // The computation it replaced: the whole [n, k] table of softmax probabilities.
    const table = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, logits[i * k + j]!);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += table[i * k + j] = Math.exp(logits[i * k + j]! - max);
      for (let j = 0; j < k; j++) table[i * k + j]! /= sum;
    }
    const expected = Array.from({ length: k }, (_, j) =>
      auroc(
        Float64Array.from({ length: n }, (_, i) => table[i * k + j]!),
        Float64Array.from(labels, (c) => (c === j ? 1 : 0)),
      ),
    );
    assert.deepEqual(aurocPerClassOvr(logits, labels, k), expected);
  });

  it('AUROC from sorted positives and negatives equals the rank-sum computation it replaced bit for bit, ties included', () => {
    // The rank-sum AUROC over an index array sorted by score (src/train/metrics.ts before it sorted typed arrays).
    const rankSum = (scores: ArrayLike<number>, targets: ArrayLike<number>): number => {
      const n = scores.length;
      const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
      let positives = 0;
      let sum = 0;
      for (let start = 0; start < n; ) {
        let end = start;
        while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
        for (let r = start; r <= end; r++) if (targets[order[r]!]! > 0.5) (positives++, (sum += (start + end) / 2 + 1));
        start = end + 1;
      }
      return (sum - (positives * (positives + 1)) / 2) / (positives * (n - positives));
    };
    for (const [n, levels] of [[2000, 0], [2000, 7], [50_000, 0], [50_000, 40]] as const) {
      const scores = Float64Array.from({ length: n }, (_, i) => {
        const v = (Math.sin(i * 12.9898) * 43758.5453) % 1;
        return levels ? Math.round(v * levels) / levels : v; // quantised: many ties
      });
      const targets = Uint8Array.from({ length: n }, (_, i) => (Math.cos(i * 4.1414) + scores[i]! * 0.8 > 0.3 ? 1 : 0));
      assert.equal(auroc(scores, targets), rankSum(scores, targets), `n ${n}, ${levels || 'no'} tie levels`);
    }
    assert.ok(Number.isNaN(auroc([0.2, Number.NaN, 0.4], [1, 0, 0])), 'NaN with a NaN score');
  });

  it('the confusion matrix straight from the logits is the one from an array of predictions, ties and NaN rows included', () => {
    const n = 4000;
    const k = 5;
    const logits = Float32Array.from({ length: n * k }, (_, i) => (i % 97 === 0 ? Number.NaN : Math.round(Math.sin(i * 3.3) * 3)));
    const labels = Uint8Array.from({ length: n }, (_, i) => (i * 3) % k);
    assert.deepEqual(confusionMatrixOfLogits(logits, labels, k), confusionMatrix(labels, argmaxRows(logits, n, k), k));
  });

  it('the validation loss from class indices is bit for bit the loss from one-hot targets (stored studies keep their values)', () => {
    const n = 500;
    const k = 5;
    const logits = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 12.9898) * 7);
    const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % k);
    const oneHot = new Float32Array(n * k);
    labels.forEach((c, i) => (oneHot[i * k + c] = 1));
    assert.equal(softmaxCrossEntropyOfLabels(logits, labels, n, k), softmaxCrossEntropy(logits, oneHot, n, k));
    assert.ok(Number.isNaN(softmaxCrossEntropyOfLabels(logits, labels, 0, k)));
  });
});

describe('multi-label metrics', () => {
  it('AUROC is the Mann-Whitney statistic with ties counted half', () => {
    close(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
    close(auroc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]), 3.5 / 4);
    close(auroc([3, 2, 1], [1, 1, 0]), 1);
    assert.ok(Number.isNaN(auroc([1, 2], [1, 1])), 'undefined with one class only');
  });

  it('micro and macro F1 at σ > 0.5, macro AUROC over defined labels', () => {
    // 4 rows, 3 labels; logits > 0 are positive predictions.
    const logits = [
      2, -1, 0.5, //
      -2, 1, -0.5,
      1, 1, 0,
      -1, -2, 2,
    ];
    const targets = [
      1, 0, 1, //
      0, 1, 1,
      0, 1, 0,
      0, 0, 1,
    ];
    const m = multilabelMetrics(logits, targets, 4, 3);
    // label 0: tp 1, fp 1, fn 0; label 1: tp 2, fp 0, fn 0; label 2: tp 2, fp 0, fn 1.
    close(m.f1_micro as number, (2 * 5) / (2 * 5 + 1 + 1));
    const f1 = [2 / 3, 1, 0.8];
    close(m.f1_macro as number, (f1[0] + f1[1] + f1[2]) / 3);
    close(m.accuracy as number, 10 / 12);
    close(m.subset_accuracy as number, 2 / 4);
    // AUROC: label 0 → 1 (positive 2 vs −2, 1, −1); label 1 → 1; label 2 → 2/3 (0.5, −0.5, 2 vs 0).
    assert.deepEqual(m.auroc_per_class, [1, 1, 2 / 3]);
    close(m.auroc_macro as number, (1 + 1 + 2 / 3) / 3);
  });

  it('sigmoid cross-entropy with logits is stable', () => {
    close(sigmoidCrossEntropy([0], [1], 1, 1), Math.LN2);
    close(sigmoidCrossEntropy([1000, -1000], [1, 0], 1, 2), 0);
    close(sigmoidCrossEntropy([-1000], [1], 1, 1), 1000);
  });
});
