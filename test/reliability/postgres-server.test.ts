/**
 * A study on a PostgreSQL server that goes away mid-run (README "Commands", docs/storage.md
 * "Server faults"): real CLI runs of the tiny study against an embedded server of this
 * file's own (the suite's shared server is never stopped), stopped and started again on
 * the same data folder and port.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PostgresStorage } from '../../src/storage/index.js';
import { EmbeddedServer, freshDatabase } from '../helpers/postgres.js';
import { CliProcess } from './cli-process.js';
import { TINY_YAML } from './fixtures.js';

let server: EmbeddedServer;
let dir: string;
let yaml: string;

before(async () => {
  server = await EmbeddedServer.start();
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-pgfault-'));
  yaml = join(dir, 'tiny.yaml');
  copyFileSync(TINY_YAML, yaml);
});
after(async () => {
  await server.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** 4 trials of 2 epochs, no pruning: every trial ends COMPLETE with both epochs. */
function run(url: string, env: Record<string, string> = {}): CliProcess {
  return new CliProcess(['run', yaml, '--storage', url, '--trials', '4', '--epochs', '2', '--pruner', 'none', '--json'], { cwd: dir, env, timeoutMs: 300_000 });
}

async function trialsOf(url: string): Promise<{ number: number; state: string; epochs: number[] }[]> {
  const storage = await PostgresStorage.open(url);
  try {
    const study = await storage.getStudy('tiny');
    assert.ok(study !== null);
    return (await storage.getTrials(study.id)).map((t) => ({ number: t.number, state: t.state, epochs: t.intermediate.map((iv) => iv.step) }));
  } finally {
    await storage.close();
  }
}

const FOUR_COMPLETE = [0, 1, 2, 3].map((number) => ({ number, state: 'COMPLETE', epochs: [1, 2] }));

test('the server restarted mid-study: the run waits, reconnects and finishes the target, nothing lost or duplicated', async () => {
  const url = await freshDatabase(server.url);
  const p = run(url);
  assert.ok(await p.waitFor((e) => e.event === 'epoch'), p.stderr);
  await server.stop();
  await server.restart();
  const exit = await p.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.deepEqual(await trialsOf(url), FOUR_COMPLETE);
  const ends = p.events().filter((e) => e.event === 'trial_end').map((e) => e.trial).sort();
  assert.deepEqual(ends, [0, 1, 2, 3], 'each trial finished once');
});

test('an outage longer than the limit ends the run with exit 1 and a clear message; a later run finishes the study', async () => {
  const url = await freshDatabase(server.url);
  const p = run(url, { HPSEARCH_STORAGE_OUTAGE_S: '1' });
  assert.ok(await p.waitFor((e) => e.event === 'epoch'), p.stderr);
  await server.stop();
  const exit = await p.exited;
  await server.restart();
  assert.equal(exit.code, 1, exit.stderr);
  assert.match(exit.stderr, /the PostgreSQL server of postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ stayed out of reach for \d+ s \(limit 1 s\)/);
  assert.doesNotMatch(exit.stderr, /hpsearch@/, 'the password is masked');

  const again = run(url);
  const second = await again.exited;
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(await trialsOf(url), FOUR_COMPLETE, 'the target exactly, interrupted trials continued');
});
