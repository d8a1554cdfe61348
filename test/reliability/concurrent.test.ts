/**
 * Concurrent use (issue 8): several `hpsearch run` processes started at the same moment on
 * one YAML, study and database, and read-only commands (leaderboard, report) hammering a
 * study while it runs. The processes must together finish exactly the target, every trial
 * started once, with unique dense numbers, no "database is locked", and the same results
 * as a lone run: with the random sampler a trial's params and seed are functions of its
 * number, so trial k must have bit-for-bit the same params, epoch metrics and value in
 * every study here, whichever process ran it and whoever was reading meanwhile.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { TINY_YAML } from './fixtures.js';
import { CliProcess, type Exit } from './cli-process.js';
import { assertStudyHealthy } from './health.js';

const PARAMS = 3;
const LOCKED = /database is locked|SQLITE_BUSY|SQLITE_LOCKED|StorageBusyError/;
const REPORT_CLI = fileURLToPath(new URL('../../src/cli/report.js', import.meta.url));

let dir: string;
let db: string;
let yaml: string;
let processesRun = 0;
let duplicates = 0;
let readerCalls = 0;
let targetTotal = 0;
let completeTotal = 0;

function countComplete(trials: readonly { state: string }[], target: number): void {
  targetTotal += target;
  completeTotal += trials.filter((t) => t.state === 'COMPLETE').length;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-concurrent-'));
  db = join(dir, 'trials.db');
  yaml = join(dir, 'tiny.yaml');
  writeFileSync(yaml, readFileSync(TINY_YAML));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function runArgs(study: string, trials: number, workers: number): string[] {
  return ['run', yaml, '--db', db, '--study', study, '--trials', String(trials), '--epochs', '1', '--workers', String(workers), '--pruner', 'none', '--json'];
}

function trialStarts(exit: Exit): number[] {
  return exit.stdout
    .split('\n')
    .filter((l) => l.includes('"event":"trial_start"'))
    .map((l) => (JSON.parse(l) as { trial: number }).trial);
}

/** What must be identical for trial k in every study: params, seed, epoch metrics, value, test metrics. */
function outcomes(study: string): Map<number, string> {
  const conn = new Database(db, { readonly: true });
  try {
    const rows = conn
      .prepare(
        `SELECT t.number, t.seed, v.value,
                (SELECT json_group_object(param_name, param_value) FROM trial_params p WHERE p.trial_id = t.trial_id) AS params,
                (SELECT json_group_array(metrics_json) FROM trial_intermediate_values i WHERE i.trial_id = t.trial_id) AS epochs,
                (SELECT value_json FROM trial_user_attributes a WHERE a.trial_id = t.trial_id AND a.key = 'final_metrics') AS test
         FROM trials t JOIN studies s USING (study_id) LEFT JOIN trial_values v ON v.trial_id = t.trial_id
         WHERE s.study_name = ? ORDER BY t.number`,
      )
      .all(study) as { number: number; seed: number; value: number; params: string; epochs: string; test: string }[];
    return new Map(rows.map((r) => [r.number, JSON.stringify([r.seed, r.value, JSON.parse(r.params), r.epochs, r.test])]));
  } finally {
    conn.close();
  }
}

/** Starts `processes` runs of one study at once and checks what they did together. */
async function runTogether(study: string, processes: number, target: number): Promise<void> {
  const runs = Array.from({ length: processes }, () => new CliProcess(runArgs(study, target, 1), { cwd: dir }));
  const exits = await Promise.all(runs.map((r) => r.exited));
  processesRun += processes;
  for (const [i, e] of exits.entries()) {
    assert.equal(e.code, 0, `process ${i}: ${e.stderr}`);
    assert.doesNotMatch(e.stderr, LOCKED, `process ${i}`);
  }
  const { trials } = assertStudyHealthy(db, study, target, { paramCount: PARAMS });
  countComplete(trials, target);
  assert.ok(trials.every((t) => t.state === 'COMPLETE'), JSON.stringify(trials));
  // Each trial was started by exactly one process, once: no process took over a live
  // process's trial as an orphan (that would show as a second start and a retry).
  const starts = exits.flatMap(trialStarts).sort((a, b) => a - b);
  duplicates += starts.length - new Set(starts).size;
  assert.deepEqual(starts, Array.from({ length: target }, (_, i) => i), 'every trial started once');
  assert.ok(trials.every((t) => t.retries === 0), 'no trial was retried');
}

