/**
 * The plain-SQL examples of README.md run against a real trials.db: a tiny study run by the
 * CLI under the study name the README uses, each ```sql block executed with better-sqlite3.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { hpsearch } from '../cli/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TINY = join(ROOT, 'test', 'fixtures', 'tiny-cnngru.yaml');
/** The study name the README's queries filter on (the main job's). */
const README_STUDY = 'cnngru';

function sqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sql\n([\s\S]*?)^```$/gm)].map((m) => (m[1] as string).trim());
}

let dir = '';
let db = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-readme-sql-'));
  db = join(dir, 'trials.db');
  const run = hpsearch(['run', TINY, '--db', db, '--study', README_STUDY, '--trials', '2'], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(run.code, 0, `the tiny study failed: ${run.stderr}`);
});

after(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('README.md has 4 to 6 SQL examples, each one statement on the study it names', () => {
  const blocks = sqlBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 4 && blocks.length <= 6, `found ${blocks.length} sql blocks`);
  for (const sql of blocks) assert.ok(sql.includes(`'${README_STUDY}'`), `a query that does not name study '${README_STUDY}':\n${sql}`);
});

test("every SQL example of README.md runs on a real trials.db and returns rows", () => {
  const blocks = sqlBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    for (const sql of blocks) {
      // prepare() refuses a string holding more than one statement: one query per block.
      const rows = conn.prepare(sql).all() as Record<string, unknown>[];
      assert.ok(rows.length >= 1, `no rows from:\n${sql}`);
      for (const row of rows) {
        assert.ok(Object.values(row).some((v) => v !== null), `an all-NULL row from:\n${sql}`);
      }
    }
  } finally {
    conn.close();
  }
});
