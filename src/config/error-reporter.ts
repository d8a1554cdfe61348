/**
 * Turning a mistake at a key path into a `SpaceError`.
 *
 * The validation rules only know key paths (`['params', 'x', 'low']`). Where that path
 * lies in a file is the business of a `Locator`: the YAML front end maps it to a node
 * of the parsed document, the object front end (library API) has no positions at all.
 * This is what lets both front ends share one set of rules.
 */
import { SpaceError, formatPath, type Path } from './errors.js';

export interface Position {
  /** 1-based; 0 when unknown. */
  readonly line: number;
  readonly column: number;
}

/** Point at the key of a mapping entry (unknown or misplaced keys) or at its value. */
export type Anchor = 'key' | 'value';

export interface Locator {
  locate(path: Path, anchor: Anchor): Position;
}

export const NO_POSITION: Locator = { locate: () => ({ line: 0, column: 0 }) };

export class Reporter {
  /**
   * @param file   the file name shown to the user ('' for objects)
   * @param prefix shown before every key path ('space' gives `space.x.low`)
   */
  constructor(
    readonly file: string,
    readonly locator: Locator,
    readonly prefix = '',
  ) {}

  position(path: Path, anchor: Anchor = 'value'): Position {
    return this.locator.locate(path, anchor);
  }

  error(path: Path, reason: string, anchor: Anchor = 'value'): SpaceError {
    const { line, column } = this.position(path, anchor);
    return new SpaceError(this.file, line, column, this.pathText(path), reason);
  }

  fail(path: Path, reason: string, anchor: Anchor = 'value'): never {
    throw this.error(path, reason, anchor);
  }

  private pathText(path: Path): string {
    const tail = formatPath(path);
    if (this.prefix === '') return tail;
    if (tail === '') return this.prefix;
    return tail.startsWith('[') ? this.prefix + tail : `${this.prefix}.${tail}`;
  }
}

/** A value as the user would recognise it in a message: strings quoted, YAML spellings for specials. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return formatNumber(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** Numbers without binary noise (0.30000000000000004 → 0.3). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return describeValue(n);
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

/** A list of choices as they appear in messages: `"adam", "adamw"`. */
export function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? JSON.stringify(v) : describeValue(v))).join(', ');
}

/**
 * ` (did you mean "low"?)` when a close spelling exists (a typo, a swapped pair of
 * letters, or a prefix such as "recall" for "recall_macro"), else ''.
 */
export function didYouMean(word: string, options: readonly string[]): string {
  const w = word.toLowerCase();
  // One or two letters are too short for a guess to mean anything.
  if (w.length < 3) return '';
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(w.length / 3)) + 1;
  for (const option of options) {
    const d = editDistance(w, option.toLowerCase());
    if (d < bestDistance) {
      best = option;
      bestDistance = d;
    }
  }
  if (best === undefined) best = options.find((o) => o.toLowerCase().startsWith(w));
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Infinity;
  // d[i][j]: distance between the first i letters of a and the first j of b.
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[a.length][b.length];
}
