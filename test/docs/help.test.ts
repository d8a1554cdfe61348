/**
 * `--help` of every command, as a user runs it: exit 0, an Examples section, and examples
 * that start with the command itself. The internal `worker` command stays out of the lists.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hpsearch } from '../cli/helpers.js';

/** Every user-facing command (README "Commands"), as typed after `hpsearch`. */
const COMMANDS = [
  'run',
  'resume',
  'leaderboard',
  'studies',
  'trial',
  'rerun',
  'report',
  'export',
  'data synth',
  'data import',
  'data inspect',
] as const;

/** The lines after "Examples:", with yargs' wrapped continuation lines left as they are. */
function examples(help: string): string[] {
  const at = help.indexOf('\nExamples:\n');
  if (at === -1) return [];
  return help
    .slice(at + '\nExamples:\n'.length)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

for (const command of COMMANDS) {
  test(`hpsearch ${command} --help shows a usage line and at least one example of the command`, () => {
    const r = hpsearch([...command.split(' '), '--help'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    // The command's own usage line, not the top-level help yargs prints for an unknown word.
    assert.ok(r.stdout.startsWith(`hpsearch ${command}`), `usage line: ${r.stdout.split('\n', 1)[0]}`);
    const lines = examples(r.stdout);
    const own = lines.filter((l) => l.startsWith(`hpsearch ${command}`));
    assert.ok(own.length >= 1, `no example starting with "hpsearch ${command}" in:\n${r.stdout}`);
  });
}

test('hpsearch --help lists every command and hides the internal worker command', () => {
  const r = hpsearch(['--help'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  for (const command of ['run', 'resume', 'leaderboard', 'studies', 'trial', 'rerun', 'report', 'export', 'data']) {
    assert.match(r.stdout, new RegExp(`^  hpsearch ${command}\\b`, 'm'), `hpsearch ${command} is not listed`);
  }
  assert.doesNotMatch(r.stdout, /hpsearch worker/);
});

test('the package bin runs as a command, as `npx hpsearch` runs it in a clone', () => {
  // npx executes the bin file itself (through its #! line), so it must be executable.
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
  const r = spawnSync(join(root, pkg.bin.hpsearch!), ['--version'], { encoding: 'utf8' });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), pkg.version);
});
