/**
 * Seeds for everything random inside a model.
 *
 * A trial has one seed. Every weight initialiser and every dropout layer gets its own
 * seed mixed from (trial seed, index), and a dropout mask is drawn from
 * (layer seed, training step). Nothing reads a global random stream, so a trial resumed
 * at step s draws exactly the masks an uninterrupted run draws at step s.
 */

/**
 * Mixes two integers into a 31-bit non-negative seed (murmur3-style finaliser over the
 * pair). 31 bits because seedrandom and tfjs take the seed's decimal string, and a
 * non-negative int keeps that string unambiguous.
 */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a | 0, 0x9e3779b1) ^ Math.imul((b | 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return h & 0x7fffffff;
}

/**
 * Hands out one seed per call, in call order. Model builders create weights in a fixed
 * order, so the i-th initialiser of a model always gets `mixSeed(seed, i)`.
 */
export class SeedSequence {
  private next = 0;
  constructor(readonly seed: number) {}

  take(): number {
    return mixSeed(this.seed, this.next++);
  }
}

/**
 * The number of optimiser steps taken so far. The training loop owns it and advances it
 * after each update; `SeededDropout` layers read it to pick their mask. It is part of
 * the checkpoint.
 */
export class StepCounter {
  constructor(public value = 0) {}

  advance(): void {
    this.value += 1;
  }
}
