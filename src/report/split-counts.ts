/**
 * The class counts of each part of a study's split (and of each cross-validation fold),
 * printed before any trial trains: a class that a record-wise split leaves out of
 * validation, or a fold with a handful of a class's samples, shows here.
 */
import { printable } from '../core/printable.js';
import type { PreparedData } from '../data/prepare.js';

export function formatSplitCounts(prepared: Pick<PreparedData, 'info' | 'sizes' | 'classCounts' | 'folds'>): string {
  const classes = prepared.info.classes.map(printable);
  const header = ['', 'samples', ...classes];
  const rows: string[][] = [];
  const add = (name: string, size: number, counts: readonly number[]): void => {
    rows.push([name, String(size), ...counts.map(String)]);
  };
  if (prepared.folds === undefined) {
    add('train', prepared.sizes.train, prepared.classCounts.train);
    add('validation', prepared.sizes.val, prepared.classCounts.val);
  } else {
    prepared.folds.forEach((f, i) => {
      add(`fold ${i + 1} train`, f.sizes.train, f.classCounts.train);
      add(`fold ${i + 1} validation`, f.sizes.val, f.classCounts.val);
    });
  }
  add('test', prepared.sizes.test, prepared.classCounts.test);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => `  ${cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ')}`;
  return [`class counts of the split${prepared.folds ? ` (${prepared.folds.length} cross-validation folds)` : ''}:`, line(header), ...rows.map(line)].join('\n');
}
