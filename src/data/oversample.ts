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
import { rowsByStratum, strataOf, type LabelSet } from './labels.js';
import { randomStream } from './rng.js';

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
  /** Members of each non-empty stratum, concatenated, each block in seeded random order. */
  private readonly members: Int32Array;
  private readonly offsets: Int32Array;
  private readonly counts: Int32Array;

  constructor(labels: LabelSet, train: Int32Array, seed: number) {
    this.labels = labels;
    const { stratum, numStrata } = strataOf(labels, train);
    const byStratum = rowsByStratum(stratum, numStrata, train);
    const nonEmpty: number[] = [];
    for (let s = 0; s < numStrata; s++) if (byStratum.offsets[s + 1]! > byStratum.offsets[s]!) nonEmpty.push(s);
    this.target = Math.max(0, ...nonEmpty.map((s) => byStratum.offsets[s + 1]! - byStratum.offsets[s]!));
    // The blocks of the empty strata have no rows, so the non-empty ones lie back to back.
    this.members = byStratum.rows;
    this.offsets = new Int32Array(nonEmpty.length + 1);
    this.counts = new Int32Array(nonEmpty.length);
    let at = 0;
    nonEmpty.forEach((s, b) => {
      const n = byStratum.offsets[s + 1]! - byStratum.offsets[s]!;
      const block = this.members.subarray(at, at + n).sort();
      randomStream('oversample-order', seed, s).shuffle(block);
      this.offsets[b] = at;
      this.counts[b] = n;
      at += n;
    });
    this.offsets[nonEmpty.length] = at;
    this.size = this.target * nonEmpty.length;
    const sizes = new Array<number>(numStrata).fill(0);
    for (const s of nonEmpty) sizes[s] = this.target;
    this.strataSizes = sizes;
  }

  resolve(slot: number, into: SlotRecipe): void {
    const b = Math.floor(slot / this.target);
    const j = slot - b * this.target;
    const row = this.members[this.offsets[b]! + (j % this.counts[b]!)]!;
    into.row = row;
    into.neighbour = -1;
    into.gap = 0;
    into.label = this.labels.multilabel ? -1 : this.labels.classIndex[row]!;
  }

  get bytes(): number {
    return this.members.byteLength + this.offsets.byteLength + this.counts.byteLength;
  }
}
