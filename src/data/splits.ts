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
import { printable } from '../core/printable.js';
import { deChazalRole } from './de-chazal.js';
import { rowsByStratum, strataOf, stratumRows, subsetLabels, type LabelSet } from './labels.js';
import { randomStream } from './rng.js';

export interface SplitIndices {
  /** Sample indices, ascending (so lazy reads of a split follow the file's order). */
  readonly train: Int32Array;
  readonly val: Int32Array;
  readonly test: Int32Array;
}

export class SplitError extends Error {
  override readonly name = 'SplitError';
  /** The key of the YAML the problem is at (`['data', 'split', 'val_groups', 2]`), when it is one. */
  readonly path: readonly (string | number)[] | null;

  constructor(message: string, path: readonly (string | number)[] | null = null) {
    super(message);
    this.path = path;
  }
}

function checkFractions(settings: Pick<SplitSettings, 'val' | 'test'>): void {
  const { val, test } = settings;
  if (!(val >= 0 && test >= 0 && val + test < 1)) {
    throw new SplitError(`split fractions must satisfy val >= 0, test >= 0 and val + test < 1 (got val ${val}, test ${test})`);
  }
}

const ascending = (a: ArrayLike<number>): Int32Array => Int32Array.from(a).sort();

/** Rows 0..n-1 whose `part[i]` is p, for each p < numParts: ascending, in typed arrays. */
function rowsOfParts(part: Uint8Array | Int32Array, numParts: number): Int32Array[] {
  const byPart = rowsByStratum(part, numParts);
  return Array.from({ length: numParts }, (_, p) => stratumRows(byPart, p));
}

export function stratifiedSplit(labels: LabelSet, settings: Pick<SplitSettings, 'val' | 'test' | 'seed'>): SplitIndices {
  checkFractions(settings);
  const { stratum, numStrata } = strataOf(labels);
  const members = rowsByStratum(stratum, numStrata);
  // 0 train, 1 val, 2 test: one byte per sample, then each part's rows in ascending order.
  const part = new Uint8Array(labels.count);
  for (let c = 0; c < numStrata; c++) {
    const m = stratumRows(members, c);
    if (m.length === 0) continue;
    const order = randomStream('split', 'stratified', settings.seed, c).permutation(m.length);
    let nTest = Math.round(m.length * settings.test);
    let nVal = Math.round(m.length * settings.val);
    // Keep at least one sample of every class for training.
    while (nTest + nVal >= m.length && nTest + nVal > 0) {
      if (nVal >= nTest && nVal > 0) nVal--;
      else nTest--;
    }
    for (let r = 0; r < m.length; r++) part[m[order[r]!]!] = r < nTest ? 2 : r < nTest + nVal ? 1 : 0;
  }
  const [train, val, test] = rowsOfParts(part, 3) as [Int32Array, Int32Array, Int32Array];
  return { train, val, test };
}

export function groupSplit(labels: LabelSet, groups: Int32Array, settings: Pick<SplitSettings, 'val' | 'test' | 'seed'>): SplitIndices {
  checkFractions(settings);
  const parts = groupParts(labels, groups, [1 - settings.val - settings.test, settings.val, settings.test], settings.seed, 'group');
  return { train: parts[0]!, val: parts[1]!, test: parts[2]! };
}

/**
 * Whole groups into parts of the given fractions (a 0 fraction gets nothing), greedily as the
 * header says: the rows of each part, ascending. `purpose` names the seeded stream, so that
 * the folds of cross-validation do not reuse the split's order.
 */
