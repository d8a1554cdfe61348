/**
 * The order in which epochs visit the slots of a balanced set (`oversample.ts`, `smote.ts`).
 *
 * Invariants:
 * - Epoch e of size E covers positions [e·E, (e+1)·E) of the endless concatenation of seeded
 *   permutations of 0..size-1 (cycle p is the permutation seeded by (seed, p)); so successive
 *   epochs walk through the balanced set without repeats until it is exhausted.
 * - The order is a pure function of (size, seed, epoch, E): a resumed trial recomputes it.
 * - Up to `MATERIALISED_SLOTS` slots a cycle is a Fisher–Yates shuffle held as an Int32Array
 *   (at most 4 MiB) — the order every study was trained in before larger sets came in, so those
 *   studies rerun bit for bit. Above it a cycle is a seeded bijection evaluated slot by slot (a
 *   Feistel network over the next even power of two, with cycle walking), so that an epoch costs
 *   memory by its batch, not by the file: a shuffle of the balanced set of 8 GiB of beats held
 *   ~130 MB per worker thread (docs/performance.md, "Lazy data by the batch").
 */
import { randomStream } from './rng.js';

/** Largest balanced set whose cycles are shuffled in memory (2^20 slots: 4 MiB of Int32). */
export const MATERIALISED_SLOTS = 1 << 20;

/** One cycle: a permutation of 0..size-1. */
export interface CyclePermutation {
  /** The slot at position `i` (0 <= i < size) of the cycle. */
  at(i: number): number;
}

class ShuffledCycle implements CyclePermutation {
  private readonly perm: Int32Array;

  constructor(size: number, seed: number, cycle: number) {
    this.perm = randomStream('epoch-cycle', seed, cycle).permutation(size);
  }

  at(i: number): number {
    return this.perm[i]!;
  }
}

const FEISTEL_ROUNDS = 6;

/** murmur3's 32-bit finaliser of x ^ key: every input bit flips about half the output bits. */
function mix(x: number, key: number): number {
  let h = Math.imul(x ^ key, 0x9e3779b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A balanced Feistel network on 2·half bits is a bijection of [0, 4^half) whatever its round
 * function; applying it again while the result is >= size (cycle walking) restricts it to a
 * bijection of [0, size). The domain is less than 4·size, so a slot takes under 4 passes on average.
 */
class FeistelCycle implements CyclePermutation {
  private readonly size: number;
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;

  constructor(size: number, seed: number, cycle: number) {
    this.size = size;
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.half = bits / 2;
    this.mask = 2 ** this.half - 1;
    const rng = randomStream('epoch-cycle-feistel', seed, cycle);
    this.keys = Uint32Array.from({ length: FEISTEL_ROUNDS }, () => Math.floor(rng.next() * 2 ** 32));
  }

  private encrypt(x: number): number {
    let left = Math.floor(x / 2 ** this.half);
    let right = x & this.mask;
    for (let r = 0; r < FEISTEL_ROUNDS; r++) {
      const next = (left ^ mix(right, this.keys[r]!)) & this.mask;
      left = right;
      right = next;
    }
    return left * 2 ** this.half + right;
  }

  at(i: number): number {
    let x = this.encrypt(i);
    while (x >= this.size) x = this.encrypt(x);
    return x;
  }
}

/** Cycle `cycle` of a balanced set of `size` slots (see the header for which kind). */
export function cyclePermutation(size: number, seed: number, cycle: number, materialiseUpTo = MATERIALISED_SLOTS): CyclePermutation {
  return size <= materialiseUpTo ? new ShuffledCycle(size, seed, cycle) : new FeistelCycle(size, seed, cycle);
}

/** The slots of the epochs of one balanced set, a window at a time; keeps the last cycle it used. */
export class EpochOrder {
  readonly size: number;
  readonly seed: number;
  readonly epochSize: number;
  private readonly materialiseUpTo: number;
  private cycleIndex = -1;
  private cycle: CyclePermutation | null = null;

  constructor(size: number, seed: number, epochSize: number, materialiseUpTo = MATERIALISED_SLOTS) {
    if (!Number.isInteger(epochSize) || epochSize < 0) throw new RangeError(`epoch size must be an integer >= 0, got ${epochSize}`);
    this.size = size;
    this.seed = seed;
    this.epochSize = epochSize;
    this.materialiseUpTo = materialiseUpTo;
  }

  private cycleAt(p: number): CyclePermutation {
    if (p !== this.cycleIndex || !this.cycle) {
      this.cycle = cyclePermutation(this.size, this.seed, p, this.materialiseUpTo);
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
