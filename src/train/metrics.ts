/**
 * Classification metrics as pure functions of plain arrays (no tensors), in float64.
 *
 * Conventions (scikit-learn's unless stated):
 *  - confusion matrix rows are true classes, columns predicted classes;
 *  - an undefined ratio (0/0) counts as 0 (`zero_division=0`);
 *  - recall_macro is the mean recall over the classes present in the true labels, i.e.
 *    `balanced_accuracy_score`; precision_macro and f1_macro average over the classes
 *    present in the true or the predicted labels (sklearn's default label set);
 *  - multi-label predictions are positive when σ(logit) > 0.5 (Keras' threshold rule),
 *    i.e. logit > 0; AUROC per label is the Mann–Whitney statistic with tied scores
 *    counted half, and the macro AUROC averages the labels that have both positives
 *    and negatives (NaN if none has).
 */
import type { Metrics } from '../core/trial.js';

export type { Metrics } from '../core/trial.js';

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);
const f1 = (precision: number, recall: number): number => ratio(2 * precision * recall, precision + recall);

function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Index of the largest value in row `i` of a row-major [n, k] matrix (first one on ties, like argmax). */
export function argmaxRows(values: ArrayLike<number>, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = argmaxAt(values, i * k, k);
  return out;
}

/** Index of the largest of the `k` values from `base` (first one on ties; a NaN loses to any number). */
function argmaxAt(values: ArrayLike<number>, base: number, k: number): number {
  let best = 0;
  let bestValue = values[base]!;
  for (let j = 1; j < k; j++) {
    const v = values[base + j]!;
    if (v > bestValue || (Number.isNaN(bestValue) && !Number.isNaN(v))) {
      best = j;
      bestValue = v;
    }
  }
  return best;
}

export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses: number): number[][] {
  if (labels.length !== predictions.length) throw new Error(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) throw new Error(`confusionMatrix: class out of range at row ${i} (${t}, ${p})`);
    cm[t][p] += 1;
  }
  return cm;
}

/** `confusionMatrix(labels, argmaxRows(logits, n, k), k)` without the array of predictions. */
export function confusionMatrixOfLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number): number[][] {
  const n = labels.length;
  const cm = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < n; i++) {
    const t = labels[i]!;
    const p = argmaxAt(logits, i * numClasses, numClasses);
    if (!(t >= 0 && t < numClasses)) throw new Error(`confusionMatrix: class out of range at row ${i} (${t}, ${p})`);
    cm[t]![p]! += 1;
  }
  return cm;
}

const rowSum = (cm: number[][], i: number): number => cm[i].reduce((a, b) => a + b, 0);
const colSum = (cm: number[][], j: number): number => cm.reduce((a, row) => a + row[j], 0);

export function accuracyFromConfusion(cm: number[][]): number {
  let correct = 0;
  let total = 0;
  cm.forEach((row, i) => {
    correct += row[i];
    total += rowSum(cm, i);
  });
  return ratio(correct, total);
}

/** Recall of each class (0 for a class without true samples). */
export function recallPerClass(cm: number[][]): number[] {
  return cm.map((row, i) => ratio(row[i], rowSum(cm, i)));
}

/** Precision of each class (0 for a class never predicted). */
export function precisionPerClass(cm: number[][]): number[] {
  return cm.map((row, j) => ratio(row[j], colSum(cm, j)));
}

export function f1PerClass(cm: number[][]): number[] {
  const p = precisionPerClass(cm);
  return recallPerClass(cm).map((r, i) => f1(p[i], r));
}

/**
 * Balanced accuracy: mean recall over classes that occur in the true labels, except the
 * `ignored` ones (`metrics.ignore_classes`).
 */
export function recallMacro(cm: number[][], ignored: readonly number[] = []): number {
  const recalls = recallPerClass(cm);
  return mean(recalls.filter((_, i) => rowSum(cm, i) > 0 && !ignored.includes(i)));
}

function presentClasses(cm: number[][], ignored: readonly number[]): number[] {
  return cm.map((_, i) => i).filter((i) => (rowSum(cm, i) > 0 || colSum(cm, i) > 0) && !ignored.includes(i));
}

export function precisionMacro(cm: number[][], ignored: readonly number[] = []): number {
  const p = precisionPerClass(cm);
  return mean(presentClasses(cm, ignored).map((i) => p[i]));
}

export function f1Macro(cm: number[][], ignored: readonly number[] = []): number {
  const f = f1PerClass(cm);
  return mean(presentClasses(cm, ignored).map((i) => f[i]));
}

/** log Σ_j exp(logits[i·k + j]) of row i, stable: max + log Σ exp(x − max). */
function rowLogSumExp(logits: ArrayLike<number>, i: number, k: number): number {
  let max = -Infinity;
  for (let j = 0; j < k; j++) max = Math.max(max, logits[i * k + j]);
  let sumExp = 0;
  for (let j = 0; j < k; j++) sumExp += Math.exp(logits[i * k + j] - max);
  return max + Math.log(sumExp);
}

