import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpaceError } from '../../src/space/index.js';

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
