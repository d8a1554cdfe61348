import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpaceError } from '../../src/config/index.js';

/** The package root, from both test/space and dist/test/space. */
export const ROOT = ((): string => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'test')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
})();

/** Run `fn`, expect a SpaceError, and return it. */
export function spaceError(fn: () => unknown): SpaceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SpaceError) return e;
    throw e;
  }
  assert.fail('expected a SpaceError, got none');
}

/** A row of the hyperparameter table of docs/searchspace.md: the cells as written. */
export interface DocumentedHyperparam {
  readonly name: string;
  readonly type: string;
  /** The default cell of each model column, e.g. "`64`", or "—" when the model does not read the name. */
  readonly perModel: Readonly<Record<string, string>>;
}

/** The table of "`defaults` and the hyperparameters a trial reads" in docs/searchspace.md. */
export function documentedHyperparams(): DocumentedHyperparam[] {
  const text = readFileSync(join(ROOT, 'docs', 'searchspace.md'), 'utf8');
  const section = text.split('\n## ').find((s) => s.startsWith('`defaults` and the hyperparameters a trial reads'));
  assert.ok(section !== undefined, 'docs/searchspace.md has the hyperparameter section');
  // Cells are split on pipes that are not escaped (`adam` \| `adamw`).
  const cells = (line: string): string[] => line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
  const lines = section.split('\n').filter((l) => l.startsWith('|'));
  const header = cells(lines[0]);
  const models = header.slice(2, header.indexOf('what'));
  return lines.slice(2).map((line) => {
    const row = cells(line);
    return {
      name: row[0].replace(/`/g, ''),
      type: row[1],
      perModel: Object.fromEntries(models.map((m, i) => [m, row[2 + i]])),
    };
  });
}
