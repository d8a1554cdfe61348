/** Text forms of numbers and params shared by the report's tables and chart tooltips. */
import type { ParamValue } from '../../core/search-space.js';

/** Four significant digits; exponent form for very small or very large magnitudes. */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
  return v.toPrecision(4);
}

/** A metric or objective value: always four significant digits (1.000, 0.9047, 2.78e-4). */
export function formatMetric(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v) || v === 0) return formatNumber(v);
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e6 ? v.toExponential(2) : v.toPrecision(4);
}

/** A number as written in a YAML file: its shortest form up to 6 significant digits (0.2, 1e-05, 1500). */
export function formatSetting(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(6))) : formatNumber(v);
}

/** A param value: short numbers as typed (0.2, 32, 0.00001), others to four significant digits. */
export function formatParam(v: ParamValue | undefined): string {
  if (v === undefined) return '—';
  if (typeof v !== 'number') return String(v);
  return Number.isFinite(v) && Number(v.toPrecision(4)) === v && String(v).length <= 8 ? String(v) : formatNumber(v);
}

/** "1 h 02 min", "3 min 05 s", "42.1 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
}

/** Characters that would end a markup context, as entities: study names and params are user input. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so
 * that no string inside (a study named `</script>`) can end the block or open a comment,
 * and U+2028/U+2029 escaped for any reader that evaluates it as JavaScript.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
