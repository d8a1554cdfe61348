import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerViolations, referencedModules } from './import-graph.js';

/** The repository's src/, from dist/test/architecture/ where this file runs. */
const SRC = fileURLToPath(new URL('../../../src', import.meta.url));

test('no file of src/ imports a layer above its own or a sibling layer (type-only imports included)', () => {
  const violations = layerViolations(SRC);
  assert.deepEqual(violations.map((v) => v.message), []);
});

test('the layer check names the file and the import of an upward or sibling import', () => {
  const root = mkdtempSync(join(tmpdir(), 'hpsearch-layers-'));
  try {
    const src = join(root, 'src');
    for (const d of ['core', 'samplers', 'storage', 'study']) mkdirSync(join(src, d), { recursive: true });
    writeFileSync(join(src, 'core', 'trial.ts'), "export type T = 1;\n");
    writeFileSync(join(src, 'study', 'study.ts'), "import type { T } from '../core/trial.js';\nexport type S = T;\n");
    writeFileSync(join(src, 'samplers', 'up.ts'), "import type { S } from '../study/study.js';\nexport type U = S;\n");
    writeFileSync(join(src, 'samplers', 'side.ts'), "export const x = () => import('../storage/db.js');\n");
    writeFileSync(join(src, 'storage', 'db.ts'), "export const db = 1;\n");
    const messages = layerViolations(src).map((v) => v.message);
    assert.equal(messages.length, 2, messages.join('\n'));
    assert.match(messages[0] as string, /^src\/samplers\/side\.ts imports '\.\.\/storage\/db\.js': samplers and storage are siblings/);
    assert.match(messages[1] as string, /^src\/samplers\/up\.ts imports '\.\.\/study\/study\.js': samplers \(layer 2\) may not import study \(layer 6\)/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('imports are found in every form: type-only, re-export, dynamic, worker URL', () => {
  const text = [
    "import type { A } from './a.js';",
    "export { B } from '../b.js';",
    "export type * from './c.js';",
    "const d = await import('./d.js');",
    "const e = new URL('../e.js', import.meta.url);",
    "import x from 'node:fs';",
  ].join('\n');
  assert.deepEqual(referencedModules(text).sort(), ['../b.js', '../e.js', './a.js', './c.js', './d.js']);
});
