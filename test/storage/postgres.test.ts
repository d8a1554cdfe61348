import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PostgresStorage, type PostgresStorageOptions } from '../../src/storage/index.js';
import { freshDatabase } from '../helpers/postgres.js';
import { CommitCuttingProxy } from '../helpers/tcp-proxy.js';
import { storageConformance } from './conformance.js';
import { DISTRIBUTIONS, paramsFor } from './fixtures/space.js';
import { Child, inLockStep, newStudy } from './helpers.js';

const opened: PostgresStorage[] = [];
after(async () => {
  for (const s of opened) await s.close();
});

/** A PostgresStorage on `url`, closed when the file ends. */
export async function openPg(url: string, options?: PostgresStorageOptions): Promise<PostgresStorage> {
  const s = await PostgresStorage.open(url, options);
  opened.push(s);
  return s;
}

storageConformance({
  name: 'PostgreSQL',
  async database() {
    const url = await freshDatabase();
    return { open: () => openPg(url) };
  },
  async open() {
    return openPg(await freshDatabase());
  },
});

describe('PostgreSQL: processes sharing one study', () => {
  it('four processes creating trials up to a total: every number once, never past the total', async () => {
    const url = await freshDatabase();
    const storage = await openPg(url);
    const study = await newStudy(storage, 'capped');
    // Not a multiple of 4: in the last round the processes race for the 2 places left.
    const TOTAL = 70;
    const workers = Array.from({ length: 4 }, () => new Child('ask-tell-worker', [url, 'capped', '20', String(TOTAL)]));
    const rounds = await inLockStep(workers, 20);
    const results = await Promise.all(workers.map((w) => w.exit()));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const got = results.flatMap((r) => JSON.parse(r.stdout.split('\n').filter(Boolean).at(-1) ?? '[]') as number[]).sort((a, b) => a - b);
    assert.deepEqual(got, Array.from({ length: TOTAL }, (_, i) => i), 'numbers 0..69, each once');
    // Round i starts with 4i trials committed: whoever wins each race, the round's numbers are 4i..4i+3.
    for (let i = 0; i < 17; i++) assert.deepEqual(rounds.map((r) => r[i]).sort((a, b) => (a ?? -1) - (b ?? -1)), [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3], `round ${i}`);
    assert.deepEqual(rounds.map((r) => r[17]).filter((n) => n !== null).sort(), [68, 69], 'two places left in the last round, two winners');
    const trials = await storage.getTrials(study.id);
    assert.deepEqual(trials.map((t) => t.number), got);
    assert.ok(trials.every((t) => t.state === 'COMPLETE' && t.intermediate.length === 1));
  });

  it('four processes claiming WAITING trials: each trial claimed by exactly one', async () => {
    const url = await freshDatabase();
    const storage = await openPg(url);
    const study = await newStudy(storage, 'queue');
    const N = 40;
    for (let i = 0; i < N; i++) await storage.createTrial(study.id, { state: 'WAITING', params: paramsFor(i), distributions: DISTRIBUTIONS });
    const workers = Array.from({ length: 4 }, () => new Child('claim-worker', [url, 'queue']));
    await Promise.all(workers.map((w) => w.waitFor((out) => out.includes('ready\n'), 'ready')));
    for (const w of workers) w.proc.stdin.write('go\n');
    const results = await Promise.all(workers.map((w) => w.exit()));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const claimed = results.flatMap((r) => JSON.parse(r.stdout.split('\n').filter(Boolean).at(-1) ?? '[]') as number[]);
    assert.deepEqual([...claimed].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i), 'every trial once');
    const trials = await storage.getTrials(study.id);
    assert.ok(trials.every((t) => t.state === 'COMPLETE' && t.value === t.number));
  });

  it('eight processes creating the same study in a fresh database at once: exactly one creates it, all use it', async () => {
    const url = await freshDatabase();
    const workers = Array.from({ length: 8 }, () => new Child('create-study-worker', [url, 'shared']));
    await Promise.all(workers.map((w) => w.waitFor((out) => out.includes('ready\n'), 'ready')));
    for (const w of workers) w.proc.stdin.write('go\n');
    const results = await Promise.all(workers.map((w) => w.exit()));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const said = results.map((r) => r.stdout.split('\n').filter(Boolean).at(-1) ?? '');
    assert.equal(said.filter((s) => s.startsWith('created ')).length, 1, said.join('; '));
    assert.equal(new Set(said.map((s) => s.split(' ')[1])).size, 1, 'one study id for all');
    const storage = await openPg(url);
    const summaries = await storage.listStudies();
    assert.deepEqual(summaries.map((s) => [s.name, s.counts.WAITING]), [['shared', 8]]);
  });
});

describe('PostgreSQL: a COMMIT whose acknowledgement is lost', () => {
  it('creates one trial, not two, and finishes it once, when the answer to COMMIT never arrives', async () => {
    const url = await freshDatabase();
    const direct = await openPg(url);
    const study = await newStudy(direct, 'lost');
    const proxy = await CommitCuttingProxy.start(Number(new URL(url).port));
    after(() => proxy.close());
    const through = new URL(url);
    through.port = String(proxy.port);
    const storage = await openPg(through.toString());

    proxy.armCommitCut();
    const t = await storage.createTrialWithin(study.id, { state: 'RUNNING' }, 5);
    assert.equal(proxy.cuts, 1, 'the acknowledgement was cut');
    assert.equal(t?.number, 0);
    assert.deepEqual((await direct.getTrials(study.id)).map((x) => x.number), [0], 'one trial, committed once');

    await storage.reportIntermediate(t!.id, 0, 0.5);
    proxy.armCommitCut();
    const done = await storage.finishTrial(t!.id, { state: 'COMPLETE', value: 0.25 });
    assert.equal(proxy.cuts, 2);
    assert.deepEqual([done.state, done.value], ['COMPLETE', 0.25], 'no "already COMPLETE" error for its own retry');

    const w = await direct.createTrial(study.id, { state: 'WAITING' });
    proxy.armCommitCut();
    const claimed = await storage.claimWaitingTrial(study.id, { host: 'h', pid: 1 });
    assert.equal(proxy.cuts, 3);
    assert.equal(claimed?.id, w.id, 'the claim that committed, not another WAITING trial');
    assert.equal(await direct.countTrials(study.id, ['WAITING']), 0);
  });
});
