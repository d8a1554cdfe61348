/**
 * Trial seeds derive from the study seed and the trial number, so any trial can be
 * rerun alone (`hpsearch rerun`) and two processes sharing a study never need to
 * coordinate a random stream. The mix is splitmix32-style hashing of the pair, giving a
 * 31-bit non-negative seed (the range every consumer — seedrandom, tfjs — accepts).
 */
export function deriveSeed(studySeed: number, trialNumber: number): number {
  let h = (Math.imul(studySeed | 0, 0x9e3779b1) ^ Math.imul(trialNumber | 0, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return h & 0x7fffffff;
}
