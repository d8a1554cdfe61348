import type { Distribution } from '../core/search-space.js';
import type { Metrics } from '../core/trial.js';

/**
 * Conversions between JS values and what the columns of the schema (sqlite/migrations.ts)
 * hold; the same for any SQL backend of that schema.
 */

export function dateToText(d: Date): string {
  return d.toISOString();
}

/** A time column: ISO text in SQLite, a `timestamptz` (which `pg` reads as a Date) in PostgreSQL. */
export type TimeColumn = string | Date;

export function textToDate(s: TimeColumn | null): Date | null {
  return s === null ? null : new Date(s);
}

/**
 * A value column holds NULL for NaN in every backend: SQLite turns NaN into NULL itself,
 * and PostgreSQL (which could store NaN) is written the same way, so that the leaderboard
 * ranks NaN like a missing value whatever the backend (leaderboard.ts).
 */
export function valueFromColumn(v: number | null): number {
  return v === null ? Number.NaN : v;
}

/** The column value of a number (NULL for NaN, see valueFromColumn); +-Infinity as is. */
export function valueToColumn(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

/**
 * Metrics JSON. JSON has no NaN or Infinity, and an epoch metric can be NaN (precision of a
 * class never predicted) or infinite (a diverged loss), so those are written as the strings
 * "NaN", "Infinity", "-Infinity" and read back as numbers. Only metrics go through this:
 * their values are numbers by type, so such a string can only be an encoded number.
 */
export function encodeMetrics(m: Metrics): string {
  return JSON.stringify(m, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/**
 * The trial user attribute holding a finished trial's final (test) metrics (FinishTrial in
 * types.ts). Its value is metrics JSON (encodeMetrics), every other attribute plain JSON.
 */
export const FINAL_METRICS_ATTR = 'final_metrics';

export function decodeMetrics(s: string): Metrics {
  return decodeNonFinite(s) as Metrics;
}

/** JSON.parse that turns "NaN" / "Infinity" / "-Infinity" strings back into numbers. */
export function decodeNonFinite(s: string): unknown {
  // The reviver costs a call per value: skip it when no such string can be present.
  if (!s.includes('NaN') && !s.includes('Infinity')) return JSON.parse(s) as unknown;
  return JSON.parse(s, (_k, v: unknown) =>
    v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v,
  ) as unknown;
}

/** Attribute values are plain JSON (as in Optuna): NaN becomes null, undefined becomes null. */
export function encodeAttr(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

export function decodeAttr(s: string): unknown {
  return JSON.parse(s) as unknown;
}

/**
 * Parsed distributions by their JSON text. Every trial of a study stores the same few
 * distributions, so loading 1,000 trials × 8 params parses 8 strings instead of 8,000
 * (and the trials share one frozen object per distribution).
 */
export class DistributionCache {
  private readonly byText = new Map<string, Distribution>();

  parse(text: string): Distribution {
    let d = this.byText.get(text);
    if (d === undefined) {
      d = deepFreeze(JSON.parse(text) as Distribution);
      // Bounded so a long-lived process with many studies cannot grow it without limit.
      if (this.byText.size >= 10_000) this.byText.clear();
      this.byText.set(text, d);
    }
    return d;
  }
}

export function encodeDistribution(d: Distribution): string {
  // As given, key order included: sameDistribution() in src/core/distributions.ts compares JSON text, so a
  // distribution read back must serialise exactly like the one the search space holds.
  return JSON.stringify(d);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
