/**
 * The one check of a search space that needs the disk: does `data.source` name a file?
 * Done while the YAML's positions are at hand, so that a mistyped path is reported at its
 * line and column instead of later, by the data layer, without them.
 */
import { statSync } from 'node:fs';
import type { Reporter } from './report.js';

/** `source` is the resolved path (or "synthetic") of `data.source`. */
export function checkDataSource(source: string, report: Reporter): void {
  if (source === 'synthetic') return;
  let isFile: boolean;
  try {
    isFile = statSync(source).isFile();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    report.fail(['data', 'source'], code === 'ENOENT' || code === 'ENOTDIR' ? `no such file ${source}` : `cannot read ${source} (${code ?? String(e)})`);
  }
  if (!isFile) report.fail(['data', 'source'], `not a regular file: ${source}`);
}
