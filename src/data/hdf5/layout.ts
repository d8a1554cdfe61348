/**
 * The HDF5 layout hpsearch reads (docs/data.md, "HDF5"): datasets at the root of the file,
 * the first alias found winning — signals `X`/`x`/`signals`/`tracings` of [N, L] or
 * [N, L, C]; labels `y`/`labels` of [N] or [N, K]; optional groups `groups`/`patient_id`/
 * `record`; attribute `classes` — and the description of a dataset that `hpsearch data
 * inspect` prints.
 */
import h5wasm, { type Dataset, type File as H5File, type Metadata } from 'h5wasm/node';
import { DataError } from '../errors.js';
import { hdf5Reason } from './h5wasm.js';

export const SIGNAL_ALIASES = ['X', 'x', 'signals', 'tracings'] as const;
export const LABEL_ALIASES = ['y', 'labels'] as const;
export const GROUP_ALIASES = ['groups', 'patient_id', 'record'] as const;

export interface DatasetDescription {
  /** Absolute path in the file, e.g. `/X`. */
  readonly path: string;
  readonly shape: readonly number[];
  /** `float32`, `float64`, `int64`, `uint8`, `string`, `bool`, ... */
  readonly dtype: string;
  /** Chunk shape, or null for contiguous storage. */
  readonly chunks: readonly number[] | null;
  /** Filter pipeline in order (`shuffle`, `gzip(4)`, ...). */
  readonly filters: readonly string[];
}

export function describeDtype(m: Metadata): string {
  switch (m.type) {
    case 0:
      return `${m.signed ? 'int' : 'uint'}${8 * m.size}`;
    case 1:
      return `float${8 * m.size}`;
    case 3:
      return 'string';
    case 8:
      return m.size === 1 ? 'bool' : `enum${8 * m.size}`;
    default:
      return `hdf5-class-${m.type}`;
  }
}

function describeDataset(d: Dataset): DatasetDescription {
  const m = d.metadata;
  return {
    path: d.path,
    shape: m.shape ?? [],
    dtype: describeDtype(m),
    chunks: m.chunks ?? null,
    filters: d.filters.map((f) => (f.id === 1 ? `gzip(${f.cd_values[0] ?? ''})` : f.name)),
  };
}

export interface Hdf5Layout {
  readonly file: string;
  readonly signals: DatasetDescription;
  readonly labels: DatasetDescription;
  readonly groups: DatasetDescription | null;
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  readonly multilabel: boolean;
  /** The `classes` attribute (root, else the label dataset), or null if the file has none. */
  readonly classes: readonly string[] | null;
}

/**
 * Finds the datasets of the layout in `h5` and validates their shapes and dtypes and the
 * `classes` attribute; reads no signal or label values.
 */
export function detectLayout(file: string, h5: H5File): { layout: Hdf5Layout; signals: Dataset } {
  let keys: string[];
  try {
    keys = h5.keys();
  } catch (e) {
    throw new DataError(file, '/', `cannot list datasets: ${hdf5Reason(e)}`, { cause: e });
  }
  const find = (aliases: readonly string[]): Dataset | null => {
    for (const name of aliases) {
      if (!keys.includes(name)) continue;
      const obj = h5.get(name);
      if (obj instanceof h5wasm.Dataset) return obj;
      throw new DataError(file, `/${name}`, 'expected a dataset, found a group or link');
    }
    return null;
  };
  const sig = find(SIGNAL_ALIASES);
  if (!sig) throw new DataError(file, '/', `no signal dataset: expected one of ${SIGNAL_ALIASES.map((a) => `/${a}`).join(', ')} (found ${keys.length ? keys.map((k) => `/${k}`).join(', ') : 'nothing'})`);
  const lab = find(LABEL_ALIASES);
  if (!lab) throw new DataError(file, '/', `no label dataset: expected one of ${LABEL_ALIASES.map((a) => `/${a}`).join(', ')}`);
  const grp = find(GROUP_ALIASES);

  const signals = describeDataset(sig);
  const labels = describeDataset(lab);
  const groups = grp ? describeDataset(grp) : null;
  const sm = sig.metadata;
  if (sm.type !== 1 || (sm.size !== 4 && sm.size !== 8)) {
    throw new DataError(file, signals.path, `expected float32 or float64 signals, found ${signals.dtype}`);
  }
  const s = signals.shape;
  if (s.length !== 2 && s.length !== 3) {
    throw new DataError(file, signals.path, `expected shape [N, L] or [N, L, C], found [${s.join(', ')}]`);
  }
  const [count, length] = [s[0]!, s[1]!];
  const channels = s.length === 3 ? s[2]! : 1;
  if (count === 0 || length === 0 || channels === 0) throw new DataError(file, signals.path, `empty signal dataset of shape [${s.join(', ')}]`);

  const lm = lab.metadata;
  if (lm.type !== 0 && lm.type !== 1 && lm.type !== 8) {
    throw new DataError(file, labels.path, `expected integer, float or bool labels, found ${labels.dtype}`);
  }
  const ls = labels.shape;
  if (ls.length !== 1 && ls.length !== 2) {
    throw new DataError(file, labels.path, `expected shape [N] (class index) or [N, K] (multi-hot), found [${ls.join(', ')}]`);
  }
  if (ls[0] !== count) throw new DataError(file, labels.path, `has ${ls[0]} rows but ${signals.path} has ${count}`);
  // [N, 1] is a column vector of class indices (a common h5py habit), not one multi-hot label.
  const multilabel = ls.length === 2 && ls[1]! > 1;
  if (groups) {
    if (groups.shape.length !== 1 && !(groups.shape.length === 2 && groups.shape[1] === 1)) {
      throw new DataError(file, groups.path, `expected shape [N], found [${groups.shape.join(', ')}]`);
    }
    if (groups.shape[0] !== count) throw new DataError(file, groups.path, `has ${groups.shape[0]} rows but ${signals.path} has ${count}`);
  }

  let classes: string[] | null = null;
  const readClasses = (owner: { attrs: Record<string, unknown>; get_attribute(n: string, j: true): unknown }, where: string): string[] | null => {
    if (!('classes' in owner.attrs)) return null;
    let v: unknown;
    try {
      v = owner.get_attribute('classes', true);
    } catch (e) {
      throw new DataError(file, `${where} attribute classes`, `unreadable: ${hdf5Reason(e)}`, { cause: e });
    }
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((c) => typeof c === 'string' || typeof c === 'number')) return v.map(String);
    throw new DataError(file, `${where} attribute classes`, 'expected a list of class names');
  };
  classes = readClasses(h5, '/') ?? readClasses(lab, labels.path);
  if (multilabel && classes && classes.length !== ls[1]) {
    throw new DataError(file, `${labels.path}`, `has ${ls[1]} labels per row but attribute classes names ${classes.length}`);
  }

  return {
    signals: sig,
    layout: { file, signals, labels, groups, count, length, channels, multilabel, classes },
  };
}
