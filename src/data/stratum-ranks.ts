/**
 * The training rows of each stratum by rank — "the j-th training row (in the split's order)
 * whose stratum is s" — without a table of those rows.
 *
 * Random oversampling (oversample.ts) reaches stratum s's member j for every slot it resolves.
 * A table of the members, the training rows regrouped by stratum, held 4 bytes per training
 * row: 41 MB at the 10 M training beats of an 8 GiB file, a second copy of the split's training
 * rows in another order. Here only a rank table is kept: for every block of `BLOCK` training
 * positions, how many members of each stratum come before it (0.3 bytes per training row with
 * 5 strata). `memberOf` finds the block by binary search and counts through it, some 32 label
 * reads per slot on average — microseconds a batch, against milliseconds to train on it.
 *
 * Invariant: `memberOf(ranks, labels, train, s, j)` is exactly `rowsByStratum`'s table entry
 * (labels.ts) — the same rows in the same order — so balanced sets and their epoch orders did
 * not change (test/data/stratum-ranks.test.ts, the digests of test/data/balancing.test.ts).
 */
import { labelFrequency as labelFrequencyOf, numStrata as numStrataOf, stratumOfRow, type LabelSet } from './labels.js';

/** Training positions per block of the rank table. */
export const BLOCK = 64;

export interface StratumRanks {
  readonly numStrata: number;
  /** Row-major [blocks + 1, numStrata]: members of each stratum in the training positions before block b. */
  readonly before: Int32Array;
  /**
   * Multi-label: each label's positives among the training rows, which decide a row's stratum
   * (its rarest positive label, `strataOf`). Empty for multi-class data, whose stratum is the class.
   */
  readonly labelFrequency: Float64Array;
}

/** The rank table of `train` (built in one pass; `alloc` lets a caller place it in shared memory). */
export function stratumRanks(labels: LabelSet, train: Int32Array, alloc: (length: number) => Int32Array = (n) => new Int32Array(n)): StratumRanks {
  const numStrata = numStrataOf(labels);
  const labelFrequency = labelFrequencyOf(labels, train);
  const blocks = Math.ceil(train.length / BLOCK);
  const before = alloc((blocks + 1) * numStrata);
  const running = new Int32Array(numStrata);
  for (let b = 0; b <= blocks; b++) {
    before.set(running, b * numStrata);
    const end = Math.min(train.length, (b + 1) * BLOCK);
    for (let p = b * BLOCK; p < end; p++) running[stratumOfRow(labels, labelFrequency, train[p]!)]!++;
  }
  return { numStrata, before, labelFrequency };
}

/** Throws unless `ranks` was built over `trainLength` training rows (a table of another split). */
export function checkRanksFit(ranks: StratumRanks, trainLength: number): void {
  if (ranks.before.length !== (Math.ceil(trainLength / BLOCK) + 1) * ranks.numStrata) {
    throw new RangeError(`stratum rank table of ${ranks.before.length} entries does not fit ${trainLength} training samples`);
  }
}

/** Members of each stratum among the training rows. */
export function stratumCounts(ranks: StratumRanks): Int32Array {
  return ranks.before.slice(ranks.before.length - ranks.numStrata);
}

/** The `j`-th training row (in `train`'s order) of stratum `s`; `j` below the stratum's count. */
export function memberOf(ranks: StratumRanks, labels: LabelSet, train: Int32Array, s: number, j: number): number {
  const { numStrata: k, before, labelFrequency } = ranks;
  // The last block b with before[b][s] <= j holds the member (before is non-decreasing in b).
  let lo = 0;
  let hi = before.length / k - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (before[mid * k + s]! <= j) lo = mid;
    else hi = mid - 1;
  }
  let left = j - before[lo * k + s]!;
  const end = Math.min(train.length, (lo + 1) * BLOCK);
  for (let p = lo * BLOCK; p < end; p++) {
    const row = train[p]!;
    if (stratumOfRow(labels, labelFrequency, row) === s && left-- === 0) return row;
  }
  throw new RangeError(`stratum ${s} has no member ${j}`);
}
