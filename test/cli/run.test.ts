import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { hpsearch } from './helpers.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-run-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  number: number;
  state: string;
  value: number;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  epochs: number;
  seed: number;
}

/**
 * The end-of-run line names a plausible peak RSS: more than a Node process with tfjs loaded
 * holds (50 MB) and less than the machine has; with worker processes, their part is added.
 */
function checkPeakRss(stdout: string, isolation: 'processes' | null): void {
  const line = /worker utilisation \d+ %, peak RSS (\d+\.\d+) GB(?: \(this process (\d+\.\d+) GB \+ (\d+) worker process(?:es)? up to (\d+\.\d+) GB each\))?/.exec(stdout);
  assert.ok(line, `no peak RSS in: ${stdout}`);
  const total = Number(line[1]) * 1e9;
  assert.ok(total > 50e6 && total < totalmem(), `peak RSS ${line[1]} GB`);
  if (isolation === 'processes') {
    assert.ok(line[2] !== undefined, 'worker processes are counted');
    const [self, n, each] = [Number(line[2]) * 1e9, Number(line[3]), Number(line[4]) * 1e9];
    assert.ok(n >= 1 && each > 50e6, `a worker process of ${line[4]} GB`);
    assert.ok(total >= self + each - 0.01e9, 'the total adds the worker processes to this one');
  } else {
    assert.equal(line[2], undefined, 'threads are part of this process');
  }
}

function states(db: string): Record<string, number> {
  const conn = new Database(db, { readonly: true });
  const rows = conn.prepare('SELECT state, COUNT(*) AS n FROM trials GROUP BY state').all() as { state: string; n: number }[];
  conn.close();
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

test('run, leaderboard, trial, export and rerun on a tiny synthetic study', () => {
  const db = join(dir, 'e2e.db');
  const run = hpsearch(['run', TINY, '--db', db, '--trials', '3'], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /top of the leaderboard/);
  assert.deepEqual(states(db), { COMPLETE: 3 });
  checkPeakRss(run.stdout, null);

  const lb = hpsearch(['leaderboard', '--db', db, '--format', 'json']);
  assert.equal(lb.code, 0, lb.stderr);
  const rows = JSON.parse(lb.stdout) as Row[];
  assert.equal(rows.length, 3);
  for (const r of rows) {
    assert.equal(r.epochs, 2);
    assert.equal(typeof r.seed, 'number');
    assert.ok(r.value >= 0 && r.value <= 1, 'recall_macro is a fraction');
    assert.equal(typeof r.metrics.val_loss, 'number');
    assert.ok('learning_rate' in r.params && 'dataset' in r.params);
  }
  const values = rows.map((r) => r.value);
  assert.deepEqual(values, [...values].sort((a, b) => b - a), 'maximize ranks descending');

  const trial = hpsearch(['trial', 'tiny', String(rows[0]!.number), '--db', db]);
  assert.equal(trial.code, 0, trial.stderr);
  assert.match(trial.stdout, /confusion matrix/);
  assert.match(trial.stdout, /backend (native|wasm)/);

  const exp = hpsearch(['export', 'tiny', '--db', db, '--format', 'json']);
  assert.equal((JSON.parse(exp.stdout) as { trials: unknown[] }).trials.length, 3);

  const rerun = hpsearch(['rerun', 'tiny', String(rows[0]!.number), '--db', db, '--json'], { timeoutMs: 300_000 });
  assert.equal(rerun.code, 0, rerun.stderr + rerun.stdout);
  const r = JSON.parse(rerun.stdout) as { match: boolean; epochs: number };
  assert.equal(r.match, true);
  assert.equal(r.epochs, 2);

  // The target is the study's total: running again with the same target does nothing new,
  // a larger target adds exactly the difference.
  const again = hpsearch(['run', TINY, '--db', db, '--trials', '4', '--json'], { timeoutMs: 300_000 });
  assert.equal(again.code, 0, again.stderr);
  const events = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string });
  assert.equal(events.filter((e) => e.event === 'trial_start').length, 1);
  assert.deepEqual(states(db), { COMPLETE: 4 });
});

const FAULTY = `study: faults
model: cnngru
data: {source: synthetic, n: 300, seed: 3, split: {val: 0.2, test: 0.2, by: stratified, seed: 0}}
budget: {trials: 5, epochs: 2}
sampler: {type: random, seed: 2}
pruner: {type: none}
workers: 2
defaults: {hidden: 8, gru_hidden: 8, num_layers: 1, num_blocks: 0, batch_size: 64, clip_norm: 0}
params:
  learning_rate: {type: float, low: 1.0e-3, high: 1.0e+30, log: true}
enqueue:
  - {learning_rate: 1.0e+30}
`;

test('a NaN loss, a trial that throws and a worker out of memory each end as FAIL with the reason; the study goes on', () => {
  const db = join(dir, 'faults.db');
  const yaml = join(dir, 'faults.yaml');
  writeFileSync(yaml, FAULTY);
  const run = hpsearch(['run', yaml, '--db', db, '--worker-heap-mb', '192', '--json'], {
    timeoutMs: 300_000,
    env: { HPSEARCH_FAULT: 'throw@1,oom@2' },
  });
  assert.equal(run.code, 0, run.stderr);
  const conn = new Database(db, { readonly: true });
  const trials = conn.prepare('SELECT number, state, fail_reason FROM trials ORDER BY number').all() as { number: number; state: string; fail_reason: string | null }[];
  conn.close();
  assert.equal(trials.length, 5);
  assert.equal(trials[0]!.state, 'FAIL');
  assert.match(trials[0]!.fail_reason ?? '', /NaN|infinite/i);
  assert.equal(trials[1]!.state, 'FAIL');
  assert.match(trials[1]!.fail_reason ?? '', /injected fault/);
  assert.equal(trials[2]!.state, 'FAIL');
  assert.match(trials[2]!.fail_reason ?? '', /memory|heap|terminated|exit/i);
  assert.ok(trials.slice(3).every((t) => t.state !== 'RUNNING'), 'the pool replaced the dead worker and finished the study');
});

test('child-process isolation (one worker process per trial) runs a study to the same kind of result', () => {
  const db = join(dir, 'procs.db');
  const run = hpsearch(['run', TINY, '--db', db, '--trials', '2', '--isolation', 'processes'], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.deepEqual(states(db), { COMPLETE: 2 });
  checkPeakRss(run.stdout, 'processes');
});

test('a new database never resumes from the checkpoints of a same-named study of another one', () => {
  // Two databases in one folder share its .hpsearch/; the second study must train every
  // epoch itself although its trials have the same configurations and seeds.
  const log = join(dir, 'stale-epochs.log');
  const args = ['--trials', '1', '--epochs', '2', '--workers', '1', '--pruner', 'none'];
  const first = hpsearch(['run', TINY, '--db', join(dir, 'first.db'), ...args], { timeoutMs: 300_000 });
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(log, '');
  const second = hpsearch(['run', TINY, '--db', join(dir, 'second.db'), ...args], { timeoutMs: 300_000, env: { HPSEARCH_EPOCH_LOG: log } });
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), ['0 1', '0 2']);
  assert.deepEqual(states(join(dir, 'second.db')), { COMPLETE: 1 });
});