test('two runs started at once on one study and database finish exactly the target (4) together', async () => {
  await runTogether('duo', 2, 4);
});

test('four runs started at once on one study and database finish exactly the target (8) together, with the same results per trial number', async () => {
  await runTogether('quad', 4, 8);
  const duo = outcomes('duo');
  const quad = outcomes('quad');
  for (const [number, outcome] of duo) assert.equal(quad.get(number), outcome, `trial ${number} has the same params, seed, metrics and value in both studies`);
});

/**
 * Calls a read-only command again and again until `running()` turns false (and at least
 * twice); every call must exit 0 without a lock error. Returns the calls made and how many
 * of them ran entirely while the study was running.
 */
async function readLoop(args: () => string[], check: (r: Exit) => void, running: () => boolean): Promise<{ calls: number; duringRun: number }> {
  let calls = 0;
  let duringRun = 0;
  while (running() || calls < 2) {
    const wasRunning = running();
    const r = await new CliProcess(args(), { cwd: dir }).exited;
    calls += 1;
    if (wasRunning && running()) duringRun += 1;
    assert.equal(r.code, 0, `${args().join(' ')} (call ${calls}): ${r.stderr}`);
    assert.doesNotMatch(r.stderr, LOCKED);
    check(r);
  }
  return { calls, duringRun };
}

test('leaderboard and report called in loops while a study runs: every call exits 0, the run is undisturbed and its results are those of the others', async (t) => {
  const study = 'watched';
  const run = new CliProcess(runArgs(study, 8, 2), { cwd: dir });
  // From study_start on, the study exists: before it, "no such study" is the right answer.
  assert.ok(await run.waitFor((e) => e.event === 'study_start'), run.stderr);
  let running = true;
  void run.exited.then(() => (running = false));
  const loops = [
    readLoop(
      () => ['leaderboard', '--db', db, '--study', study, '--format', 'json'],
      (r) => assert.ok(Array.isArray(JSON.parse(r.stdout)), r.stdout),
      () => running,
    ),
  ];
  if (existsSync(REPORT_CLI)) {
    const html = join(dir, 'watched.html');
    loops.push(readLoop(() => ['report', study, '--db', db, '--out', html], () => assert.match(readFileSync(html, 'utf8'), /<\/html>\s*$/), () => running));
  } else {
    t.diagnostic('hpsearch report is not built: only leaderboard is called');
  }
  const done = await Promise.all(loops);
  const calls = done.reduce((n, d) => n + d.calls, 0);
  const duringRun = done.reduce((n, d) => n + d.duringRun, 0);
  readerCalls += calls;
  t.diagnostic(`${calls} reader calls, ${duringRun} of them entirely while the study ran`);
  assert.ok(duringRun >= 2, `only ${duringRun} reads ran entirely while the study was running`);
  const exit = await run.exited;
  processesRun += 1;
  assert.equal(exit.code, 0, exit.stderr);
  assert.doesNotMatch(exit.stderr, LOCKED);
  const { trials } = assertStudyHealthy(db, study, 8, { paramCount: PARAMS });
  countComplete(trials, 8);
  assert.ok(trials.every((tr) => tr.state === 'COMPLETE' && tr.retries === 0), JSON.stringify(trials));
  const quad = outcomes('quad');
  for (const [number, outcome] of outcomes(study)) assert.equal(outcome, quad.get(number), `trial ${number} is the same as in the study run by four processes`);
});

test('summary: processes, duplicate trial starts and reader calls', (t) => {
  t.diagnostic(
    `concurrent suite: ${processesRun} run processes sharing studies, ${completeTotal} of ${targetTotal} target trials COMPLETE, ${duplicates} duplicate trial starts, ${readerCalls} leaderboard/report calls`,
  );
  assert.equal(duplicates, 0);
  assert.equal(completeTotal, targetTotal);
});
