/**
 * The one check of a search space that needs the disk: does `data.source` name a file?
 * Done while the YAML's positions are at hand, so that a mistyped path is reported at its
 * line and column instead of later, by the data layer, without them.
 */
import { statSync } from 'node:fs';
import type { Reporter } from './error-reporter.js';

/** Extensions of the data files the data layer reads (HDF5, Kaggle CSV). */
const DATA_FILE = /\.(h5|hdf5|hdf|he5|csv)$/i;

export function isDataFileName(path: string): boolean {
  return DATA_FILE.test(path);
}

/** Why `path` cannot be read as a data file, or null when it is a regular file. */
export function dataFileProblem(path: string): string | null {
  try {
    return statSync(path).isFile() ? null : `not a regular file: ${path}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? `no such file ${path}` : `cannot read ${path} (${code ?? String(e)})`;
  }
}

/** `source` is the resolved path (or "synthetic") of `data.source`. */
export function checkDataSource(source: string, report: Reporter): void {
  if (source === 'synthetic') return;
  const problem = dataFileProblem(source);
  if (problem !== null) report.fail(['data', 'source'], problem);
}
