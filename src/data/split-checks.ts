/**
 * The checks a split must pass before any trial trains on it: bad input in a user's file,
 * named with the file, the labels' place in it and the class.
 */
import { printable } from '../core/printable.js';
import { DataError } from './errors.js';
import { classCounts, type LabelSet } from './labels.js';

/** Where the labels came from, for the message. */
export interface LabelSource {
  readonly file: string;
  readonly labelPlace?: string | null;
}

/**
 * A classifier needs two classes to tell apart, and every class it is scored on must be in the
 * training part: a study on a one-class file trained nothing and reported recall_macro 1.000.
 * Classes that a file names (attribute `classes`) but has no sample of are not counted; they
 * are absent from validation and test as well. The built-in synthetic set is not checked:
 * it always has its five classes.
 */
export function checkClassesToLearn(data: LabelSource, labels: LabelSet, train: Int32Array, byGroup: boolean): void {
  const inAll = classCounts(labels);
  const inTrain = classCounts(labels, train);
  const name = (c: number) => `"${printable(labels.classes[c] ?? String(c))}"`;
  const present = inAll.flatMap((n, c) => (n > 0 ? [c] : []));
  if (present.length < 2) {
    const which = present.length === 0 ? 'no samples' : `only class ${name(present[0]!)} (${inAll[present[0]!]} samples)`;
    throw new DataError(data.file, data.labelPlace ?? null, `has ${which}: a classifier needs samples of at least two classes`);
  }
  for (const c of present) {
    if (inTrain[c]! > 0) continue;
    const hint = byGroup ? ': its groups all went to validation or test; use more groups holding it, or split: {by: stratified}' : '';
    throw new DataError(data.file, data.labelPlace ?? null, `class ${name(c)} has ${inAll[c]} sample${inAll[c] === 1 ? '' : 's'} in the file and none in the training split${hint}`);
  }
}

/**
 * SMOTE as imbalanced-learn runs it needs k_neighbors + 1 training samples in every class it
 * oversamples (the sample and its k neighbours); fewer is bad input in a user's file, named
 * with the class and its count. The built-in synthetic set is not checked: at the small sizes
 * used for tests and the quick start its rarest class (F, 0.7 % of MIT-BIH) has only a few
 * training beats by design, and SMOTE uses fewer neighbours for it.
 */
export function checkSmoteClassSizes(data: LabelSource, labels: LabelSet, train: Int32Array, k: number): void {
  const inTrain = classCounts(labels, train);
  const inAll = classCounts(labels);
  const majority = Math.max(...inTrain);
  inTrain.forEach((n, c) => {
    if (inAll[c]! === 0 || n >= majority || n >= k + 1) return;
    throw new DataError(
      data.file,
      data.labelPlace ?? null,
      `class "${printable(labels.classes[c] ?? String(c))}" has ${n} training sample${n === 1 ? '' : 's'} (of ${inAll[c]} in the file); SMOTE (k_neighbors=${k}) needs at least ${k + 1}: use dataset: oversampled, or more samples of that class`,
    );
  });
}


/**
 * Every class of the file must have samples in each validation part (a split's, or each
 * cross-validation fold's), else its recall is undefined and the macro averages quietly
 * average over fewer classes than the study is about; a class named in
 * `metrics.ignore_classes` is exempt (the macro averages skip it). `part` names the part in
 * the message ("validation split", "validation fold 2 of 3").
 */
export function checkValidationClasses(data: LabelSource, labels: LabelSet, val: Int32Array, ignored: readonly string[], part = 'validation split'): void {
  const inAll = classCounts(labels);
  const inVal = classCounts(labels, val);
  inAll.forEach((n, c) => {
    const name = labels.classes[c] ?? String(c);
    if (n === 0 || inVal[c]! > 0 || ignored.includes(name)) return;
    throw new DataError(
      data.file,
      data.labelPlace ?? null,
      `class "${printable(name)}" has ${n} sample${n === 1 ? '' : 's'} in the file and none in the ${part}, so its recall would be undefined: split differently (more groups holding it in validation), or leave it out of the macro metrics with metrics: {ignore_classes: [${printable(name)}]}`,
    );
  });
}

/** Each name of `metrics.ignore_classes` must be a class of the data. */
export function checkIgnoredClasses(data: LabelSource, classes: readonly string[], ignored: readonly string[]): void {
  for (const name of ignored) {
    if (!classes.includes(name)) throw new DataError(data.file, data.labelPlace ?? null, `metrics.ignore_classes names "${printable(name)}", which is not a class of the data (${classes.map(printable).join(', ')})`);
  }
}
