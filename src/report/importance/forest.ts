/**
 * A small seeded random-forest regressor: the model fANOVA decomposes (see `fanova-tree.ts`).
 *
 * Each tree is a CART regression tree (Breiman et al. 1984) grown on a bootstrap sample
 * of the rows, choosing at every node the split that most reduces the squared error
 * among a random subset of the features (Breiman 2001, "Random Forests"). The defaults
 * follow what fANOVA uses: Optuna's `FanovaImportanceEvaluator` (64 trees, depth 64,
 * min_samples_split 2, min_samples_leaf 1) and automl/fanova's 70 % of the features per
 * split (rounded up: with two or three params every split sees all of them, as in
 * Optuna, whose scikit-learn forest always tries every feature). Trees are stored as flat arrays in scikit-learn's `Tree` layout, so the fANOVA
 * code reads like Optuna's `_FanovaTree`.
 */
import seedrandom from 'seedrandom';

/** One fitted tree; node 0 is the root, `feature[i] < 0` marks a leaf. */
export interface RegressionTree {
  readonly nodeCount: number;
  readonly feature: Int32Array;
  /** Rows with `x[feature] <= threshold` go left. */
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Mean target of the (bootstrap) rows that reached the node. */
  readonly value: Float64Array;
}

export interface ForestOptions {
  readonly nTrees: number;
  readonly maxDepth: number;
  readonly minSamplesSplit: number;
  readonly minSamplesLeaf: number;
  /** Fraction of the features tried at each split, rounded up (so at least one). */
  readonly maxFeatures: number;
  readonly seed: number;
}

export const DEFAULT_FOREST_OPTIONS: ForestOptions = {
  nTrees: 64,
  maxDepth: 64,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 0.7,
  seed: 0,
};

/**
 * Fits `nTrees` trees to rows `x` (each of the same length) and targets `y`.
 * Pure and deterministic: the same inputs and seed give the same trees.
 */
export function fitForest(x: readonly Float64Array[], y: readonly number[], options: Partial<ForestOptions> = {}): RegressionTree[] {
  const opts: ForestOptions = { ...DEFAULT_FOREST_OPTIONS, ...options };
  if (x.length !== y.length) throw new Error(`fitForest: ${x.length} rows but ${y.length} targets`);
  if (x.length === 0) throw new Error('fitForest: no rows');
  const nFeatures = x[0].length;
  const rng = seedrandom.alea(`hpsearch-fanova/${opts.seed}`);
  const rowOrder = Array.from({ length: nFeatures }, (_, f) =>
    Int32Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a][f] - x[b][f] || a - b),
  );
  const trees: RegressionTree[] = [];
  for (let t = 0; t < opts.nTrees; t++) {
    const sample = new Int32Array(x.length);
    for (let i = 0; i < sample.length; i++) sample[i] = Math.floor(rng() * x.length);
    trees.push(growTree(x, y, sample, rowOrder, opts, rng));
  }
  return trees;
}

/** Prediction of one tree for one row (used by tests and to check the fit). */
export function predictTree(tree: RegressionTree, row: ArrayLike<number>): number {
  let node = 0;
  while (tree.feature[node] >= 0) {
    node = row[tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
  }
  return tree.value[node];
}

/** A node still to split: the segment [lo, hi) of every feature's order array it owns. */
interface PendingNode {
  readonly id: number;
  readonly lo: number;
  readonly hi: number;
  readonly depth: number;
}

/**
 * Grows one tree on the bootstrap `sample` (row indices, with repeats). The rows are sorted
 * once per feature for the whole forest (`rowOrder`); every node owns one segment of each
 * feature's order of the sample, and a split partitions those segments stably in place,
 * so no node sorts or allocates (the presorting of classic CART implementations).
 */
function growTree(
  x: readonly Float64Array[],
  y: readonly number[],
  sample: Int32Array,
  rowOrder: readonly Int32Array[],
  opts: ForestOptions,
  rng: () => number,
): RegressionTree {
  const n = sample.length;
  const nFeatures = rowOrder.length;
  const columns = Array.from({ length: nFeatures }, () => new Float64Array(n));
  const targets = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const row = x[sample[p]];
    for (let f = 0; f < nFeatures; f++) columns[f][p] = row[f];
    targets[p] = y[sample[p]];
  }
  const sorted = sortedPositions(sample, x.length, rowOrder);
  const scratch = new Int32Array(n);
  const goesLeft = new Uint8Array(n);

  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const newNode = (lo: number, hi: number): number => {
    let sum = 0;
    for (let i = lo; i < hi; i++) sum += targets[sorted[0][i]];
    feature.push(-1);
    threshold.push(Number.NaN);
    left.push(-1);
    right.push(-1);
    value.push(sum / (hi - lo));
    return value.length - 1;
  };
  const tries = Math.max(1, Math.min(nFeatures, Math.ceil(opts.maxFeatures * nFeatures)));
  // Depth-first, left child first: node ids come out in the order scikit-learn numbers them.
  const stack: PendingNode[] = [{ id: newNode(0, n), lo: 0, hi: n, depth: 0 }];
  while (stack.length > 0) {
    const { id, lo, hi, depth } = stack.pop()!;
    const size = hi - lo;
    if (depth >= opts.maxDepth || size < opts.minSamplesSplit || size < 2 * opts.minSamplesLeaf) continue;
    const split = bestSplit(columns, targets, sorted, lo, hi, tries, opts.minSamplesLeaf, rng);
    if (split === null) continue;
    const col = columns[split.feature];
    let nLeft = 0;
    for (let i = lo; i < hi; i++) {
      const p = sorted[0][i];
      goesLeft[p] = col[p] <= split.threshold ? 1 : 0;
      nLeft += goesLeft[p];
    }
    for (const order of sorted) {
      let l = lo;
      let r = 0;
      for (let i = lo; i < hi; i++) {
        const p = order[i];
        if (goesLeft[p] === 1) order[l++] = p;
        else scratch[r++] = p;
      }
      order.set(scratch.subarray(0, r), l);
    }
    const mid = lo + nLeft;
    feature[id] = split.feature;
    threshold[id] = split.threshold;
    left[id] = newNode(lo, mid);
    right[id] = newNode(mid, hi);
    stack.push({ id: right[id], lo: mid, hi, depth: depth + 1 }, { id: left[id], lo, hi: mid, depth: depth + 1 });
  }
  return {
    nodeCount: value.length,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
  };
}

