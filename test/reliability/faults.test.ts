/**
 * Fault injection (issue 8): each case hurts a real `hpsearch run` on the tiny CNN-GRU
 * fixture, then runs the study again to its target and checks it with assertStudyHealthy
 * (integrity_check ok, exactly the target with numbers 0..target-1, nothing RUNNING or
 * WAITING, no trial half-written, every trial COMPLETE before the fault still COMPLETE with
 * the same value). All cases share one folder, so the data cache is prepared once; each has
 * its own study name (and the disk-full case its own database file).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { studyDir } from '../../src/study/paths.js';
import { DatabaseFileError, SqliteStorage } from '../../src/storage/index.js';
import { TINY_YAML } from './fixtures.js';
import { CliProcess, childProcesses, eventually, processAlive, seededRandom, type Exit } from './cli-process.js';
import {
  assertIntegrity,
  assertNoPartialTrials,
  assertStudyHealthy,
  completedSnapshot,
  lostTrials,
  mergeSnapshots,
  storedTrials,
  type CompletedSnapshot,
  type StoredTrial,
} from './health.js';

/** learning_rate, dataset, dropout: the tiny fixture's space. */
const PARAMS = 3;
/** Seeds the kill moments of the SIGKILL case; change it to explore other moments. */
const KILL_SEED = 20240508;

let dir: string;
let db: string;
let faultsInjected = 0;
let trialsLost = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-faults-'));
  db = join(dir, 'trials.db');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of the tiny fixture with `edits` (exact substitutions, each required to apply) and `extra` lines appended. */
function tinyYaml(name: string, opts: { edits?: readonly [string, string][]; extra?: string } = {}): string {
  let text = readFileSync(TINY_YAML, 'utf8');
  for (const [from, to] of opts.edits ?? []) {
    assert.ok(text.includes(from), `the tiny fixture no longer contains "${from}"`);
    text = text.replace(from, to);
  }
  const path = join(dir, name);
  writeFileSync(path, `${text.trimEnd()}\n${opts.extra ?? ''}`);
  return path;
}

async function finish(args: readonly string[], env?: Record<string, string>): Promise<Exit> {
  const run = new CliProcess(args, { cwd: dir, env });
  return run.exited;
}

/** assertStudyHealthy, counting lost trials for the summary first (so a failing case still counts). */
function health(dbPath: string, study: string, target: number, completedBefore: CompletedSnapshot): StoredTrial[] {
  trialsLost += lostTrials(storedTrials(dbPath, study), completedBefore);
  return assertStudyHealthy(dbPath, study, target, { completedBefore, paramCount: PARAMS }).trials;
}

test('storage: a write needing a page past the frozen max_page_count fails as DatabaseFileError naming the file, rolled back whole', async () => {
  const path = join(dir, 'storage-full.db');
  const storage = SqliteStorage.open(path, { faults: { fullAfterReports: 1 } });
  try {
    const study = await storage.createStudy({ name: 'full', direction: 'maximize', metric: 'acc', yaml: null, settings: {} });
    const trial = await storage.createTrial(study.id, { state: 'RUNNING' });
    await storage.reportIntermediate(trial.id, 1, 0.5);
    // About 8 KB of metrics: more than a 4 KB page can hold, so the row needs new (overflow) pages.
    const confusion = Array.from({ length: 40 }, (_, i) => Array.from({ length: 40 }, (_, j) => i * 40 + j));
    await assert.rejects(storage.reportIntermediate(trial.id, 2, 0.6, { confusion_matrix: confusion }), (err: unknown) => {
      assert.ok(err instanceof DatabaseFileError, String(err));
      assert.equal(err.code, 'SQLITE_FULL');
      assert.equal(err.message, `database or disk is full: ${path}`);
      return true;
    });
    faultsInjected += 1;
    assert.deepEqual((await storage.getTrialById(trial.id))?.intermediate.map((iv) => iv.step), [1], 'the failed report left nothing');
    // Writes that fit in the pages the file has still succeed: the trial can be handed back.
    await storage.releaseTrial(trial.id);
    assert.equal((await storage.getTrialById(trial.id))?.state, 'WAITING');
  } finally {
    await storage.close();
  }
  assertIntegrity(path);
});

