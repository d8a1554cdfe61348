import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStudy } from '../../src/index.js';
import { hpsearch } from './helpers.js';

let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-cli-'));
  db = join(dir, 'trials.db');
  const study = await createStudy({
    storage: db,
    name: 'quad',
    direction: 'minimize',
    space: { x: { type: 'float', low: -5, high: 5 }, k: { type: 'categorical', choices: ['a', 'b'] } },
    sampler: { type: 'random', seed: 4 },
    pruner: { type: 'median', n_startup_trials: 2 },
  });
  await study.optimize(async (t) => {
    const x = t.params.x as number;
    for (let step = 1; step <= 3; step++) {
      if (await t.report(step, x * x + 1 / step, { loss: x * x + 1 / step, accuracy: 0.5 })) {
        const { TrialPruned } = await import('../../src/index.js');
        throw new TrialPruned();
      }
    }
    return x * x;
  }, { trials: 12 });
  await study.storage.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('studies lists the study with its counts (json and table)', () => {
  const r = hpsearch(['studies', '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { name: string; complete: number; pruned: number; best_value: number }[];
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.name, 'quad');
  assert.equal(rows[0]!.complete + rows[0]!.pruned, 12);
  const t = hpsearch(['studies', '--db', db]);
  assert.equal(t.code, 0);
  assert.match(t.stdout, /quad/);
});

test('leaderboard json has the keys README documents, ranked ascending for minimize', () => {
  const r = hpsearch(['leaderboard', '--db', db, '--study', 'quad', '--format', 'json', '--top', '5']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.ok(rows.length > 0 && rows.length <= 5);
  for (const key of ['number', 'state', 'value', 'metrics', 'params', 'epochs', 'duration_s', 'seed']) assert.ok(key in rows[0]!, `missing ${key}`);
  const values = rows.map((r) => r.value as number);
  assert.deepEqual(values, [...values].sort((a, b) => a - b));
  assert.ok(rows.every((r) => r.state === 'COMPLETE'));
  assert.equal(rows[0]!.epochs, 3);
});

test('leaderboard csv and table, --all includes pruned trials', () => {
  const csv = hpsearch(['leaderboard', '--db', db, '--format', 'csv', '--all', '--top', '100']);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  assert.match(lines[0]!, /^rank,trial,state,value/);
  assert.equal(lines.length, 13);
  const table = hpsearch(['leaderboard', '--db', db]);
  assert.equal(table.code, 0);
  assert.match(table.stdout, /rank/);
});

test('export writes every trial as csv and json', () => {
  const j = hpsearch(['export', 'quad', '--db', db, '--format', 'json']);
  assert.equal(j.code, 0, j.stderr);
  const out = JSON.parse(j.stdout) as { trials: { number: number; intermediate: unknown[] }[] };
  assert.deepEqual(out.trials.map((t) => t.number), [...Array(12).keys()]);
  const c = hpsearch(['export', 'quad', '--db', db]);
  assert.equal(c.stdout.trim().split('\n').length, 13);
});

test('trial shows params, seed and the epoch curve', () => {
  const r = hpsearch(['trial', 'quad', '0', '--db', db, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const t = JSON.parse(r.stdout) as { number: number; params: Record<string, unknown>; seed: number; intermediate: unknown[] };
  assert.equal(t.number, 0);
  assert.ok('x' in t.params);
  assert.equal(typeof t.seed, 'number');
});

test('bad input exits 2 with one line naming the place and leaves the database unchanged', () => {
  const beforeBytes = readFileSync(db);
  const cases: [string[], RegExp][] = [
    [['leaderboard', '--db', db, '--study', 'nope'], /no study named "nope"/],
    [['leaderboard', '--db', db, '--top', '-3'], /--top/],
    [['trial', 'quad', '999', '--db', db], /no trial 999/],
    [['studies', '--db', join(dir, 'missing.db')], /no such database/],
    [['leaderboard', '--db', db, '--format', 'xml'], /format/],
    [['frobnicate'], /Unknown/i],
  ];
  for (const [args, re] of cases) {
    const r = hpsearch(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.ok(!existsSync(join(dir, 'missing.db')), 'a read command must not create a database');
  assert.deepEqual(readFileSync(db), beforeBytes);
});

test('run with a malformed YAML exits 2 naming file:line:column and writes nothing', () => {
  const yaml = join(dir, 'bad.yaml');
  writeFileSync(yaml, 'model: cnngru\nparams:\n  x: {type: float, low: 5, high: 1}\n');
  writeFileSync(join(dir, 'good.yaml'), 'model: cnngru\nparams:\n  x: {type: float, low: 1, high: 5}\n');
  const fresh = join(dir, 'fresh.db');
  const r = hpsearch(['run', yaml, '--db', fresh]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /bad\.yaml:3:\d+/);
  assert.ok(!existsSync(fresh), 'no database is created for bad input');
  const flag = hpsearch(['run', yaml.replace('bad.yaml', 'good.yaml'), '--db', fresh, '--memory-budget', 'lots']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--memory-budget/);
});