/** For every feature, the sample's positions in the order of `rowOrder` (a row drawn k times appears k times). */
function sortedPositions(sample: Int32Array, nRows: number, rowOrder: readonly Int32Array[]): Int32Array[] {
  const start = new Int32Array(nRows + 1);
  for (let p = 0; p < sample.length; p++) start[sample[p] + 1]++;
  for (let r = 0; r < nRows; r++) start[r + 1] += start[r];
  const positions = new Int32Array(sample.length);
  const fill = start.slice(0, nRows);
  for (let p = 0; p < sample.length; p++) positions[fill[sample[p]]++] = p;
  return rowOrder.map((rows) => {
    const order = new Int32Array(sample.length);
    let k = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      for (let j = start[r]; j < start[r + 1]; j++) order[k++] = positions[j];
    }
    return order;
  });
}

interface Split {
  readonly feature: number;
  readonly threshold: number;
}

/** Relative gain below which a split is taken as no gain (rounding noise of the sums). */
const MIN_RELATIVE_GAIN = 1e-12;

/**
 * The best split of the node owning [lo, hi) among `tries` features drawn without
 * replacement, skipping features that are constant on the node as scikit-learn's
 * BestSplitter does (they do not count against `tries`). Maximising sumL²/nL + sumR²/nR
 * is minimising the children's squared error. null when no split reduces it (a pure node,
 * or all features constant).
 */
function bestSplit(
  columns: readonly Float64Array[],
  targets: Float64Array,
  sorted: readonly Int32Array[],
  lo: number,
  hi: number,
  tries: number,
  minLeaf: number,
  rng: () => number,
): Split | null {
  const nFeatures = columns.length;
  const n = hi - lo;
  let total = 0;
  let totalSq = 0;
  for (let i = lo; i < hi; i++) {
    const t = targets[sorted[0][i]];
    total += t;
    totalSq += t * t;
  }
  const parentScore = (total * total) / n;
  const minGain = MIN_RELATIVE_GAIN * Math.max(1, Math.abs(totalSq));
  if (totalSq - parentScore <= minGain) return null;

  const order = Array.from({ length: nFeatures }, (_, i) => i);
  let best: Split | null = null;
  let bestScore = parentScore + minGain;
  let tried = 0;
  for (let k = 0; k < nFeatures && tried < tries; k++) {
    // Partial Fisher-Yates: the k-th feature of a random permutation.
    const j = k + Math.floor(rng() * (nFeatures - k));
    [order[k], order[j]] = [order[j], order[k]];
    const f = order[k];
    const col = columns[f];
    const rows = sorted[f];
    if (col[rows[lo]] === col[rows[hi - 1]]) continue;
    tried++;
    let leftSum = 0;
    for (let i = lo; i < hi - 1; i++) {
      leftSum += targets[rows[i]];
      const here = col[rows[i]];
      const next = col[rows[i + 1]];
      const nLeft = i + 1 - lo;
      if (here === next || nLeft < minLeaf || n - nLeft < minLeaf) continue;
      const rightSum = total - leftSum;
      const score = (leftSum * leftSum) / nLeft + (rightSum * rightSum) / (n - nLeft);
      if (score > bestScore) {
        bestScore = score;
        // The midpoint, unless rounding makes it equal to the upper value (scikit-learn does the same).
        let mid = here / 2 + next / 2;
        if (mid >= next || mid < here) mid = here;
        best = { feature: f, threshold: mid };
      }
    }
  }
  return best;
}
