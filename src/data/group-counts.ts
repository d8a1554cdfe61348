/**
 * Class counts per group (patient, record) of a data file, for `hpsearch data inspect`: a
 * record-wise split or a per-patient imbalance shows here before a study runs on the file.
 * Groups are named as `LazyHdf5Dataset.readGroupsNamed` names them (record names for a file
 * of the WFDB import), the names the YAML's `val_groups` / `test_groups` take.
 */
import { classCounts, type LabelSet } from './labels.js';

export interface GroupClassCounts {
  /** The group's name. Not yet made printable. */
  readonly group: string;
  readonly count: number;
  /** Samples per class (multi-label: positives per label), in class order. */
  readonly classCounts: readonly number[];
}

/** Rows of each dense group id. */
function rowsByGroup(ids: Int32Array, numGroups: number): Int32Array[] {
  const sizes = new Array<number>(numGroups).fill(0);
  for (const g of ids) sizes[g]!++;
  const rows = sizes.map((n) => new Int32Array(n));
  const fill = new Array<number>(numGroups).fill(0);
  ids.forEach((g, i) => (rows[g]![fill[g]!++] = i));
  return rows;
}

export function groupClassCounts(groups: { readonly ids: Int32Array; readonly names: readonly string[] }, labels: LabelSet): GroupClassCounts[] {
  const rows = rowsByGroup(groups.ids, groups.names.length);
  return rows.map((r, g) => ({ group: groups.names[g]!, count: r.length, classCounts: classCounts(labels, r) }));
}