/**
 * Mean softmax cross-entropy of row-major logits [n, k] against targets [n, k] (one-hot or
 * soft), computed with a max-shifted log-sum-exp in float64.
 */
export function softmaxCrossEntropy(logits: ArrayLike<number>, targets: ArrayLike<number>, n: number, k: number): number {
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const logZ = rowLogSumExp(logits, i, k);
    for (let j = 0; j < k; j++) {
      const y = targets[i * k + j];
      if (y !== 0) total += y * (logZ - logits[i * k + j]);
    }
  }
  return total / n;
}

/**
 * `softmaxCrossEntropy` with one-hot targets given as class indices: the same sum, term for term
 * (a one-hot row adds 1 · (logZ − logit) for its class only), without n·k target values.
 */
export function softmaxCrossEntropyOfLabels(logits: ArrayLike<number>, labels: ArrayLike<number>, n: number, k: number): number {
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n; i++) total += rowLogSumExp(logits, i, k) - logits[i * k + labels[i]];
  return total / n;
}

/** Mean binary cross-entropy with logits over all n·k entries: max(x,0) − x·y + log(1 + e^−|x|). */
export function sigmoidCrossEntropy(logits: ArrayLike<number>, targets: ArrayLike<number>, n: number, k: number): number {
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < n * k; i++) {
    const x = logits[i];
    total += Math.max(x, 0) - x * targets[i] + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return total / (n * k);
}

/**
 * One-vs-rest AUROC of each class from softmax probabilities (scikit-learn's
 * `roc_auc_score(multi_class='ovr', average=None)`): raw logits would not do, since a logit
 * is comparable across samples only after each row is normalised. NaN for a class that is
 * absent from, or the only class in, the labels.
 */
export function aurocPerClassOvr(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, scratch?: Float64Array): number[] {
  const n = labels.length;
  // One class's probabilities at a time, each row's max and sum of exponentials taken again
  // per class: the same doubles as a whole [n, k] probability table (exp(x − max) / sum, the
  // sum in class order), in 8 bytes per sample instead of 56. At 574 K validation beats of an
  // 8 GiB file two trials finishing together held ~110 MB more with the table, and another
  // ~40 MB with per-row maxima and sums kept (docs/performance.md, "Lazy data by the batch");
  // the k-fold exponentials cost ~0.1 s there.
  const k = numClasses;
  const scores = scratchOf(scratch, n);
  return Array.from({ length: k }, (_, j) => {
    let positives = 0;
    let negatives = n;
    for (let i = 0; i < n; i++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c]);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(logits[i * k + c] - max);
      const p = Math.exp(logits[i * k + j] - max) / sum;
      if (labels[i] === j) scores[positives++] = p;
      else scores[--negatives] = p;
    }
    return aurocOfSplitScores(scores, positives);
  });
}

/**
 * Everything reported for a multi-class split except the loss. The macro averages leave out
 * the `ignored` class indices; accuracy and the per-class figures keep every class. `scratch`
 * (n doubles or more) spares the AUROC a fresh array per call.
 */
export function classificationMetrics(logits: ArrayLike<number>, labels: ArrayLike<number>, numClasses: number, ignored: readonly number[] = [], scratch?: Float64Array): Metrics {
  const cm = confusionMatrixOfLogits(logits, labels, numClasses);
  const aurocs = aurocPerClassOvr(logits, labels, numClasses, scratch);
  const accuracy = accuracyFromConfusion(cm);
  const recall = recallMacro(cm, ignored);
  return {
    accuracy,
    recall_macro: recall,
    // The same number under scikit-learn's name for it.
    balanced_accuracy: recall,
    precision_macro: precisionMacro(cm, ignored),
    f1_macro: f1Macro(cm, ignored),
    // With one label per sample every error is one false positive and one false negative,
    // so micro-averaged F1 equals accuracy.
    f1_micro: accuracy,
    auroc_macro: mean(aurocs.filter((a, i) => !Number.isNaN(a) && !ignored.includes(i))),
    auroc_per_class: aurocs,
    recall_per_class: recallPerClass(cm),
    precision_per_class: precisionPerClass(cm),
    f1_per_class: f1PerClass(cm),
    confusion_matrix: cm,
  };
}

/** `scratch`'s first n entries, or a new array when there is none (or it is too short). */
function scratchOf(scratch: Float64Array | undefined, n: number): Float64Array {
  return scratch !== undefined && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
}

/**
 * AUROC of one score column against binary targets (positive when > 0.5): the probability
 * that a random positive scores above a random negative, ties counted half. NaN without both
 * classes, or when a score is NaN (scikit-learn refuses such input).
 */
