import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, hpsearch } from './helpers.js';

const YAML = `study: ctrlc
model: cnngru
data: {source: synthetic, n: 600, seed: 5}
budget: {trials: 4, epochs: 6}
sampler: {type: random, seed: 3}
pruner: {type: none}
workers: 2
defaults: {hidden: 8, gru_hidden: 8, num_layers: 1, num_blocks: 0, batch_size: 32}
params:
  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
`;

test('the first Ctrl-C stops within 10 s leaving running trials resumable; resume finishes the study', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-sigint-'));
  try {
    const db = join(dir, 'trials.db');
    const yaml = join(dir, 'ctrlc.yaml');
    writeFileSync(yaml, YAML);
    const child = spawn(process.execPath, [CLI, 'run', yaml, '--db', db, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let signalledAt = 0;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      // Interrupt once both workers are past their first epoch.
      if (signalledAt === 0 && (out.match(/"event":"epoch"/g) ?? []).length >= 2) {
        signalledAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const code = await exited;
    assert.ok(signalledAt > 0, `never reached an epoch: ${out}`);
    const took = Date.now() - signalledAt;
    assert.ok(took < 10_000, `exit took ${took} ms`);
    assert.equal(code, 130);
    const conn = new Database(db, { readonly: true });
    const states = conn.prepare('SELECT state FROM trials').all() as { state: string }[];
    conn.close();
    assert.ok(!states.some((s) => s.state === 'RUNNING'), `interrupted trials go back to WAITING: ${JSON.stringify(states)}`);
    assert.ok(states.some((s) => s.state === 'WAITING'));

    const resumed = hpsearch(['resume', 'ctrlc', '--db', db, '--json'], { timeoutMs: 300_000 });
    assert.equal(resumed.code, 0, resumed.stderr);
    const events = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; resumed_from_epoch?: number });
    assert.ok(events.some((e) => e.event === 'trial_start' && (e.resumed_from_epoch ?? 0) >= 1), 'a trial resumed after its checkpointed epoch');
    const conn2 = new Database(db, { readonly: true });
    const final = conn2.prepare('SELECT state, COUNT(*) AS n FROM trials GROUP BY state').all();
    conn2.close();
    assert.deepEqual(final, [{ state: 'COMPLETE', n: 4 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
