/**
 * How two runs' metrics differ, bit for bit: what `hpsearch rerun` reports and what
 * `export-model` checks before it exports a retrained trial (reruns are bit-exact, so any
 * difference means the retrained weights are not the trial's).
 */
import type { Metrics } from '../core/trial.js';

/** Paths where two metric objects differ, compared bit for bit (Object.is on every number). */
export function metricDifferences(stored: Metrics, again: Metrics, prefix: string): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    // A NaN inside an array (the AUROC of a class without validation samples) is stored as
    // JSON null: that is the same value.
    if (a === null && typeof b === 'number' && Number.isNaN(b)) return;
    if (typeof a === 'number' && typeof b === 'number') {
      if (!Object.is(a, b)) out.push(`${path}: stored ${a}, rerun ${b}`);
    } else if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) out.push(`${path}: length ${a.length} vs ${b.length}`);
      else a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`));
    } else if (a !== b) {
      out.push(`${path}: stored ${JSON.stringify(a)}, rerun ${JSON.stringify(b)}`);
    }
  };
  for (const key of new Set([...Object.keys(stored), ...Object.keys(again)])) {
    if (key === 'lr' && !(key in stored)) continue;
    walk(stored[key], again[key], `${prefix}.${key}`);
  }
  return out;
}

