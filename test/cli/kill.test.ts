import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI, hpsearch } from './helpers.js';

const YAML = `study: killed
model: cnngru
data: {source: synthetic, n: 400, seed: 5, split: {val: 0.2, test: 0.2, by: stratified, seed: 0}}
budget: {trials: 6, epochs: 4}
sampler: {type: tpe, seed: 3, n_startup_trials: 3}
pruner: {type: none}
workers: 2
max_retries: 5
defaults: {hidden: 8, gru_hidden: 8, num_layers: 1, num_blocks: 0, batch_size: 32}
params:
  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
  dataset: {type: categorical, choices: [smote, oversampled]}
`;

/** What the study file holds so far (nothing while it does not exist or has no tables yet). */
function progress(db: string): { study: boolean; epochs: number; running: number } {
  const none = { study: false, epochs: 0, running: 0 };
  if (!existsSync(db)) return none;
  try {
    const conn = new Database(db, { readonly: true, fileMustExist: true });
    try {
      const study = conn.prepare('SELECT COUNT(*) AS n FROM studies').get() as { n: number };
      const epochs = conn.prepare('SELECT COUNT(*) AS n FROM trial_intermediate_values').get() as { n: number };
      const running = conn.prepare("SELECT COUNT(*) AS n FROM trials WHERE state = 'RUNNING'").get() as { n: number };
      return { study: study.n > 0, epochs: epochs.n, running: running.n };
    } finally {
      conn.close();
    }
  } catch {
    return none; // being created: no tables yet
  }
}

/**
 * Starts `hpsearch run` in its own process group and SIGKILLs the whole group as soon as the
 * study file shows `ready` (a state, not a moment: the test holds however slow the machine);
 * a run that ends first is not killed.
 */
function runAndKillWhen(args: string[], env: Record<string, string>, ready: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: 'ignore', env: { ...process.env, ...env } });
    const poll = setInterval(() => {
      if (!ready()) return;
      clearInterval(poll);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 25);
    child.on('exit', () => {
      clearInterval(poll);
      resolve();
    });
  });
}

test('after repeated SIGKILLs of the whole process group, resume ends with exactly the target, nothing RUNNING, no epoch trained twice', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-kill-'));
  try {
    const db = join(dir, 'trials.db');
    const yaml = join(dir, 'killed.yaml');
    const log = join(dir, 'epochs.log');
    writeFileSync(yaml, YAML);
    const env = { HPSEARCH_EPOCH_LOG: log };
    const args = ['run', yaml, '--db', db, '--json'];
    // First right after the study is created (data preparation, the first trials starting),
    // then four times in the middle of training: as soon as a new epoch is stored while a
    // trial is RUNNING, so every one of those kills hits a trial with a checkpoint to resume.
    await runAndKillWhen(args, env, () => progress(db).study);
    for (let round = 0; round < 4; round++) {
      const before = progress(db).epochs;
      await runAndKillWhen(args, env, () => {
        const p = progress(db);
        return p.epochs > before && p.running > 0;
      });
    }
    const final = hpsearch(['resume', 'killed', '--db', db, '--json'], { timeoutMs: 300_000, env });
    assert.equal(final.code, 0, final.stderr);

    const conn = new Database(db, { readonly: true });
    const trials = conn.prepare('SELECT number, state, retries FROM trials ORDER BY number').all() as { number: number; state: string; retries: number }[];
    const integrity = (conn.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    const epochs = conn.prepare('SELECT t.number AS number, COUNT(*) AS n FROM trial_intermediate_values v JOIN trials t USING (trial_id) GROUP BY t.number').all() as { number: number; n: number }[];
    conn.close();
    assert.equal(integrity, 'ok');
    assert.deepEqual(trials.map((t) => t.number), [0, 1, 2, 3, 4, 5], 'exactly the target, numbers unique and dense');
    assert.ok(trials.every((t) => ['COMPLETE', 'PRUNED', 'FAIL'].includes(t.state)), JSON.stringify(trials));
    assert.ok(trials.filter((t) => t.state === 'COMPLETE').length >= 4, JSON.stringify(trials));
    for (const e of epochs) assert.ok(e.n <= 4, `trial ${e.number} has ${e.n} epochs stored`);

    assert.ok(trials.some((t) => t.retries > 0), `no kill hit a running trial, so nothing was resumed: ${JSON.stringify(trials)}`);
    assert.ok(existsSync(log), 'epochs were trained');
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const seen = new Set<string>();
    for (const l of lines) {
      assert.ok(!seen.has(l), `trial/epoch "${l}" was trained twice after it completed`);
      seen.add(l);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
