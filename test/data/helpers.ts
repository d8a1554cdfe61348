/** Shared fixtures for the data-layer tests: temporary folders and small HDF5 / CSV files. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { loadH5wasm } from '../../src/data/hdf5/h5wasm.js';
import { randomStream } from '../../src/data/rng.js';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-data-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RawDataset {
  name: string;
  data: Float32Array | Float64Array | Int32Array | Uint8Array | BigInt64Array | string[];
  shape: number[];
  dtype?: string;
  chunks?: number[];
  gzip?: boolean;
}

/** Writes arbitrary datasets and root attributes with h5wasm (for layouts and error cases). */
export async function writeRawHdf5(path: string, datasets: RawDataset[], attrs: Record<string, string[] | string> = {}): Promise<void> {
  await loadH5wasm();
  const f = new h5wasm.File(path, 'w');
  try {
    for (const d of datasets) {
      f.create_dataset({
        name: d.name,
        data: d.data as Float32Array,
        shape: d.shape,
        ...(d.dtype ? { dtype: d.dtype } : {}),
        ...(d.chunks ? { chunks: d.chunks } : {}),
        ...(d.gzip ? { compression: 'gzip' as const, compression_opts: 4 } : {}),
      });
    }
    for (const [k, v] of Object.entries(attrs)) f.create_attribute(k, v);
  } finally {
    f.close();
  }
}

/** Reproducible pseudo-random float32 signals [n, l, c]. */
export function randomSignals(n: number, l: number, c = 1, seed = 1): Float32Array {
  const rng = randomStream('test-signals', seed);
  return Float32Array.from({ length: n * l * c }, () => rng.next());
}

/** Class labels cycling with the given counts, shuffled reproducibly. */
export function labelsWithCounts(counts: number[], seed = 1): Int32Array {
  const out: number[] = [];
  counts.forEach((n, c) => {
    for (let i = 0; i < n; i++) out.push(c);
  });
  return randomStream('test-labels', seed).shuffle(Int32Array.from(out));
}

let h5pyAvailable: boolean | null = null;
/** True if /usr/bin/python3 can import h5py and numpy. */
export function hasH5py(): boolean {
  h5pyAvailable ??= spawnSync('/usr/bin/python3', ['-c', 'import h5py, numpy'], { stdio: 'ignore' }).status === 0;
  return h5pyAvailable;
}

export function runPython(script: string): void {
  const r = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
}

/** A Kaggle-format CSV (no header, `l` signal columns then the label). */
export function writeKaggleCsv(path: string, signals: Float32Array, labels: ArrayLike<number>, l: number): void {
  const lines: string[] = [];
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(signals.subarray(i * l, (i + 1) * l), (v) => v.toExponential(18));
    row.push(Number(labels[i]).toExponential(18));
    lines.push(row.join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** Brute force: squared distances computed directly, sorted by (distance, index). */
export function bruteKnn(x: Float32Array, n: number, d: number, k: number, rows?: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const i of rows ?? Array.from({ length: n }, (_, r) => r)) {
    const ds: Array<[number, number]> = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < d; t++) s += (x[i * d + t]! - x[j * d + t]!) ** 2;
      ds.push([s, j]);
    }
    ds.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    out[i] = ds.slice(0, k).map((e) => e[1]);
  }
  return out;
}

/** Whether `values` holds each of 0..size-1 exactly once. */
export function isPermutation(values: ArrayLike<number>, size: number): boolean {
  if (values.length !== size) return false;
  const seen = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const v = values[i]!;
    if (!(Number.isInteger(v) && v >= 0 && v < size) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
