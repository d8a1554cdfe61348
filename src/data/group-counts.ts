/**
 * Class counts per group (patient, record) of an HDF5 data file, for `hpsearch data inspect`:
 * a record-wise split or a per-patient imbalance shows here before a study runs on the file.
 *
 * Groups are named by their values in the file (integers or strings); a file written by the
 * WFDB import stores record positions with the record names in the root attribute `records`
 * (src/data/wfdb/import.ts), and those names are shown instead.
 */
import h5wasm from 'h5wasm/node';
import { openHdf5 } from './hdf5/h5wasm.js';
import { classCounts, type LabelSet } from './labels.js';

export interface GroupClassCounts {
  /** The group's value in the file (or its record name), as text. Not yet made printable. */
  readonly group: string;
  readonly count: number;
  /** Samples per class (multi-label: positives per label), in class order. */
  readonly classCounts: readonly number[];
}

/** Rows of each group id (as `readGroups` numbers them: by first appearance). */
function rowsByGroup(ids: Int32Array): Int32Array[] {
  const sizes: number[] = [];
  for (const g of ids) sizes[g] = (sizes[g] ?? 0) + 1;
  const rows = sizes.map((n) => new Int32Array(n));
  const fill = new Array<number>(sizes.length).fill(0);
  ids.forEach((g, i) => (rows[g]![fill[g]!++] = i));
  return rows;
}

/** The file's value of each group id's first row, as text (record names when the file has them). */
async function groupNames(path: string, groupsPath: string, rows: readonly Int32Array[]): Promise<string[]> {
  const h5 = await openHdf5(path);
  try {
    const d = h5.get(groupsPath);
    const raw: unknown = d instanceof h5wasm.Dataset ? d.value : null;
    const values: ArrayLike<unknown> = Array.isArray(raw) || ArrayBuffer.isView(raw) ? (raw as ArrayLike<unknown>) : [];
    const recordsAttr: unknown = 'records' in h5.attrs ? h5.attrs['records']!.value : null;
    const records = typeof recordsAttr === 'string' ? recordsAttr.split(',') : null;
    return rows.map((r) => {
      const v = values[r[0]!];
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (records && typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < records.length) return records[n]!;
      return String(n);
    });
  } finally {
    h5.close();
  }
}

export async function groupClassCounts(path: string, groupsPath: string, labels: LabelSet, ids: Int32Array): Promise<GroupClassCounts[]> {
  const rows = rowsByGroup(ids);
  const names = await groupNames(path, groupsPath, rows);
  return rows.map((r, g) => ({ group: names[g]!, count: r.length, classCounts: classCounts(labels, r) }));
}
