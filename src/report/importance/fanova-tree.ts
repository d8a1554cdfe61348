/**
 * Functional ANOVA over one regression tree: Hutter, Hoos & Leyton-Brown 2014, "An
 * Efficient Approach for Assessing Hyperparameter Importance" (ICML), section 3.
 *
 * A tree partitions the bounded input space into axis-aligned leaf boxes with a constant
 * prediction each, so the marginal of the prediction over any subset of features is an
 * exact, finite computation: the tree's split thresholds cut every feature's range into
 * intervals, and on each cell of that grid the marginal is the volume-weighted mean of
 * the leaves the cell can reach. The variance of that marginal over the grid (weighted by
 * cell size), divided by the variance of the tree's prediction over the whole space, is
 * the share of the variance the features explain on their own.
 *
 * A line-by-line port of Optuna's `optuna/importance/_fanova/_tree.py` (`_FanovaTree`),
 * itself modelled on automl/fanova and pyrfr by the paper's authors.
 */
import type { RegressionTree } from './forest.js';

/** [low, high] of every (encoded) feature: the space the marginals integrate over. */
export type FeatureBounds = readonly (readonly [number, number])[];

export class FanovaTree {
  private readonly nFeatures: number;
  /** Volume-weighted mean prediction of each node's box, and the box's volume. */
  private readonly nodeValue: Float64Array;
  private readonly nodeWeight: Float64Array;
  /** Per feature: midpoints and widths of the intervals the tree's thresholds cut. */
  private readonly midpoints: Float64Array[];
  private readonly sizes: Float64Array[];
  /** nodeCount × nFeatures: 1 where the subtree under the node splits on the feature. */
  private readonly subtreeSplits: Uint8Array;
  /** Variance of the prediction over the whole space (the paper's V). */
  readonly variance: number;

  constructor(
    private readonly tree: RegressionTree,
    private readonly bounds: FeatureBounds,
  ) {
    this.nFeatures = bounds.length;
    const n = tree.nodeCount;
    this.nodeValue = new Float64Array(n);
    this.nodeWeight = new Float64Array(n);
    this.precomputeStatistics();
    [this.midpoints, this.sizes] = this.precomputeMidpoints();
    this.subtreeSplits = this.precomputeSubtreeSplits();

    let sumW = 0;
    let sumWV = 0;
    for (let i = 0; i < n; i++) {
      if (tree.feature[i] >= 0) continue;
      sumW += this.nodeWeight[i];
      sumWV += this.nodeWeight[i] * this.nodeValue[i];
    }
    const mean = sumWV / sumW;
    let v = 0;
    for (let i = 0; i < n; i++) {
      if (tree.feature[i] >= 0) continue;
      v += this.nodeWeight[i] * (this.nodeValue[i] - mean) ** 2;
    }
    this.variance = sumW > 0 ? v / sumW : 0;
  }

  /**
   * Variance of the marginal prediction of `features` taken together (for a one-hot
   * encoded categorical, all its columns), over the grid of the tree's split intervals.
   */
  marginalVariance(features: readonly number[]): number {
    if (features.length === 0) throw new Error('marginalVariance: no feature');
    const sample = new Float64Array(this.nFeatures).fill(Number.NaN);
    const values: number[] = [];
    const weights: number[] = [];
    const index = new Array<number>(features.length).fill(0);
    // Odometer over the Cartesian product of the features' intervals.
    for (;;) {
      let size = 1;
      features.forEach((f, k) => {
        sample[f] = this.midpoints[f][index[k]];
        size *= this.sizes[f][index[k]];
      });
      const { value, weight } = this.marginalizedStatistics(sample, features);
      values.push(value);
      weights.push(weight * size);
      let k = features.length - 1;
      while (k >= 0 && ++index[k] === this.midpoints[features[k]].length) index[k--] = 0;
      if (k < 0) break;
    }
    return Math.max(0, weightedVariance(values, weights));
  }

