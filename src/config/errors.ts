/** A path into a search-space document: mapping keys and list indices. */
export type Path = readonly (string | number)[];

/**
 * A mistake in a search space. `message` is the one-line text shown to the user:
 *
 *   searchspaces/x.yaml:12:5: params.num_layers.low: expected a number, got "two"
 *
 * For spaces given as objects (the library API) there is no file and `line`/`column`
 * are 0; the message then starts at the key path (`space.x.low: ...`).
 */
export class SpaceError extends Error {
  override readonly name = 'SpaceError';
  /** File name as the user gave it, or '' for an object. */
  readonly file: string;
  /** 1-based; 0 when there is no position (objects, unreadable files). */
  readonly line: number;
  readonly column: number;
  /** Dotted key path of the offending value (`params.x.low`, `enqueue[0].x`), '' for the whole document. */
  readonly path: string;
  /** What was wrong and what was expected, without the location. */
  readonly reason: string;

  constructor(file: string, line: number, column: number, path: string, reason: string) {
    super(formatMessage(file, line, column, path, reason));
    this.file = file;
    this.line = line;
    this.column = column;
    this.path = path;
    this.reason = reason;
  }

  override toString(): string {
    return this.message;
  }
}

function formatMessage(file: string, line: number, column: number, path: string, reason: string): string {
  const where = file === '' ? '' : line > 0 ? `${file}:${line}:${column}` : file;
  return [where, path, reason].filter((part) => part !== '').join(': ');
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `['params', 'x', 'low']` → `params.x.low`; `['enqueue', 0, 'x']` → `enqueue[0].x`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
