import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TrialPruned, createStudy } from '../../src/index.js';
import { openStorageAt, readStudySnapshot, type StudySnapshot } from '../../src/storage/index.js';
import type { Distribution } from '../../src/core/search-space.js';
import { freshDatabase } from '../helpers/postgres.js';
import { hpsearch } from './helpers.js';

let dir: string;
let url: string;

/** A study made through the library on `storage`: 10 trials, some pruned, with epoch metrics. */
async function quadStudy(storage: string): Promise<void> {
  const study = await createStudy({
    storage,
    name: 'quad',
    space: { x: { type: 'float', low: -5, high: 5 }, k: { type: 'categorical', choices: ['a', 'b'] } },
    sampler: { type: 'random', seed: 4 },
    pruner: { type: 'median', n_startup_trials: 2 },
  });
  await study.optimize(async (t) => {
    const x = t.params.x as number;
    for (let step = 1; step <= 3; step++) {
      if (await t.report(step, x * x + 1 / step, { loss: x * x + 1 / step, accuracy: 0.5, diverged: step === 3 ? Infinity : 0 })) throw new TrialPruned();
    }
    return x * x;
  }, { trials: 10 });
  await study.storage.close();
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-cli-pg-'));
  url = await freshDatabase();
  await quadStudy(url);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('read commands on a PostgreSQL study', () => {
  it('studies, leaderboard, trial and export read the study through --storage', () => {
    const studies = hpsearch(['studies', '--storage', url, '--format', 'json'], { cwd: dir });
    assert.equal(studies.code, 0, studies.stderr);
    const rows = JSON.parse(studies.stdout) as { name: string; complete: number; pruned: number }[];
    assert.deepEqual(rows.map((r) => [r.name, r.complete + r.pruned]), [['quad', 10]]);

    const lb = hpsearch(['leaderboard', '--storage', url, '--format', 'json'], { cwd: dir });
    assert.equal(lb.code, 0, lb.stderr);
    const ranked = JSON.parse(lb.stdout) as { number: number; value: number; epochs: number }[];
    assert.ok(ranked.length > 0);
    assert.deepEqual(ranked.map((r) => r.value), [...ranked.map((r) => r.value)].sort((a, b) => a - b));

    const best = ranked[0]!.number;
    const trial = hpsearch(['trial', 'quad', String(best), '--format', 'json'], { cwd: dir, env: { HPSEARCH_STORAGE: url } });
    assert.equal(trial.code, 0, trial.stderr);
    assert.equal((JSON.parse(trial.stdout) as { number: number }).number, best, 'HPSEARCH_STORAGE names the storage');

    const csv = hpsearch(['export', 'quad', '--storage', url], { cwd: dir });
    assert.equal(csv.code, 0, csv.stderr);
    assert.equal(csv.stdout.trim().split('\n').length, 11, 'a header and one row per trial');
  });

  it('report writes the HTML report of a PostgreSQL study', () => {
    const out = join(dir, 'quad.html');
    const r = hpsearch(['report', 'quad', '--storage', url, '--out', out], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(out, 'utf8'), /<\/html>\s*$/);
  });

  it('refuses --storage with --db, and a malformed URL, with exit 2; a server out of reach with exit 1; the password masked', () => {
    const both = hpsearch(['studies', '--storage', url, '--db', join(dir, 'x.db')], { cwd: dir });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--storage and --db both name the storage/);
    const bad = hpsearch(['studies', '--storage', 'postgresql://me:s3cret@/nodb'], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /postgresql:\/\/me:\*\*\*@/);
    const gone = hpsearch(['leaderboard', '--storage', 'postgresql://me:s3cret@127.0.0.1:1/db'], { cwd: dir });
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr.trim().split('\n').length, 1, gone.stderr);
    assert.match(gone.stderr, /cannot reach the PostgreSQL server of postgresql:\/\/me:\*\*\*@127\.0\.0\.1:1\/db/);
    for (const r of [bad, gone]) assert.doesNotMatch(r.stderr, /s3cret/);
  });
});