export function groupParts(labels: LabelSet, groups: Int32Array, fractions: readonly number[], seed: number, purpose: string): Int32Array[] {
  if (groups.length !== labels.count) throw new SplitError(`${groups.length} group ids for ${labels.count} samples`);
  const { stratum, numStrata } = strataOf(labels);
  const groupIds = new Map<number, number>();
  for (let i = 0; i < groups.length; i++) if (!groupIds.has(groups[i]!)) groupIds.set(groups[i]!, groupIds.size);
  const numGroups = groupIds.size;
  const numParts = fractions.length;
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
  const shuffled = randomStream('split', purpose, seed).permutation(numGroups);
  const rank = new Int32Array(numGroups);
  shuffled.forEach((g, r) => (rank[g] = r));
  const order = Array.from(shuffled).sort((a, b) => size[b]! - size[a]! || rank[a]! - rank[b]!);

  const assigned = Array.from({ length: numParts }, () => new Float64Array(numStrata));
  const assignedSize = new Float64Array(numParts);
  const groupPartOf = new Int32Array(numGroups);
  const activeParts = Array.from(fractions.keys()).filter((s) => active[s]);
  const presentStrata = Array.from(total.keys()).filter((c) => total[c]! > 0);
  const cost = (): number => {
    // Squared relative distance of every part's class counts and size to their targets, plus
    // one per (part, class) pair left without a sample although the class's share there is at
    // least one sample: every class should be seen in validation and test when the groups allow.
    let c = 0;
    for (const k of presentStrata) {
      for (const s of activeParts) {
        const target = fractions[s]! * total[k]!;
        const dev = (assigned[s]![k]! - target) / total[k]!;
        c += dev * dev;
        if (assigned[s]![k]! === 0 && target >= 0.5) c += 1;
      }
    }
    for (const s of activeParts) {
      const dev = (assignedSize[s]! - fractions[s]! * labels.count) / labels.count;
      c += dev * dev;
    }
    return c;
  };
  let remaining = numGroups;
  let emptyParts = activeParts.length;
  for (const g of order) {
    let best = -1;
    let bestCost = Infinity;
    const mustFill = remaining <= emptyParts;
    for (const s of activeParts) {
      if (mustFill && assignedSize[s]! > 0) continue; // leave the last groups for empty parts
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
    if (assignedSize[best]! === 0) emptyParts--;
    const v = perGroup[g]!;
    for (let k = 0; k < numStrata; k++) assigned[best]![k]! += v[k]!;
    assignedSize[best]! += size[g]!;
    groupPartOf[g] = best;
    remaining--;
  }
  const partOf = new Int32Array(dense.length);
  for (let i = 0; i < dense.length; i++) partOf[i] = groupPartOf[dense[i]!]!;
  return rowsOfParts(partOf, numParts);
}

/** Up to `max` names, sorted (numbers by value), for a message. */
function someNames(names: readonly string[], max = 60): string {
  const sorted = [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const shown = sorted.slice(0, max).map(printable).join(', ');
  return names.length > max ? `${shown}, ... (${names.length} in all)` : shown;
}

/**
 * A group split whose validation and/or test groups are given (`val_groups`, `test_groups`)
 * or come from a protocol (`de-chazal`: DS2 is the test part, DS1 the rest, the paced records
 * are in no split). The groups no list names are split by `groupSplit` into training and the
 * part no list gave, with that part's fraction (of the samples the lists leave).
 * `names[g]` is the name of dense group id g, as `hpsearch data inspect` shows it.
 */
export function fixedGroupSplit(labels: LabelSet, groups: Int32Array, names: readonly string[], settings: SplitSettings): SplitIndices {
  const numGroups = names.length;
  // 0 train (or free), 1 val, 2 test, -1 in no split.
  const role = new Int8Array(numGroups);
  const fixed = new Uint8Array(numGroups);
  if (settings.protocol === 'de-chazal') {
    const foreign = names.filter((n) => deChazalRole(n) === null);
    if (foreign.length > 0) {
      throw new SplitError(
        `the de-chazal protocol splits the records of the MIT-BIH Arrhythmia Database, but the data's groups include ${someNames(foreign, 10)}, which ${foreign.length === 1 ? 'is not one' : 'are not'}: import the 48 mitdb records (hpsearch data import), or use split: {by: group, test_groups: [...]}`,
        ['data', 'split', 'protocol'],
      );
    }
    names.forEach((n, g) => {
      const r = deChazalRole(n);
      if (r === 'ds2') (role[g] = 2), (fixed[g] = 1);
      else if (r === 'paced') (role[g] = -1), (fixed[g] = 1);
    });
    if (!names.some((n) => deChazalRole(n) === 'ds2')) throw new SplitError('the de-chazal protocol tests on the DS2 records, and the data hold none of them', ['data', 'split', 'protocol']);
  }
  const index = new Map(names.map((n, g) => [n, g]));
  const place = (key: 'val_groups' | 'test_groups', wanted: readonly string[] | undefined, r: 1 | 2): void => {
    wanted?.forEach((name, i) => {
      const g = index.get(name);
      const at = ['data', 'split', key, i];
      if (g === undefined) throw new SplitError(`no group "${printable(name)}" in the data; its groups: ${someNames(names)}`, at);
      if (fixed[g] && role[g] !== r) {
        const why = settings.protocol === 'de-chazal' ? (role[g] === 2 ? 'a DS2 record, the test part of the de-chazal protocol' : 'a paced record, which the de-chazal protocol leaves out') : 'also listed in test_groups';
        throw new SplitError(`group "${printable(name)}" is ${why}`, at);
      }
      role[g] = r;
      fixed[g] = 1;
    });
  };
  place('test_groups', settings.test_groups, 2);
  place('val_groups', settings.val_groups, 1);
  const valFixed = settings.val_groups !== undefined;
  const testFixed = settings.test_groups !== undefined || settings.protocol !== undefined;

  const free: number[] = [];
  for (let i = 0; i < groups.length; i++) if (!fixed[groups[i]!]) free.push(i);
  const parts: number[][] = [[], [], []];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (fixed[g] && role[g]! >= 0) parts[role[g]!]!.push(i);
  }
  const rest = { val: valFixed ? 0 : settings.val, test: testFixed ? 0 : settings.test, seed: settings.seed };
  if (free.length > 0) {
    const sub = groupSplit(subsetLabels(labels, free), Int32Array.from(free, (i) => groups[i]!), rest);
    sub.train.forEach((j) => parts[0]!.push(free[j]!));
    sub.val.forEach((j) => parts[1]!.push(free[j]!));
    sub.test.forEach((j) => parts[2]!.push(free[j]!));
  }
  return { train: ascending(parts[0]!), val: ascending(parts[1]!), test: ascending(parts[2]!) };
}

/**
 * Splits by `settings.by`; `groups` is required for `group`, and `groupNames` (the name of
 * each dense group id) for the lists and protocols of `fixedGroupSplit`.
 */
export function splitIndices(labels: LabelSet, groups: Int32Array | null, settings: SplitSettings, groupNames: readonly string[] | null = null): SplitIndices {
  if (settings.by === 'group') {
    if (!groups) throw new SplitError('split by group needs group ids (a groups, patient_id or record dataset)');
    if (settings.protocol !== undefined || settings.val_groups !== undefined || settings.test_groups !== undefined) {
      let numGroups = 0;
      for (const g of groups) numGroups = Math.max(numGroups, g + 1);
      const names = groupNames ?? Array.from({ length: numGroups }, (_, g) => String(g));
      return fixedGroupSplit(labels, groups, names, settings);
    }
    return groupSplit(labels, groups, settings);
  }
  return stratifiedSplit(labels, settings);
}
