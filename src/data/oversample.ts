/**
 * The balanced training set as a *virtual* array of slots, and the epoch order over it.
 *
 * A slot names a training sample (and, for SMOTE, a neighbour and a gap); no signal is copied.
 * - `NaturalSet`: the training set as is (balancing 'none').
 * - `RandomOversampledSet`: imbalanced-learn's `RandomOverSampler(sampling_strategy='auto')`
 *   by index — every stratum raised to the largest one's count M. Stratum = class, or for
 *   multi-label data the sample's rarest positive label (samples with none form one more
 *   stratum). Stratum s has M slots; slot j maps to member order_s[j mod n_s], where order_s is a
 *   seeded permutation, so each member appears ⌊M/n_s⌋ or ⌈M/n_s⌉ times: the same expected
 *   composition as drawing M − n_s duplicates with replacement, with less variance.
 * - `SmoteBalancedSet` (in smote-set.ts): originals plus a `SmotePlan`.
 *
 * The order in which epochs visit the slots is `epoch-order.ts`'s. With the default epoch size
 * E = natural training size, every epoch is drawn from the balanced distribution.
 */
import type { BalancingMode } from './types.js';
import { strataOf, type LabelSet } from './labels.js';
import { checkRanksFit, memberOf, stratumCounts, stratumRanks, type StratumRanks } from './stratum-ranks.js';
import { seededPermutation, type SeededPermutation } from './seeded-permutation.js';

/** One slot of the balanced set, resolved. */
export interface SlotRecipe {
  /** Training sample (the base sample x_i for SMOTE). */
  row: number;
  /** SMOTE neighbour sample, or −1 for an original / duplicated sample. */
  neighbour: number;
  /** SMOTE gap u in [0, 1). */
  gap: number;
  /** Class of the slot (multi-class), or −1 to take the row's own labels (multi-label). */
  label: number;
}

export interface BalancedSet {
  readonly mode: BalancingMode;
  /** Number of slots (the size of the balanced set). */
  readonly size: number;
  /** Samples per stratum in the balanced set (for statistics and tests). */
  readonly strataSizes: readonly number[];
  resolve(slot: number, into: SlotRecipe): void;
  /** Bytes of index tables held for this set (not counting the signals). */
  readonly bytes: number;
}

export class NaturalSet implements BalancedSet {
  readonly mode = 'none' as const;
  readonly size: number;
  readonly strataSizes: readonly number[];
  private readonly train: Int32Array;
  private readonly labels: LabelSet;

  constructor(labels: LabelSet, train: Int32Array) {
    this.labels = labels;
    this.train = train;
    this.size = train.length;
    const { stratum, numStrata } = strataOf(labels, train);
    const sizes = new Array<number>(numStrata).fill(0);
    for (const i of train) sizes[stratum[i]!]!++;
    this.strataSizes = sizes;
  }

  resolve(slot: number, into: SlotRecipe): void {
    const row = this.train[slot]!;
    into.row = row;
    into.neighbour = -1;
    into.gap = 0;
    into.label = this.labels.multilabel ? -1 : this.labels.classIndex[row]!;
  }

  get bytes(): number {
    return this.train.byteLength;
  }
}

export class RandomOversampledSet implements BalancedSet {
  readonly mode = 'oversampled' as const;
  readonly size: number;
  readonly strataSizes: readonly number[];
  /** Largest stratum count M. */
  readonly target: number;
  private readonly labels: LabelSet;
  private readonly train: Int32Array;
  /** Where each stratum's members are among the training rows; shared by every trial of a study. */
  private readonly ranks: StratumRanks;
  /** Stratum, member count and seeded member order of each non-empty stratum. */
  private readonly strata: Int32Array;
  private readonly counts: Int32Array;
  private readonly orders: readonly SeededPermutation[];

  /**
   * `ranks` is `stratumRanks(labels, train)`, prepared once per study and shared by the worker
   * threads (prepare.ts); without it the set computes its own. Held per trial: only each
   * stratum's order, a table of its members up to 2^20 of them and computed above
   * (seeded-permutation.ts), where a per-trial copy of the training rows cost 4 bytes per beat
   * in every worker (docs/performance.md, "Lazy data by the batch").
   */
  constructor(labels: LabelSet, train: Int32Array, seed: number, ranks?: StratumRanks) {
    this.labels = labels;
    this.train = train;
    this.ranks = ranks ?? stratumRanks(labels, train);
    checkRanksFit(this.ranks, train.length);
    const all = stratumCounts(this.ranks);
    const nonEmpty: number[] = [];
    for (let s = 0; s < all.length; s++) if (all[s]! > 0) nonEmpty.push(s);
    this.strata = Int32Array.from(nonEmpty);
    this.counts = Int32Array.from(nonEmpty, (s) => all[s]!);
    this.target = Math.max(0, ...this.counts);
    // Stratum s's member j is its order's j-th value: the Fisher–Yates shuffle of its
    // (ascending) rows by the stream ('oversample-order', seed, s), as before the table was shared.
    this.orders = nonEmpty.map((s, b) => seededPermutation('oversample-order', this.counts[b]!, seed, s));
    this.size = this.target * nonEmpty.length;
    const sizes = new Array<number>(all.length).fill(0);
    for (const s of nonEmpty) sizes[s] = this.target;
    this.strataSizes = sizes;
  }

  resolve(slot: number, into: SlotRecipe): void {
    const b = Math.floor(slot / this.target);
    const j = slot - b * this.target;
    const row = memberOf(this.ranks, this.labels, this.train, this.strata[b]!, this.orders[b]!.at(j % this.counts[b]!));
    into.row = row;
    into.neighbour = -1;
    into.gap = 0;
    into.label = this.labels.multilabel ? -1 : this.labels.classIndex[row]!;
  }

  get bytes(): number {
    return this.orders.reduce((n, o) => n + o.bytes, this.strata.byteLength + this.counts.byteLength);
  }
}
