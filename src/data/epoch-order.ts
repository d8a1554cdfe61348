/**
 * The order in which epochs visit the slots of a balanced set (`oversample.ts`, `smote.ts`).
 *
 * Invariants:
 * - Epoch e of size E covers positions [e·E, (e+1)·E) of the endless concatenation of seeded
 *   permutations of 0..size-1 (cycle p is the permutation seeded by (seed, p)); so successive
 *   epochs walk through the balanced set without repeats until it is exhausted.
 * - The order is a pure function of (size, seed, epoch, E): a resumed trial recomputes it.
 * - Cycle p is `seededPermutation('epoch-cycle', size, seed, p)` (seeded-permutation.ts says
 *   which sets are shuffled in memory and which computed), and only the cycle a window falls in
 *   is held: an epoch costs memory by its batch, not by the file. A shuffle of the whole
 *   balanced set of 8 GiB of beats held ~130 MB per worker thread (docs/performance.md, "Lazy
 *   data by the batch").
 */
import { MATERIALISED_SLOTS, seededPermutation, type SeededPermutation } from './seeded-permutation.js';

/** The slots of the epochs of one balanced set, a window at a time; keeps the last cycle it used. */
export class EpochOrder {
  readonly size: number;
  readonly seed: number;
  readonly epochSize: number;
  private readonly materialiseUpTo: number;
  private cycleIndex = -1;
  private cycle: SeededPermutation | null = null;

  constructor(size: number, seed: number, epochSize: number, materialiseUpTo = MATERIALISED_SLOTS) {
    if (!Number.isInteger(epochSize) || epochSize < 0) throw new RangeError(`epoch size must be an integer >= 0, got ${epochSize}`);
    this.size = size;
    this.seed = seed;
    this.epochSize = epochSize;
    this.materialiseUpTo = materialiseUpTo;
  }

  private cycleAt(p: number): SeededPermutation {
    if (p !== this.cycleIndex || !this.cycle) {
      this.cycle = seededPermutation('epoch-cycle', this.size, this.seed, p, this.materialiseUpTo);
      this.cycleIndex = p;
    }
    return this.cycle;
  }

  /** Slots at positions [from, from + count) of epoch `epoch` (0 <= from, from + count <= epochSize). */
  slots(epoch: number, from: number, count: number): Int32Array {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`epoch must be an integer >= 0, got ${epoch}`);
    if (!(Number.isInteger(from) && Number.isInteger(count) && from >= 0 && count >= 0 && from + count <= this.epochSize)) {
      throw new RangeError(`positions [${from}, ${from + count}) are outside the epoch of ${this.epochSize} slots`);
    }
    const out = new Int32Array(count);
    if (this.size === 0) return out;
    let pos = epoch * this.epochSize + from;
    for (let r = 0; r < count; r++, pos++) {
      const p = Math.floor(pos / this.size);
      out[r] = this.cycleAt(p).at(pos - p * this.size);
    }
    return out;
  }
}

/** Every slot of epoch `epoch` (length `epochSize`) over a balanced set of `size` slots. */
export function epochSlots(size: number, seed: number, epoch: number, epochSize: number): Int32Array {
  return new EpochOrder(size, seed, epochSize).slots(epoch, 0, epochSize);
}