test('SIGKILL of the main process at 3 seeded random moments (threads, processes, threads), then resume: target reached, no completed trial lost', async (t) => {
  const study = 'killed';
  const yaml = tinyYaml('killed.yaml', { extra: 'max_retries: 5\n' });
  const args = ['run', yaml, '--db', db, '--study', study, '--trials', '6', '--epochs', '3', '--workers', '2', '--pruner', 'none', '--json'];
  const random = seededRandom(KILL_SEED);
  let completed: CompletedSnapshot = new Map();
  for (const isolation of ['threads', 'processes', 'threads'] as const) {
    const afterEpochs = 1 + Math.floor(random() * 3);
    const delayMs = Math.floor(random() * 400);
    const run = new CliProcess([...args, '--isolation', isolation], { cwd: dir });
    assert.ok(await run.waitFor((e) => e.event === 'epoch', afterEpochs), `the run ended before ${afterEpochs} epochs: ${run.stderr}`);
    await new Promise((r) => setTimeout(r, delayMs));
    const workers = childProcesses(run.pid).filter((c) => c.cmdline.includes(' worker'));
    run.kill();
    const exit = await run.exited;
    t.diagnostic(`kill: ${isolation}, ${delayMs} ms after epoch event ${afterEpochs} (seed ${KILL_SEED}), ${workers.length} worker processes orphaned`);
    assert.equal(exit.signal, 'SIGKILL', `the kill came after the run ended: ${exit.stderr}`);
    faultsInjected += 1;
    if (isolation === 'processes') {
      assert.ok(workers.length >= 1, 'a worker process was training when the main process died');
      // A worker whose parent died records nothing and must not linger.
      assert.ok(await eventually(() => workers.every((w) => !processAlive(w.pid)), 15_000), 'orphaned worker processes exit on their own');
    }
    assertIntegrity(db);
    assertNoPartialTrials(db, study, PARAMS);
    completed = mergeSnapshots(completed, completedSnapshot(db, study));
  }
  const resumed = await finish(['resume', study, '--db', db, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const trials = health(db, study, 6, completed);
  assert.ok(trials.some((t) => t.retries > 0), `no kill hit a running trial, so the orphan path was not exercised: ${JSON.stringify(trials)}`);
});

test('SIGKILL of a worker process (--isolation processes) fails its trial with the signal named, as Optuna fails a crashed trial; the study still reaches its target', async () => {
  const study = 'worker-killed';
  const yaml = tinyYaml('worker-killed.yaml');
  const run = new CliProcess(
    ['run', yaml, '--db', db, '--study', study, '--trials', '3', '--epochs', '1', '--workers', '1', '--pruner', 'none', '--isolation', 'processes', '--json'],
    { cwd: dir },
  );
  // With one worker at a time, the first worker process is trial 0's; trial 1's is the next
  // one (trial 0's may still be exiting when trial 1 starts).
  const workerOtherThan = (pid: number | undefined): number | undefined =>
    childProcesses(run.pid).find((c) => c.cmdline.includes(' worker') && c.pid !== pid)?.pid;
  let first: number | undefined;
  assert.ok(await eventually(() => (first = workerOtherThan(undefined)) !== undefined, 60_000), 'the worker process of trial 0 started');
  assert.ok(await run.waitFor((e) => e.event === 'trial_start' && e.trial === 1), run.stderr);
  let victim: number | undefined;
  assert.ok(await eventually(() => (victim = workerOtherThan(first)) !== undefined, 10_000), 'the worker process of trial 1 started');
  process.kill(victim!, 'SIGKILL');
  faultsInjected += 1;
  const exit = await run.exited;
  assert.equal(exit.code, 0, exit.stderr);
  const trials = health(db, study, 3, new Map());
  assert.deepEqual(trials.map((t) => t.state), ['COMPLETE', 'FAIL', 'COMPLETE']);
  assert.match(trials[1]!.failReason ?? '', /killed by SIGKILL/);
});

test('a trial that throws, a worker thread that exits, one out of memory and a NaN loss each end as FAIL with the reason; the study is healthy and running it again adds nothing', async () => {
  const study = 'crashing';
  // Every trial is enqueued, so which trial meets which fault does not depend on sampling.
  const configs = [1.0e30, 0.003, 0.003, 0.003, 0.003, 0.005].map((lr) => `  - {learning_rate: ${lr}, dataset: smote, dropout: 0.0}`);
  const yaml = tinyYaml('crashing.yaml', {
    edits: [
      ['learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}', 'learning_rate: {type: categorical, choices: [0.003, 0.005, 1.0e+30]}'],
      ['batch_size: 64}', 'batch_size: 64, clip_norm: 0}'],
    ],
    extra: `enqueue:\n${configs.join('\n')}\n`,
  });
  const args = ['run', yaml, '--db', db, '--study', study, '--trials', '6', '--epochs', '2', '--workers', '2', '--worker-heap-mb', '192', '--json'];
  const run = await finish(args, { HPSEARCH_FAULT: 'throw@1,oom@2,exit@3' });
  faultsInjected += 4;
  assert.equal(run.code, 0, run.stderr);
  const trials = health(db, study, 6, new Map());
  assert.deepEqual(trials.map((t) => t.state), ['FAIL', 'FAIL', 'FAIL', 'FAIL', 'COMPLETE', 'COMPLETE']);
  assert.match(trials[0]!.failReason ?? '', /loss became (NaN|-?Infinity)/);
  assert.match(trials[1]!.failReason ?? '', /injected fault in trial 1/);
  assert.match(trials[2]!.failReason ?? '', /memory|heap/i);
  assert.match(trials[3]!.failReason ?? '', /exited with code:? 3/);

  const again = await finish(args);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.split('\n').filter((l) => l.includes('"event":"trial_start"')).length, 0, 'the target was already reached');
  health(db, study, 6, completedSnapshot(db, study));
});

test('database full (dbfull@2: PRAGMA max_page_count frozen): the run stops with one line naming the file, exit 1, nothing half-written; resume reaches the target', async () => {
  const study = 'disk-full';
  const fullDb = join(dir, 'full.db');
  const yaml = tinyYaml('disk-full.yaml');
  // Deterministic: after the 2nd epoch report the file may not grow, and the 16 epoch rows
  // of this study (about 390 bytes each, 6 KB) cannot all fit in the one 4 KB page their
  // table has at that moment, so some later write must need a page and fail.
  const run = await finish(
    ['run', yaml, '--db', fullDb, '--study', study, '--trials', '8', '--epochs', '2', '--workers', '2', '--pruner', 'none', '--json'],
    { HPSEARCH_FAULT: 'dbfull@2' },
  );
  faultsInjected += 1;
  assert.equal(run.code, 1, `the run should stop on the full database: ${run.stderr}`);
  assert.equal(run.stderr, `hpsearch: database or disk is full: ${fullDb}\n`);
  assertIntegrity(fullDb);
  const atFault = assertNoPartialTrials(fullDb, study, PARAMS);
  assert.ok(atFault.filter((t) => t.state === 'COMPLETE').length < 8, 'the fault hit before the study ended');
  assert.ok(!atFault.some((t) => t.state === 'FAIL'), `a full disk is not the trials' fault: ${JSON.stringify(atFault)}`);
  const completed = completedSnapshot(fullDb, study);

  const resumed = await finish(['resume', study, '--db', fullDb, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const trials = health(fullDb, study, 8, completed);
  assert.ok(trials.every((t) => t.state === 'COMPLETE'), JSON.stringify(trials));
});

/** Replaces a folder by a regular file, even while a worker may be re-creating it. */
function replaceWithFile(folder: string): void {
  for (let attempt = 0; ; attempt++) {
    rmSync(folder, { recursive: true, force: true });
    try {
      writeFileSync(folder, 'not a folder\n', { flag: 'wx' });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
    }
  }
}

test('checkpoint folder replaced by a file: refused before any trial with one line naming it; mid-run the run stops cleanly, no trial failed for it; restored, resume reaches the target', async () => {
  const study = 'no-checkpoints';
  const yaml = tinyYaml('no-checkpoints.yaml');
  const folder = studyDir(db, study);
  const args = ['run', yaml, '--db', db, '--study', study, '--trials', '4', '--epochs', '2', '--workers', '1', '--pruner', 'none', '--json'];

  // Root ignores permission bits, so a file in the folder's place is what makes it unwritable here.
  mkdirSync(join(dir, '.hpsearch', 'studies'), { recursive: true });
  writeFileSync(folder, 'not a folder\n');
  const refused = await finish(args);
  faultsInjected += 1;
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.ok(refused.stderr.includes(folder), `the message names ${folder}: ${refused.stderr}`);
  assert.deepEqual(storedTrials(db, study), [], 'no trial started');
  rmSync(folder);

  const run = new CliProcess(args, { cwd: dir });
  assert.ok(await run.waitFor((e) => e.event === 'epoch'), run.stderr);
  replaceWithFile(folder);
  faultsInjected += 1;
  const stopped = await run.exited;
  assert.equal(stopped.code, 1, stopped.stderr);
  assert.match(stopped.stderr, /^hpsearch: cannot write to the checkpoint folder .*(ENOTDIR|EEXIST)\)\n$/);
  assert.ok(stopped.stderr.includes(folder), stopped.stderr);
  assertIntegrity(db);
  const atFault = assertNoPartialTrials(db, study, PARAMS);
  assert.ok(!atFault.some((t) => t.state === 'FAIL' || t.state === 'RUNNING'), `in-flight trials are handed back: ${JSON.stringify(atFault)}`);
  assert.ok(atFault.some((t) => t.state === 'WAITING'), 'the trial in flight was released');
  const completed = completedSnapshot(db, study);

  rmSync(folder);
  const resumed = await finish(['resume', study, '--db', db, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  health(db, study, 4, completed);
});

test('summary: faults injected and trials lost', (t) => {
  t.diagnostic(`faults suite: ${faultsInjected} faults injected, ${trialsLost} trials lost`);
  assert.equal(trialsLost, 0);
  assert.ok(faultsInjected >= 10, `${faultsInjected} faults injected`);
});
