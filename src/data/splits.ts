/**
 * Train / validation / test splits, made before any balancing so that validation and test keep
 * the natural class balance and never contain an oversampled or synthesised sample.
 *
 * - `stratified`: each class (multi-label: each sample's rarest positive label) is shuffled with
 *   the split seed and cut in the requested fractions, like scikit-learn's stratified
 *   `train_test_split` applied twice.
 * - `group`: whole groups (patients, records) go to one split, so no group is in two splits.
 *   Groups are placed greedily, largest first (ties in seeded random order), each into the split
 *   that brings the per-class counts and the sizes of the splits closest to the requested
 *   fractions, with a penalty for a class missing from a split — the idea of scikit-learn's
 *   `StratifiedGroupKFold`, with unequal fold sizes. The fractions are met approximately (a
 *   group cannot be cut).
 */
import type { SplitSettings } from '../config/settings.js';
import { strataOf, type LabelSet } from './labels.js';
import { randomStream } from './rng.js';

export interface SplitIndices {
  /** Sample indices, ascending (so lazy reads of a split follow the file's order). */
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly test: Int32Array;
}

export class SplitError extends Error {
  override readonly name = 'SplitError';
}

function checkFractions(settings: Pick<SplitSettings, 'val' | 'test'>): void {
  const { val, test } = settings;
  if (!(val >= 0 && test >= 0 && val + test < 1)) {
    throw new SplitError(`split fractions must satisfy val >= 0, test >= 0 and val + test < 1 (got val ${val}, test ${test})`);
  }
}

const ascending = (a: number[]): Int32Array => Int32Array.from(a).sort();

export function stratifiedSplit(labels: LabelSet, settings: Pick<SplitSettings, 'val' | 'test' | 'seed'>): SplitIndices {
  checkFractions(settings);
  const { stratum, numStrata } = strataOf(labels);
  const members: number[][] = Array.from({ length: numStrata }, () => []);
  for (let i = 0; i < labels.count; i++) members[stratum[i]!]!.push(i);
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  members.forEach((m, c) => {
    if (m.length === 0) return;
    const order = randomStream('split', 'stratified', settings.seed, c).permutation(m.length);
    let nTest = Math.round(m.length * settings.test);
    let nVal = Math.round(m.length * settings.val);
    // Keep at least one sample of every class for training.
    while (nTest + nVal >= m.length && nTest + nVal > 0) {
      if (nVal >= nTest && nVal > 0) nVal--;
      else nTest--;
    }
    for (let r = 0; r < m.length; r++) {
      const i = m[order[r]!]!;
      if (r < nTest) test.push(i);
      else if (r < nTest + nVal) val.push(i);
      else train.push(i);
    }
  });
  return { train: ascending(train), val: ascending(val), test: ascending(test) };
}

export function groupSplit(labels: LabelSet, groups: Int32Array, settings: Pick<SplitSettings, 'val' | 'test' | 'seed'>): SplitIndices {
  checkFractions(settings);
  if (groups.length !== labels.count) throw new SplitError(`${groups.length} group ids for ${labels.count} samples`);
  const { stratum, numStrata } = strataOf(labels);
  const groupIds = new Map<number, number>();
  for (let i = 0; i < groups.length; i++) if (!groupIds.has(groups[i]!)) groupIds.set(groups[i]!, groupIds.size);
  const numGroups = groupIds.size;
  const fractions = [1 - settings.val - settings.test, settings.val, settings.test];
  const active = fractions.map((f) => f > 0);
  const needed = active.filter(Boolean).length;
  if (numGroups < needed) throw new SplitError(`a group split into ${needed} parts needs at least ${needed} groups, found ${numGroups}`);

  const dense = new Int32Array(groups.length);
  const perGroup = Array.from({ length: numGroups }, () => new Float64Array(numStrata));
  const size = new Float64Array(numGroups);
  for (let i = 0; i < groups.length; i++) {
    const g = groupIds.get(groups[i]!)!;
    dense[i] = g;
    perGroup[g]![stratum[i]!]!++;
    size[g]!++;
  }
  const total = new Float64Array(numStrata);
  perGroup.forEach((v) => v.forEach((x, c) => (total[c]! += x)));

  // Largest groups first; equal sizes in seeded random order.
  const shuffled = randomStream('split', 'group', settings.seed).permutation(numGroups);
  const rank = new Int32Array(numGroups);
  shuffled.forEach((g, r) => (rank[g] = r));
  const order = Array.from(shuffled).sort((a, b) => size[b]! - size[a]! || rank[a]! - rank[b]!);

  const assigned = Array.from({ length: 3 }, () => new Float64Array(numStrata));
  const assignedSize = new Float64Array(3);
  const groupSplitOf = new Int8Array(numGroups);
  const activeSplits = [0, 1, 2].filter((s) => active[s]);
  const presentStrata = Array.from(total.keys()).filter((c) => total[c]! > 0);
  const cost = (): number => {
    // Squared relative distance of every split's class counts and size to their targets, plus
    // one per (split, class) pair left without a sample although the class's share there is at
    // least one sample: every class should be seen in validation and test when the groups allow.
    let c = 0;
    for (const k of presentStrata) {
      for (const s of activeSplits) {
        const target = fractions[s]! * total[k]!;
        const dev = (assigned[s]![k]! - target) / total[k]!;
        c += dev * dev;
        if (assigned[s]![k]! === 0 && target >= 0.5) c += 1;
      }
    }
    for (const s of activeSplits) {
      const dev = (assignedSize[s]! - fractions[s]! * labels.count) / labels.count;
      c += dev * dev;
    }
    return c;
  };
  let remaining = numGroups;
  let emptySplits = activeSplits.length;
  for (const g of order) {
    let best = -1;
    let bestCost = Infinity;
    const mustFill = remaining <= emptySplits;
    for (const s of activeSplits) {
      if (mustFill && assignedSize[s]! > 0) continue; // leave the last groups for empty splits
      const v = perGroup[g]!;
      for (let k = 0; k < numStrata; k++) assigned[s]![k]! += v[k]!;
      assignedSize[s]! += size[g]!;
      const c = cost();
      for (let k = 0; k < numStrata; k++) assigned[s]![k]! -= v[k]!;
      assignedSize[s]! -= size[g]!;
      if (c < bestCost - 1e-12) {
        bestCost = c;
        best = s;
      }
    }
    if (assignedSize[best]! === 0) emptySplits--;
    const v = perGroup[g]!;
    for (let k = 0; k < numStrata; k++) assigned[best]![k]! += v[k]!;
    assignedSize[best]! += size[g]!;
    groupSplitOf[g] = best;
    remaining--;
  }
  const parts: number[][] = [[], [], []];
  for (let i = 0; i < dense.length; i++) parts[groupSplitOf[dense[i]!]!]!.push(i);
  return { train: Int32Array.from(parts[0]!), val: Int32Array.from(parts[1]!), test: Int32Array.from(parts[2]!) };
}

/** Splits by `settings.by`; `groups` is required for `group`. */
export function splitIndices(labels: LabelSet, groups: Int32Array | null, settings: SplitSettings): SplitIndices {
  if (settings.by === 'group') {
    if (!groups) throw new SplitError('split by group needs group ids (a groups, patient_id or record dataset)');
    return groupSplit(labels, groups, settings);
  }
  return stratifiedSplit(labels, settings);
}
