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
import { SpaceError } from './errors.js';
import { Reporter } from './report.js';
import { resolveSettings, type RawSpaceFile } from './resolve.js';
import { checkShape } from './schema.js';
import type { StudySettings } from './settings.js';
import { loadYaml } from './yaml-doc.js';

export interface ParsedSpace {
  readonly settings: StudySettings;
  /** The file's text, stored with the study so that it can be shown and re-parsed later. */
  readonly yaml: string;
}

/** Read and parse a search-space file; `path` is shown in error messages as given. */
export function parseSpaceFile(path: string): ParsedSpace {
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SpaceError(path, 0, 0, '', `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return parseSpaceText(text, path);
}

/** Parse search-space YAML; `fileName` is used in messages, as the default study name and to resolve `data.source`. */
export function parseSpaceText(text: string, fileName: string): ParsedSpace {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_SPACE_BYTES) throw tooLarge(fileName, size);
  const { value, locator, empty } = loadYaml(text, fileName);
  const report = new Reporter(fileName, locator);
  if (empty) report.fail([], 'the file is empty; expected a mapping with at least `params`');
  checkShape('file', value, report);
  const settings = resolveSettings(value as RawSpaceFile, fileName, report);
  return { settings, yaml: text };
}

function tooLarge(file: string, size: number): SpaceError {
  const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return new SpaceError(file, 0, 0, '', `the file is ${mb(size)}; a search space may be at most ${mb(MAX_SPACE_BYTES)}`);
}
