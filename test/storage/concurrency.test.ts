import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StorageBusyError } from '../../src/storage/index.js';
import { Child, inLockStep, newStudy, openStorage, tempDb } from './helpers.js';

const ROUNDS = 100;

describe('two processes on one file', () => {
  it('both finish 100 ask/tell rounds with unique trial numbers and no error', async () => {
    const path = tempDb();
    const storage = openStorage(path);
    const study = await newStudy(storage, 'race');

    const workers = [0, 1].map(() => new Child('ask-tell-worker', [path, 'race', String(ROUNDS)]));
    const rounds = await inLockStep(workers, ROUNDS);
    const results = await Promise.all(workers.map((w) => w.exit()));

    for (const r of results) {
      assert.equal(r.stderr, '', 'no error output (no "database is locked")');
      assert.equal(r.code, 0);
    }
    const got = results.map((r) => JSON.parse(r.stdout.split('\n').filter(Boolean).at(-1) ?? '[]') as number[]);
    assert.equal(got[0]?.length, ROUNDS);
    assert.equal(got[1]?.length, ROUNDS);
    const all = [...(got[0] ?? []), ...(got[1] ?? [])].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 2 * ROUNDS }, (_, i) => i), 'numbers 0..199, each once');

    const trials = await storage.getTrials(study.id);
    assert.equal(trials.length, 2 * ROUNDS);
    assert.ok(trials.every((t) => t.state === 'COMPLETE' && Object.keys(t.params).length === 8 && t.intermediate.length === 1));
    assert.deepEqual(trials.map((t) => t.number), all);
    assert.deepEqual(rounds, got, 'each round reported the number the worker kept');
    // Round i starts with the 2i trials of rounds 0..i-1 committed, and both processes
    // create one trial in it at once: whoever wins, they get 2i and 2i+1.
    for (let i = 0; i < ROUNDS; i++) {
      const pair: (number | null | undefined)[] = [rounds[0]?.[i], rounds[1]?.[i]];
      pair.sort((a, b) => (a ?? -1) - (b ?? -1));
      assert.deepEqual(pair, [2 * i, 2 * i + 1], `round ${i}`);
    }
    // Both really ran at once: each process got numbers in the other's range.
    const [lo0, hi0] = [Math.min(...(got[0] ?? [])), Math.max(...(got[0] ?? []))];
    assert.ok((got[1] ?? []).some((n) => n > lo0 && n < hi0), 'the two workers interleaved');
  });

  it('never overshoots a total shared by two processes', async () => {
    const path = tempDb();
    const storage = openStorage(path);
    const study = await newStudy(storage, 'capped');
    // Odd, so that in the last round both race for the one place left: exactly one may get it.
    const TOTAL = 151;
    const workers = [0, 1].map(() => new Child('ask-tell-worker', [path, 'capped', String(ROUNDS), String(TOTAL)]));
    const rounds = await inLockStep(workers, ROUNDS);
    const results = await Promise.all(workers.map((w) => w.exit()));
    for (const r of results) {
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
    }
    const counts = results.map((r) => (JSON.parse(r.stdout.split('\n').filter(Boolean).at(-1) ?? '[]') as number[]).length);
    assert.equal((counts[0] ?? 0) + (counts[1] ?? 0), TOTAL);
    const last = Math.floor(TOTAL / 2);
    assert.deepEqual(rounds.map((r) => r[last] ?? null).filter((n) => n !== null), [TOTAL - 1], 'one place left, one winner');
    assert.deepEqual((await storage.getTrials(study.id)).map((t) => t.number), Array.from({ length: TOTAL }, (_, i) => i));
  });

  it('retries a write while another process holds the lock, and gives up after its budget', async () => {
    const path = tempDb();
    // busy_timeout 0: SQLite reports SQLITE_BUSY at once, so only the retry loop can wait.
    const patient = openStorage(path, { busyTimeoutMs: 0, retry: { maxAttempts: 200, baseDelayMs: 5, maxDelayMs: 40 } });
    const hasty = openStorage(path, { busyTimeoutMs: 0, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    const study = await newStudy(patient, 'locked');

    // Long enough that the lock is surely still held when the parent hears `locked`.
    const HOLD_MS = 1500;
    const holder = new Child('lock-holder', [path, 'locked', String(HOLD_MS)]);
    await holder.waitFor((out) => out.includes('locked\n'), 'taking the lock');
    await assert.rejects(hasty.createTrial(study.id, { state: 'RUNNING' }), (err: unknown) => {
      assert.ok(err instanceof StorageBusyError);
      assert.match(err.message, /createTrial: the database stayed locked by other writers after 3 attempts/);
      return true;
    });
    const trial = await patient.createTrial(study.id, { state: 'RUNNING' });
    // The holder added trial 0 inside its locked transaction: number 1 proves this write
    // waited for that commit (and numbered after it) instead of failing or racing it.
    assert.equal(trial.number, 1);
    assert.deepEqual((await patient.getTrials(study.id)).map((t) => [t.number, t.state]), [[0, 'FAIL'], [1, 'RUNNING']]);
    const r = await holder.exit();
    assert.equal(r.code, 0, r.stderr);
  });
});
