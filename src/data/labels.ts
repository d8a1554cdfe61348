/**
 * Labels held in memory (they are small: one integer per sample, or K bytes per sample for
 * multi-label data) and the per-row class helpers shared by splits, balancing and batches.
 */

/**
 * Class index per sample: one byte each where there are at most 256 classes (any ECG or EEG
 * label set), else four. The labels are the one per-sample array a study holds whole, shared by
 * every worker: at the 11.5 M beats of an 8 GiB file, 11.5 MB instead of 46 MB.
 */
export type ClassIndex = Uint8Array | Int32Array;

/** A zeroed class index for `n` samples of classes below `numClasses`; `alloc` places it (say, on a SharedArrayBuffer). */
export function newClassIndex(n: number, numClasses: number, alloc: (bytes: number) => ArrayBufferLike = (b) => new ArrayBuffer(b)): ClassIndex {
  return numClasses <= 256 ? new Uint8Array(alloc(n)) : new Int32Array(alloc(n * 4));
}

export interface LabelSet {
  readonly count: number;
  /** Classes (multi-class) or labels K (multi-label). */
  readonly numClasses: number;
  readonly multilabel: boolean;
  readonly classes: readonly string[];
  /** Multi-class: class index per sample. Multi-label: empty. */
  readonly classIndex: ClassIndex;
  /** Multi-label: row-major [count, numClasses] of 0/1. Multi-class: empty. */
  readonly multiHot: Uint8Array;
}

export function multiClassLabels(classIndex: ClassIndex, classes: readonly string[]): LabelSet {
  return { count: classIndex.length, numClasses: classes.length, multilabel: false, classes, classIndex, multiHot: new Uint8Array(0) };
}

export function multiLabelLabels(multiHot: Uint8Array, classes: readonly string[]): LabelSet {
  const k = classes.length;
  if (k === 0 || multiHot.length % k !== 0) throw new RangeError(`multi-hot array of ${multiHot.length} values is not a multiple of ${k} labels`);
  return { count: multiHot.length / k, numClasses: k, multilabel: true, classes, classIndex: new Int32Array(0), multiHot };
}

/** Default class names when a file has no `classes` attribute: "0", "1", ... */
export function numberedClasses(k: number): string[] {
  return Array.from({ length: k }, (_, i) => String(i));
}

/**
 * Per-sample stratum used by splits and balancing. Multi-class: the class. Multi-label: the
 * rarest positive label of the sample (rarest over `among`, default all samples), or K for a
 * sample with no positive label — the "oversample by rarest positive label" rule.
 */
export function strataOf(labels: LabelSet, among?: ArrayLike<number>): { stratum: ClassIndex; numStrata: number } {
  if (!labels.multilabel) return { stratum: labels.classIndex, numStrata: labels.numClasses };
  const freq = labelFrequency(labels, among);
  const stratum = new Int32Array(labels.count);
  for (let i = 0; i < labels.count; i++) stratum[i] = stratumOfRow(labels, freq, i);
  return { stratum, numStrata: numStrata(labels) };
}

/** Number of strata: the classes, or for multi-label data the labels plus "no positive label". */
export function numStrata(labels: LabelSet): number {
  return labels.multilabel ? labels.numClasses + 1 : labels.numClasses;
}

/** Multi-label: positives of each label among `among` (default all samples), which rank the labels for `stratumOfRow`. Empty for multi-class. */
export function labelFrequency(labels: LabelSet, among?: ArrayLike<number>): Float64Array {
  if (!labels.multilabel) return new Float64Array(0);
  const k = labels.numClasses;
  const freq = new Float64Array(k);
  const rows = among ?? rangeArray(labels.count);
  for (let r = 0; r < rows.length; r++) {
    const base = rows[r]! * k;
    for (let j = 0; j < k; j++) freq[j]! += labels.multiHot[base + j]!;
  }
  return freq;
}

/** The stratum of sample `i` (`strataOf`'s rule), `freq` being `labelFrequency(labels, among)`. */
export function stratumOfRow(labels: LabelSet, freq: Float64Array, i: number): number {
  if (!labels.multilabel) return labels.classIndex[i]!;
  const k = labels.numClasses;
  let best = k;
  let bestFreq = Infinity;
  for (let j = 0; j < k; j++) {
    if (labels.multiHot[i * k + j] && freq[j]! < bestFreq) {
      best = j;
      bestFreq = freq[j]!;
    }
  }
  return best;
}

/** Rows grouped by stratum: stratum s holds `rows[offsets[s] .. offsets[s+1])`. */
export interface StrataRows {
  readonly rows: Int32Array;
  readonly offsets: Int32Array;
}

/** The rows of stratum `s` (a view, no copy). */
export function stratumRows(strata: StrataRows, s: number): Int32Array {
  return strata.rows.subarray(strata.offsets[s]!, strata.offsets[s + 1]!);
}

/**
 * The rows of each stratum, ascending, as one array cut by `offsets` (stratum s holds
 * `rows[offsets[s] .. offsets[s+1])`): `among` (default every sample) taken in its order.
 * Two passes over typed arrays instead of one JS array per stratum, which cost ~16 bytes per
 * sample on the heap while preparing a split of millions of beats (docs/performance.md, "Lazy
 * data by the batch").
 */
export function rowsByStratum(stratum: ArrayLike<number>, numStrata: number, among?: ArrayLike<number>): StrataRows {
  const n = among ? among.length : stratum.length;
  const offsets = new Int32Array(numStrata + 1);
  for (let r = 0; r < n; r++) offsets[stratum[among ? among[r]! : r]! + 1]!++;
  for (let s = 0; s < numStrata; s++) offsets[s + 1]! += offsets[s]!;
  const next = offsets.slice(0, numStrata);
  const rows = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = among ? among[r]! : r;
    rows[next[stratum[i]!]!++] = i;
  }
  return { rows, offsets };
}

/** Number of samples per class among `rows` (multi-class) or positives per label (multi-label). */
export function classCounts(labels: LabelSet, rows?: ArrayLike<number>): number[] {
  const counts = new Array<number>(labels.numClasses).fill(0);
  const idx = rows ?? rangeArray(labels.count);
  const k = labels.numClasses;
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    if (labels.multilabel) {
      for (let j = 0; j < k; j++) counts[j]! += labels.multiHot[i * k + j]!;
    } else {
      counts[labels.classIndex[i]!]!++;
    }
  }
  return counts;
}

/** Writes the target row of sample `i` (one-hot or multi-hot) to `y` at `offset`. */
export function writeTarget(labels: LabelSet, i: number, y: Float32Array, offset: number): void {
  const k = labels.numClasses;
  if (labels.multilabel) {
    for (let j = 0; j < k; j++) y[offset + j] = labels.multiHot[i * k + j]!;
  } else {
    for (let j = 0; j < k; j++) y[offset + j] = 0;
    y[offset + labels.classIndex[i]!] = 1;
  }
}

export function rangeArray(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** The labels of `rows` (in that order), as a LabelSet of rows.length samples. */
export function subsetLabels(labels: LabelSet, rows: ArrayLike<number>): LabelSet {
  const n = rows.length;
  if (!labels.multilabel) {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = labels.classIndex[rows[i]!]!;
    return multiClassLabels(idx, labels.classes);
  }
  const k = labels.numClasses;
  const hot = new Uint8Array(n * k);
  for (let i = 0; i < n; i++) hot.set(labels.multiHot.subarray(rows[i]! * k, rows[i]! * k + k), i * k);
  return multiLabelLabels(hot, labels.classes);
}
