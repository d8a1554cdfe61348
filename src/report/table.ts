import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { printable } from '../core/printable.js';

export type OutputFormat = 'table' | 'csv' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

export type Cell = string | number | boolean | null | undefined;

/**
 * Renders flat rows as an aligned table or CSV (JSON output is the caller's own objects).
 * Text cells and column names may come from data files (class names in metric columns, study
 * names), so control characters are escaped in both formats.
 */
export function renderRows(columns: readonly string[], rows: ReadonlyArray<Readonly<Record<string, Cell>>>, format: 'table' | 'csv'): string {
  if (format === 'csv') {
    return stringify(
      rows.map((r) => columns.map((c) => {
        const v = r[c] ?? '';
        return typeof v === 'string' ? printable(v) : v;
      })),
      { header: true, columns: columns.map(printable) },
    ).trimEnd();
  }
  const table = new Table({
    head: columns.map(printable),
    style: { head: [], border: [] },
    // No rule between rows: a leaderboard reads as a list.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) table.push(columns.map((c) => formatCell(r[c])));
  return table.toString();
}

export function formatCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
    return a >= 100 ? v.toFixed(1) : String(Number(v.toFixed(4)));
  }
  return printable(String(v));
}
