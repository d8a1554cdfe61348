/**
 * Seeded permutations of 0..size-1 for the data layer (the order of epochs, `epoch-order.ts`;
 * the order of each stratum's members in random oversampling, `oversample.ts`).
 *
 * Invariants:
 * - A permutation is a pure function of its name (purpose, seed, index) and size.
 * - Up to `MATERIALISED_SLOTS` values it is the Fisher–Yates shuffle of `rng.ts`'s stream of
 *   that name (`RandomStream.permutation`), held as an Int32Array: the orders studies were
 *   trained in before sets of millions of beats came in, so they rerun bit for bit.
 * - Above, it is computed value by value (a Feistel network keyed by the stream
 *   `${purpose}-feistel`, with cycle walking) and holds 24 bytes whatever its size.
 */
import { randomStream } from './rng.js';

/** Largest permutation held in memory (2^20 values: 4 MiB of Int32). */
export const MATERIALISED_SLOTS = 1 << 20;

/** A permutation of 0..size-1. */
export interface SeededPermutation {
  /** The value at position `i` (0 <= i < size). */
  at(i: number): number;
  /** Bytes held for it. */
  readonly bytes: number;
}

class ShuffledPermutation implements SeededPermutation {
  private readonly perm: Int32Array;

  constructor(purpose: string, size: number, seed: number, index: number) {
    this.perm = randomStream(purpose, seed, index).permutation(size);
  }

  at(i: number): number {
    return this.perm[i]!;
  }

  get bytes(): number {
    return this.perm.byteLength;
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
class FeistelPermutation implements SeededPermutation {
  private readonly size: number;
  private readonly half: number;
  private readonly mask: number;
  private readonly keys: Uint32Array;

  constructor(purpose: string, size: number, seed: number, index: number) {
    this.size = size;
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.half = bits / 2;
    this.mask = 2 ** this.half - 1;
    const rng = randomStream(`${purpose}-feistel`, seed, index);
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

  get bytes(): number {
    return this.keys.byteLength;
  }

  at(i: number): number {
    let x = this.encrypt(i);
    while (x >= this.size) x = this.encrypt(x);
    return x;
  }
}

/** The permutation of 0..size-1 named (purpose, seed, index); see the header for which kind. */
export function seededPermutation(purpose: string, size: number, seed: number, index: number, materialiseUpTo = MATERIALISED_SLOTS): SeededPermutation {
  return size <= materialiseUpTo ? new ShuffledPermutation(purpose, size, seed, index) : new FeistelPermutation(purpose, size, seed, index);
}