/** A snapshot without what a storage assigns itself (ids), to compare two storages' copies. */
function comparable(s: StudySnapshot): unknown {
  return {
    study: { ...s.study, id: 0 },
    attrs: s.attrs,
    trials: s.trials.map((t) => JSON.parse(JSON.stringify({ ...t, id: 0 }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) as unknown),
    artifacts: s.artifacts.map((a) => ({ ...a, bytes: Buffer.from(a.bytes).toString('base64') })),
  };
}

async function snapshotAt(storage: string): Promise<StudySnapshot> {
  const s = await openStorageAt(storage);
  try {
    return await readStudySnapshot(s, 'rich');
  } finally {
    await s.close();
  }
}

describe('hpsearch db copy', () => {
  it('copies a study SQLite → PostgreSQL → SQLite exactly: attrs, settings, every trial, NaN and Infinity, artifacts, same numbers', async () => {
    const first = join(dir, 'first.db');
    const storage = await openStorageAt(first);
    const study = await storage.createStudy({ name: 'rich', direction: 'maximize', metric: 'recall', yaml: 'study: rich\n', settings: { model: 'cnngru', budget: { trials: 9 } } });
    await storage.setStudyUserAttr(study.id, 'owner', 'alice');
    await storage.setStudySystemAttr(study.id, 'classes', ['N', 'S', 'V']);
    const dist: Record<string, Distribution> = { lr: { type: 'float', low: 1e-4, high: 1, log: true, step: null }, opt: { type: 'categorical', choices: ['adam', 'adamw'] } };
    const states = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING', 'COMPLETE'] as const;
    for (const [i, state] of states.entries()) {
      const t = await storage.createTrial(study.id, { state: state === 'WAITING' ? 'WAITING' : 'RUNNING', params: { lr: 10 ** -(i + 1), opt: i % 2 ? 'adamw' : 'adam' }, distributions: dist, seed: 2 ** 40 + i, userAttrs: { i } });
      if (state === 'WAITING') continue;
      await storage.reportIntermediate(t.id, 1, i === 0 ? Number.NaN : 0.5 + i / 10, { val_loss: i === 1 ? Infinity : 0.3, per_class: [0.1, Number.NaN] });
      await storage.reportIntermediate(t.id, 2, -Infinity);
      await storage.setSystemAttr(t.id, 'train', { best_epoch: 1 });
      await storage.putTrialArtifact(t.id, 'checkpoint', new Uint8Array([i, 0, 255]));
      if (state === 'COMPLETE') await storage.finishTrial(t.id, { state, value: i === 5 ? Number.NaN : 0.9, metrics: { recall: 0.9, auroc: Number.NaN } });
      else if (state === 'PRUNED') await storage.finishTrial(t.id, { state });
      else if (state === 'FAIL') await storage.finishTrial(t.id, { state, failReason: 'NaN loss' });
    }
    await storage.close();

    const there = hpsearch(['db', 'copy', 'rich', '--from', first, '--to', url], { cwd: dir });
    assert.equal(there.code, 0, there.stderr);
    assert.match(there.stdout, /copied study "rich" \(6 trials, 5 artifacts\)/);
    const back = join(dir, 'back.db');
    const home = hpsearch(['db', 'copy', 'rich', '--from', url, '--to', `sqlite:///${back}`], { cwd: dir });
    assert.equal(home.code, 0, home.stderr);

    const original = comparable(await snapshotAt(first));
    assert.deepEqual(comparable(await snapshotAt(url)), original, 'SQLite → PostgreSQL');
    assert.deepEqual(comparable(await snapshotAt(back)), original, 'PostgreSQL → SQLite');

    const again = hpsearch(['db', 'copy', 'rich', '--from', first, '--to', url], { cwd: dir });
    assert.equal(again.code, 2, 'an existing target study is refused');
    assert.match(again.stderr, /study "rich" already exists there; nothing was copied/);
    const missing = hpsearch(['db', 'copy', 'nope', '--from', url, '--to', join(dir, 'none.db')], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no study named "nope" \(studies: quad, rich\)/);
  });
});