  /**
   * Mean prediction with `sample`'s non-NaN features (`active`) fixed and the others
   * integrated out, and the volume it stands for (Optuna's `_get_marginalized_statistics`).
   */
  private marginalizedStatistics(sample: Float64Array, active: readonly number[]): { value: number; weight: number } {
    const t = this.tree;
    // The box of a visited node is tracked along the fixed features only: Optuna sets the
    // others to [0, 1], so they do not enter the volume it divides by.
    const slot = new Int32Array(this.nFeatures).fill(-1);
    const root = new Float64Array(2 * active.length);
    active.forEach((f, i) => {
      slot[f] = i;
      root[2 * i] = this.bounds[f][0];
      root[2 * i + 1] = this.bounds[f][1];
    });
    const nodes: number[] = [0];
    const boxes: Float64Array[] = [root];
    let sumW = 0;
    let sumWV = 0;
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const box = boxes.pop()!;
      const f = t.feature[node];
      if (f >= 0) {
        if (slot[f] >= 0) {
          // A split on a fixed feature: follow the one branch the sample takes.
          const goLeft = sample[f] <= t.threshold[node];
          const child = new Float64Array(box);
          child[2 * slot[f] + (goLeft ? 1 : 0)] = t.threshold[node];
          nodes.push(goLeft ? t.left[node] : t.right[node]);
          boxes.push(child);
          continue;
        }
        if (active.some((a) => this.subtreeSplits[node * this.nFeatures + a] === 1)) {
          nodes.push(t.left[node], t.right[node]);
          boxes.push(box, box);
          continue;
        }
      }
      // A leaf, or a subtree that never splits on a fixed feature: its precomputed mean
      // holds, weighted by its volume along the integrated-out features.
      let fixedVolume = 1;
      for (let i = 0; i < active.length; i++) fixedVolume *= box[2 * i + 1] - box[2 * i];
      const w = this.nodeWeight[node] / fixedVolume;
      sumW += w;
      sumWV += w * this.nodeValue[node];
    }
    return { value: sumW > 0 ? sumWV / sumW : 0, weight: sumW };
  }

  /** Leaf boxes' volumes and predictions, then volume-weighted means up the tree. */
  private precomputeStatistics(): void {
    const t = this.tree;
    const boxes: (Float64Array | undefined)[] = new Array(t.nodeCount);
    const root = new Float64Array(2 * this.nFeatures);
    this.bounds.forEach(([lo, hi], f) => {
      root[2 * f] = lo;
      root[2 * f + 1] = hi;
    });
    boxes[0] = root;
    for (let node = 0; node < t.nodeCount; node++) {
      const box = boxes[node]!;
      const f = t.feature[node];
      if (f < 0) {
        let volume = 1;
        for (let g = 0; g < this.nFeatures; g++) volume *= box[2 * g + 1] - box[2 * g];
        this.nodeValue[node] = t.value[node];
        this.nodeWeight[node] = volume;
        continue;
      }
      const leftBox = new Float64Array(box);
      leftBox[2 * f + 1] = t.threshold[node];
      const rightBox = new Float64Array(box);
      rightBox[2 * f] = t.threshold[node];
      boxes[t.left[node]] = leftBox;
      boxes[t.right[node]] = rightBox;
    }
    // Children always have larger ids than their parent, so one backward pass suffices.
    for (let node = t.nodeCount - 1; node >= 0; node--) {
      if (t.feature[node] < 0) continue;
      const l = t.left[node];
      const r = t.right[node];
      const w = this.nodeWeight[l] + this.nodeWeight[r];
      this.nodeWeight[node] = w;
      this.nodeValue[node] =
        w > 0
          ? (this.nodeWeight[l] * this.nodeValue[l] + this.nodeWeight[r] * this.nodeValue[r]) / w
          : (this.nodeValue[l] + this.nodeValue[r]) / 2;
    }
  }

  private precomputeMidpoints(): [Float64Array[], Float64Array[]] {
    const thresholds: Set<number>[] = Array.from({ length: this.nFeatures }, () => new Set<number>());
    for (let node = 0; node < this.tree.nodeCount; node++) {
      const f = this.tree.feature[node];
      if (f >= 0) thresholds[f].add(this.tree.threshold[node]);
    }
    const midpoints: Float64Array[] = [];
    const sizes: Float64Array[] = [];
    thresholds.forEach((set, f) => {
      const [lo, hi] = this.bounds[f];
      const cuts = [lo, ...[...set].sort((a, b) => a - b), hi];
      midpoints.push(Float64Array.from(cuts.slice(1), (c, i) => (c + cuts[i]) / 2));
      sizes.push(Float64Array.from(cuts.slice(1), (c, i) => c - cuts[i]));
    });
    return [midpoints, sizes];
  }

  private precomputeSubtreeSplits(): Uint8Array {
    const t = this.tree;
    const nf = this.nFeatures;
    const splits = new Uint8Array(t.nodeCount * nf);
    for (let node = t.nodeCount - 1; node >= 0; node--) {
      const f = t.feature[node];
      if (f < 0) continue;
      splits[node * nf + f] = 1;
      for (const child of [t.left[node], t.right[node]]) {
        for (let g = 0; g < nf; g++) splits[node * nf + g] |= splits[child * nf + g];
      }
    }
    return splits;
  }
}

function weightedVariance(values: readonly number[], weights: readonly number[]): number {
  let sumW = 0;
  let sumWV = 0;
  values.forEach((v, i) => {
    sumW += weights[i];
    sumWV += weights[i] * v;
  });
  if (sumW <= 0) return 0;
  const mean = sumWV / sumW;
  let acc = 0;
  values.forEach((v, i) => {
    acc += weights[i] * (v - mean) ** 2;
  });
  return acc / sumW;
}
