/**
 * Study names are user input that becomes a folder name (`.hpsearch/studies/<name>`): no
 * name may reach outside that folder. Each name below is run end to end by the CLI; it is
 * either refused (exit 2, one line naming `--study`, nothing written at all) or accepted
 * with a sanitised folder, and in both cases the tree of the whole temporary folder is
 * compared before and after: every new path lies under `<db folder>/.hpsearch/` or is the
 * database itself. An accepted study is then found by its real name.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { safeFolderName } from '../../src/study/paths.js';
import { TINY_YAML } from './fixtures.js';
import { CliProcess, type Exit } from './cli-process.js';

/** Names that point outside the folder, or that no file system likes, all accepted as names. */
const ACCEPTED = ['../../x', '/etc/x', 'a/b', '..', '.', 'x\\y', 'x_y', 'ünïcødé 心電図 with spaces', 'n'.repeat(200)];
/** Names that would corrupt output or exceed the schema's 200 characters: refused. */
const REFUSED = ['n'.repeat(300), '', '   ', 'a\u0001b', 'line\nbreak', 'tab\there', 'esc\u001b[31mred', 'del\u007f', 'sep\u2028line'];

let dir: string;
let dbDir: string;
let db: string;
let cwd: string;
let yaml: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-names-'));
  dbDir = join(dir, 'db');
  cwd = join(dir, 'cwd');
  mkdirSync(dbDir);
  mkdirSync(cwd);
  db = join(dbDir, 'trials.db');
  yaml = join(dir, 'tiny.yaml');
  writeFileSync(yaml, readFileSync(TINY_YAML));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every path under `root` (relative, '/'-separated), files and folders alike. */
function tree(root: string): Set<string> {
  const out = new Set<string>();
  const walk = (folder: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      out.add(relative(root, path).split(sep).join('/'));
      if (lstatSync(path).isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

/** The database and its WAL companions, which any command may create or remove. */
const isDbFile = (p: string): boolean => /^db\/trials\.db(-wal|-shm)?$/.test(p);

function added(beforeTree: ReadonlySet<string>, afterTree: ReadonlySet<string>): string[] {
  return [...afterTree].filter((p) => !beforeTree.has(p)).sort();
}

function hpsearch(args: readonly string[]): Promise<Exit> {
  return new CliProcess(args, { cwd }).exited;
}

const printable = (name: string): string => JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…(${name.length} chars)` : name);

// Refused runs write nothing, so they may run side by side: each still sees the tree unchanged.
describe('refused names', { concurrency: 3 }, () => {
  for (const name of REFUSED) {
    test(`study name ${printable(name)} is refused with exit 2 naming --study, and nothing is written`, async () => {
      const beforeTree = tree(dir);
      const r = await hpsearch(['run', yaml, '--db', db, '--study', name, '--trials', '1', '--epochs', '1', '--json']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^hpsearch: --study: [^\n]+\n$/, 'one line naming the flag');
      assert.deepEqual(added(beforeTree, tree(dir)), []);
    });
  }
});

test('a NUL in the YAML study name is refused with exit 2 naming the file, and nothing is written', async () => {
  const nulYaml = join(dir, 'nul.yaml');
  const text = readFileSync(TINY_YAML, 'utf8');
  assert.match(text, /^study: tiny$/m);
  writeFileSync(nulYaml, text.replace(/^study: tiny$/m, 'study: "nul\\0byte"'));
  const beforeTree = tree(dir);
  const r = await hpsearch(['run', nulYaml, '--db', db, '--trials', '1', '--epochs', '1', '--json']);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.ok(r.stderr.includes(nulYaml) && /study/.test(r.stderr), r.stderr);
  assert.deepEqual(added(beforeTree, tree(dir)), []);
});

for (const name of ACCEPTED) {
  test(`study name ${printable(name)} is accepted: its folder is sanitised inside .hpsearch/studies and leaderboard finds it by name`, async () => {
    const beforeTree = tree(dir);
    const r = await hpsearch(['run', yaml, '--db', db, '--study', name, '--trials', '1', '--epochs', '1', '--workers', '1', '--pruner', 'none', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const fresh = added(beforeTree, tree(dir));
    const outside = fresh.filter((p) => !/^db\/\.hpsearch(\/|$)/.test(p) && !isDbFile(p));
    assert.deepEqual(outside, [], 'nothing is created outside <db folder>/.hpsearch');
    const folder = safeFolderName(name);
    assert.ok(!folder.includes('/') && !folder.includes('\\') && folder !== '.' && folder !== '..' && folder.length <= 89, folder);
    const studyFolders = fresh.filter((p) => /^db\/\.hpsearch\/studies\/[^/]+$/.test(p));
    assert.deepEqual(studyFolders, [`db/.hpsearch/studies/${folder}`], 'one new study folder, the sanitised name');
    assert.ok(fresh.filter((p) => p.startsWith('db/.hpsearch/studies/')).every((p) => p.startsWith(`db/.hpsearch/studies/${folder}`)));

    const lb = await hpsearch(['leaderboard', '--db', db, '--study', name, '--format', 'json']);
    assert.equal(lb.code, 0, lb.stderr);
    assert.equal((JSON.parse(lb.stdout) as unknown[]).length, 1);
  });
}

test('report of the study "../../x" without --out writes report-<sanitised name>.html in the current folder and nothing elsewhere', async () => {
  const beforeTree = tree(dir);
  const r = await hpsearch(['report', '../../x', '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(added(beforeTree, tree(dir)).filter((p) => !isDbFile(p)), [`cwd/report-${safeFolderName('../../x')}.html`]);
});

test('every accepted study is listed under its real name, each with its own folder', async () => {
  const r = await hpsearch(['studies', '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const names = (JSON.parse(r.stdout) as { name: string }[]).map((s) => s.name);
  assert.deepEqual([...names].sort(), [...ACCEPTED].sort());
  assert.equal(new Set(ACCEPTED.map(safeFolderName)).size, ACCEPTED.length, 'no two names share a folder');
});