export function auroc(scores: ArrayLike<number>, targets: ArrayLike<number>): number {
  const n = scores.length;
  const split = new Float64Array(n);
  let positives = 0;
  let negatives = n;
  for (let i = 0; i < n; i++) {
    if (targets[i] > 0.5) split[positives++] = scores[i];
    else split[--negatives] = scores[i];
  }
  return aurocOfSplitScores(split, positives);
}

/**
 * The Mann–Whitney AUROC of `scores`, whose first `positives` entries are the positives' scores
 * and the rest the negatives'; sorts both parts in place. Typed-array sorts and one merge walk
 * instead of sorting an index array with a comparator: 8 bytes per sample instead of ~30, and
 * the same double as the rank-sum formula (every partial sum is a multiple of ½ far below
 * 2^53, so both are exact).
 */
function aurocOfSplitScores(scores: Float64Array, positives: number): number {
  const n = scores.length;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const pos = scores.subarray(0, positives).sort();
  const neg = scores.subarray(positives).sort();
  // NaN sorts last in a typed array.
  if (Number.isNaN(pos[positives - 1]!) || Number.isNaN(neg[negatives - 1]!)) return Number.NaN;
  let below = 0; // negatives scoring below the current positive
  let upTo = 0; // negatives scoring at most the current positive
  let u = 0;
  for (let i = 0; i < positives; i++) {
    const p = pos[i]!;
    while (below < negatives && neg[below]! < p) below++;
    if (upTo < below) upTo = below;
    while (upTo < negatives && neg[upTo]! <= p) upTo++;
    u += below + (upTo - below) / 2;
  }
  return u / (positives * negatives);
}

/** Everything reported for a multi-label split except the loss. Arrays are row-major [n, k]. */
export function multilabelMetrics(logits: ArrayLike<number>, targets: ArrayLike<number>, n: number, k: number, scratch?: Float64Array): Metrics {
  const tp = new Array<number>(k).fill(0);
  const fp = new Array<number>(k).fill(0);
  const fn = new Array<number>(k).fill(0);
  let correctEntries = 0;
  let exactRows = 0;
  for (let i = 0; i < n; i++) {
    let rowExact = true;
    for (let j = 0; j < k; j++) {
      const predicted = logits[i * k + j] > 0;
      const actual = targets[i * k + j] > 0.5;
      if (predicted && actual) tp[j]++;
      else if (predicted) fp[j]++;
      else if (actual) fn[j]++;
      if (predicted === actual) correctEntries++;
      else rowExact = false;
    }
    if (rowExact) exactRows++;
  }
  const precision = tp.map((t, j) => ratio(t, t + fp[j]));
  const recall = tp.map((t, j) => ratio(t, t + fn[j]));
  const f1s = precision.map((p, j) => f1(p, recall[j]));
  const sumTp = tp.reduce((a, b) => a + b, 0);
  const sumFp = fp.reduce((a, b) => a + b, 0);
  const sumFn = fn.reduce((a, b) => a + b, 0);
  const aurocs: number[] = [];
  const scores = scratchOf(scratch, n);
  for (let j = 0; j < k; j++) {
    let positives = 0;
    let negatives = n;
    for (let i = 0; i < n; i++) {
      if (targets[i * k + j] > 0.5) scores[positives++] = logits[i * k + j];
      else scores[--negatives] = logits[i * k + j];
    }
    aurocs.push(aurocOfSplitScores(scores, positives));
  }
  const definedAurocs = aurocs.filter((a) => !Number.isNaN(a));
  return {
    auroc_macro: mean(definedAurocs),
    f1_micro: ratio(2 * sumTp, 2 * sumTp + sumFp + sumFn),
    f1_macro: mean(f1s),
    precision_micro: ratio(sumTp, sumTp + sumFp),
    recall_micro: ratio(sumTp, sumTp + sumFn),
    precision_macro: mean(precision),
    recall_macro: mean(recall),
    /** Element-wise (Keras binary) accuracy. */
    accuracy: ratio(correctEntries, n * k),
    subset_accuracy: ratio(exactRows, n),
    auroc_per_class: aurocs,
    f1_per_class: f1s,
    recall_per_class: recall,
  };
}

/** Scalar metric names produced for a split (what early stopping / LR schedules may monitor). */
export function scalarMetricNames(multilabel: boolean): string[] {
  return multilabel
    ? ['auroc_macro', 'f1_micro', 'f1_macro', 'precision_micro', 'recall_micro', 'precision_macro', 'recall_macro', 'accuracy', 'subset_accuracy']
    : ['accuracy', 'recall_macro', 'balanced_accuracy', 'precision_macro', 'f1_macro', 'f1_micro', 'auroc_macro'];
}
