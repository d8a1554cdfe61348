/**
 * The YAML front end: a search-space file to `StudySettings`.
 *
 * Pipeline: size guard → YAML with positions (syntax, duplicate keys, aliases, tags) →
 * JSON Schema (shape, types, unknown keys) → rules in code (ranges, steps, `when`,
 * enqueue, split sums). Every step throws a `SpaceError` naming file:line:column, and
 * nothing is kept between calls, so a failed parse leaves no state behind.
 */
import { readFileSync, statSync } from 'node:fs';
import { MAX_SPACE_BYTES } from './defaults.js';
import { checkDataSource } from './data-source.js';
import { SpaceError } from './errors.js';
import { Reporter } from './error-reporter.js';
import { resolveSettings, type RawSpaceFile } from './resolve.js';
import { checkShape } from './schema.js';
import type { StudySettings } from './settings.js';
import { loadYaml } from './yaml-doc.js';

export interface ParseOptions {
  /**
   * Check that a `data.source` path names a readable file (the CLI does, so that a missing
   * file is reported at its line in the YAML; a parse for inspection need not touch the disk).
   */
  readonly checkDataSource?: boolean;
}

export interface ParsedSpace {
  readonly settings: StudySettings;
  /** The file's text, stored with the study so that it can be shown and re-parsed later. */
  readonly yaml: string;
}

/** Read and parse a search-space file; `path` is shown in error messages as given. */
export function parseSpaceFile(path: string, opts: ParseOptions = {}): ParsedSpace {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new SpaceError(path, 0, 0, '', 'not a regular file; expected a search-space YAML file');
    size = stat.size;
  } catch (e) {
    if (e instanceof SpaceError) throw e;
    throw new SpaceError(path, 0, 0, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  // Checked before reading: never load a huge file into memory.
  if (size > MAX_SPACE_BYTES) throw tooLarge(path, size);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SpaceError(path, 0, 0, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseSpaceText(decodeUtf8(bytes, path), path, opts);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The file's text; a file that is not UTF-8 (Latin-1 text, a binary file given by mistake)
 * is refused at its first invalid byte rather than read with replacement characters, which
 * would surface later as a puzzling value.
 */
function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    const at = invalidUtf8Offset(bytes);
    // (lastIndexOf with a negative start would search from the end.)
    const lineStart = at === 0 ? 0 : bytes.lastIndexOf(0x0a, at - 1) + 1;
    const line = 1 + bytes.subarray(0, lineStart).filter((b) => b === 0x0a).length;
    const column = 1 + [...STRICT_UTF8.decode(bytes.subarray(lineStart, at))].length;
    const byte = `0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}`;
    throw new SpaceError(file, line, column, '', `not UTF-8 text (byte ${byte}); expected a YAML file saved as UTF-8`);
  }
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629,
 * section 4: no overlong forms, no surrogates, nothing above U+10FFFF), or the length when
 * every sequence is well formed.
 */
export function invalidUtf8Offset(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead byte, and the range of the first one.
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    if (i + more >= b.length) return i;
    for (let k = 1; k <= more; k++) {
      const d = b[i + k] as number;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += more + 1;
  }
  return b.length;
}

/** Parse search-space YAML; `fileName` is used in messages, as the default study name and to resolve `data.source`. */
export function parseSpaceText(text: string, fileName: string, opts: ParseOptions = {}): ParsedSpace {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_SPACE_BYTES) throw tooLarge(fileName, size);
  const { value, locator, empty } = loadYaml(text, fileName);
  const report = new Reporter(fileName, locator);
  if (empty) report.fail([], 'the file is empty; expected a mapping with at least `params`');
  checkShape('file', value, report);
  const settings = resolveSettings(value as RawSpaceFile, fileName, report);
  if (opts.checkDataSource) checkDataSource(settings.data.source, report);
  return { settings, yaml: text };
}

function tooLarge(file: string, size: number): SpaceError {
  const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return new SpaceError(file, 0, 0, '', `the file is ${mb(size)}; a search space may be at most ${mb(MAX_SPACE_BYTES)}`);
}

/**
 * A mistake found after parsing (by the data: a group the file does not have) as a
 * `SpaceError` at its key in the YAML `text` of `fileName`, the position `file:line:column`
 * when the key is there.
 */
export function spaceErrorAt(text: string, fileName: string, path: readonly (string | number)[], reason: string): SpaceError {
  const { locator } = loadYaml(text, fileName);
  return new Reporter(fileName, locator).error(path, reason);
}
