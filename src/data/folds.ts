/**
 * The folds of cross-validation (`data.cv`): the rows a split leaves outside the test part
 * cut into K folds, every row in exactly one. Fold k validates the model trained on the other
 * K − 1 folds.
 *
 * - `stratified`: each class (multi-label: each sample's rarest positive label) is shuffled
 *   with the seed and dealt to the folds in turn, like scikit-learn's `StratifiedKFold(shuffle=True)`,
 *   so the folds' class counts differ by at most one.
 * - `group`: whole groups to folds of equal target size, greedily as `groupSplit` places them
 *   (`groupParts`), like scikit-learn's `StratifiedGroupKFold`.
 */
import type { CvSettings } from '../config/settings.js';
import { rowsByStratum, strataOf, stratumRows, subsetLabels, type LabelSet } from './labels.js';
import { randomStream } from './rng.js';
import { groupParts, SplitError, type SplitIndices } from './splits.js';

/** The K validation folds of `rows`, each ascending. */
export function foldRows(labels: LabelSet, groups: Int32Array | null, rows: Int32Array, cv: CvSettings): Int32Array[] {
  const k = cv.folds;
  if (!(Number.isInteger(k) && k >= 2)) throw new SplitError(`cv.folds must be an integer >= 2, got ${k}`, ['data', 'cv', 'folds']);
  const sub = subsetLabels(labels, rows);
  let parts: ArrayLike<number>[];
  if (cv.by === 'group') {
    if (!groups) throw new SplitError('cv by group needs group ids (a groups, patient_id or record dataset)', ['data', 'cv', 'by']);
    const sg = Int32Array.from(rows, (i) => groups[i]!);
    if (new Set(sg).size < k) throw new SplitError(`cv by group into ${k} folds needs at least ${k} groups outside the test part, found ${new Set(sg).size}`, ['data', 'cv', 'folds']);
    parts = groupParts(sub, sg, new Array<number>(k).fill(1 / k), cv.seed, 'cv-group');
  } else {
    if (rows.length < k) throw new SplitError(`cv into ${k} folds needs at least ${k} samples outside the test part, found ${rows.length}`, ['data', 'cv', 'folds']);
    const { stratum, numStrata } = strataOf(sub);
    const members = rowsByStratum(stratum, numStrata);
    const dealt: number[][] = Array.from({ length: k }, () => []);
    // The deal continues across classes, so that the folds' sizes differ by at most one too.
    let next = 0;
    for (let c = 0; c < numStrata; c++) {
      const m = stratumRows(members, c);
      const order = randomStream('split', 'cv-stratified', cv.seed, c).permutation(m.length);
      for (let r = 0; r < m.length; r++) dealt[(next + r) % k]!.push(m[order[r]!]!);
      next = (next + m.length) % k;
    }
    parts = dealt;
  }
  return parts.map((p) => Int32Array.from(p, (j) => rows[j]!).sort());
}

/** The split of fold `f`: validate on it, train on the other folds, test as the base split. */
export function foldSplit(folds: readonly Int32Array[], f: number, test: Int32Array): SplitIndices {
  const train: number[] = [];
  folds.forEach((rows, j) => {
    if (j !== f) for (const i of rows) train.push(i);
  });
  return { train: Int32Array.from(train).sort(), val: folds[f]!, test };
}
