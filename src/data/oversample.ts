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
 * An epoch takes `epochSize` consecutive positions of an endless sequence of seeded
 * permutations of the slots (cycle p = permutation seeded by (seed, p)): epoch e covers
 * positions [e·E, (e+1)·E). With the default E = natural training size, successive epochs walk
 * through the balanced set without repeats until it is exhausted, and every epoch is drawn from
 * the balanced distribution. The order is a pure function of (seed, epoch, E).
 */
import type { BalancingMode } from './types.js';
import { strataOf, type LabelSet } from './labels.js';
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
    const lists: number[][] = Array.from({ length: numStrata }, () => []);
    for (const i of train) lists[stratum[i]!]!.push(i);
    const nonEmpty = lists.map((l, s) => [l, s] as const).filter(([l]) => l.length > 0);
    this.target = Math.max(0, ...nonEmpty.map(([l]) => l.length));
    this.members = new Int32Array(train.length);
    this.offsets = new Int32Array(nonEmpty.length + 1);
    this.counts = new Int32Array(nonEmpty.length);
    let at = 0;
    nonEmpty.forEach(([l, s], b) => {
      const block = Int32Array.from(l).sort();
      randomStream('oversample-order', seed, s).shuffle(block);
      this.members.set(block, at);
      this.offsets[b] = at;
      this.counts[b] = l.length;
      at += l.length;
    });
    this.offsets[nonEmpty.length] = at;
    this.size = this.target * nonEmpty.length;
    const sizes = new Array<number>(numStrata).fill(0);
    for (const [, s] of nonEmpty) sizes[s] = this.target;
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

/**
 * Slots of epoch `epoch` (length `epochSize`) over a balanced set of `size` slots: positions
 * [epoch·E, (epoch+1)·E) of the endless concatenation of seeded permutations of 0..size-1.
 */
export function epochSlots(size: number, seed: number, epoch: number, epochSize: number): Int32Array {
  if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be an integer >= 0, got ${epoch}`);
  if (!Number.isInteger(epochSize) || epochSize < 0) throw new RangeError(`epoch size must be an integer >= 0, got ${epochSize}`);
  const out = new Int32Array(epochSize);
  if (size === 0 || epochSize === 0) return out;
  let pos = epoch * epochSize;
  let filled = 0;
  while (filled < epochSize) {
    const cycle = Math.floor(pos / size);
    const within = pos - cycle * size;
    const take = Math.min(size - within, epochSize - filled);
    const perm = randomStream('epoch-cycle', seed, cycle).permutation(size);
    out.set(perm.subarray(within, within + take), filled);
    filled += take;
    pos += take;
  }
  return out;
}
