import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Distribution } from '../../src/core/search-space.js';
import {
  type Storage,
  StudyError,
  StudyExistsError,
  StudyNotFoundError,
  TrialNotFoundError,
  TrialStateError,
} from '../../src/storage/index.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { DISTRIBUTIONS, paramsFor } from './fixtures/space.js';
import { newStudy } from './helpers.js';

const OWNER = { host: 'node-a', pid: 4242 };

/** One database of a backend under test, opened as many times as a test needs (several connections). */
export interface TestDatabase {
  open(): Promise<Storage>;
}

/** How the conformance suite gets storages: every call gives a new, empty database. */
export interface StorageBackend {
  readonly name: string;
  database(): Promise<TestDatabase>;
  /** A connection to a new empty database (database() then open()). */
  open(): Promise<Storage>;
}

/** A study with one trial per entry finished as described (value, or a state). */
async function studyWith(
  storage: Storage,
  direction: 'minimize' | 'maximize',
  trials: readonly ({ value: number; curve?: number[] } | { state: 'PRUNED'; curve: number[] } | { state: 'FAIL' } | { state: 'RUNNING' })[],
) {
  const study = await newStudy(storage, `s-${direction}-${Math.random()}`, direction);
  for (const [i, spec] of trials.entries()) {
    const t = await storage.createTrial(study.id, { state: 'RUNNING', params: paramsFor(i), distributions: DISTRIBUTIONS, seed: 100 + i });
    const curve = ('curve' in spec ? spec.curve : undefined) ?? [];
    for (const [step, v] of curve.entries()) await storage.reportIntermediate(t.id, step, v, { acc: step / 10 });
    if ('value' in spec) await storage.finishTrial(t.id, { state: 'COMPLETE', value: spec.value, metrics: { acc: spec.value } });
    else if (spec.state !== 'RUNNING') await storage.finishTrial(t.id, { state: spec.state });
  }
  return study;
}

/**
 * The Storage contract (src/storage/types.ts), the same cases for every backend: run by
 * sqlite.test.ts and postgres.test.ts. What only one backend has (SQLite's file checks,
 * PostgreSQL's server faults) is tested in those files.
 */
export function storageConformance(backend: StorageBackend): void {
  describe('studies', () => {
    it('round-trips a study and refuses a duplicate name with a bad-input error', async () => {
      const storage = await backend.open();
      const created = await storage.createStudy({
        name: 'ecg',
        direction: 'maximize',
        metric: 'recall_macro',
        yaml: 'study: ecg\nmodel: cnngru\n',
        settings: { model: 'cnngru', budget: { trials: 20 } },
      });
      const got = await storage.getStudy('ecg');
      assert.deepEqual(got, created);
      assert.equal(got?.direction, 'maximize');
      assert.equal(got?.metric, 'recall_macro');
      assert.equal(got?.yaml, 'study: ecg\nmodel: cnngru\n');
      assert.deepEqual(got?.settings, { model: 'cnngru', budget: { trials: 20 } });
      assert.ok(got !== null && Math.abs(got.createdAt.getTime() - Date.now()) < 60_000);

      const dup = await storage.createStudy({ name: 'ecg', direction: 'minimize', metric: 'x', yaml: null, settings: null }).catch((e: unknown) => e);
      assert.ok(dup instanceof StudyExistsError);
      assert.ok(dup instanceof StudyError);
      assert.equal(dup.exitCode, 2);
      assert.equal(dup.kind, 'exists');
      assert.match(dup.message, /"ecg" already exists/);
      assert.equal(await storage.getStudy('nope'), null);
    });

    it('reports a missing study id as a bad-input error', async () => {
      const storage = await backend.open();
      const err = await storage.createTrial(99, { state: 'RUNNING' }).catch((e: unknown) => e);
      assert.ok(err instanceof StudyNotFoundError);
      assert.equal(err.kind, 'missing');
      assert.equal(err.exitCode, 2);
      await assert.rejects(storage.getTrials(99), StudyNotFoundError);
      await assert.rejects(storage.leaderboard(99), StudyNotFoundError);
    });

    it('summarises studies: counts by state, best value, model', async () => {
      const storage = await backend.open();
      const max = await studyWith(storage, 'maximize', [{ value: 0.5 }, { value: 0.9 }, { state: 'FAIL' }, { state: 'RUNNING' }]);
      await storage.createTrial(max.id, { state: 'WAITING' });
      const min = await studyWith(storage, 'minimize', [{ value: 0.5 }, { value: 0.2 }, { state: 'PRUNED', curve: [0.1] }]);
      await storage.createStudy({ name: 'empty', direction: 'minimize', metric: 'm', yaml: null, settings: {} });
      const rows = await storage.listStudies();
      assert.deepEqual(
        rows.map((r) => [r.name, r.model, r.counts, r.bestValue, r.bestNumber]),
        [
          [max.name, 'cnngru', { RUNNING: 1, COMPLETE: 2, PRUNED: 0, FAIL: 1, WAITING: 1 }, 0.9, 1],
          [min.name, 'cnngru', { RUNNING: 0, COMPLETE: 2, PRUNED: 1, FAIL: 0, WAITING: 0 }, 0.2, 1],
          ['empty', null, { RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0, WAITING: 0 }, null, null],
        ],
      );
    });

    it('updates the stored settings', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      await storage.updateStudySettings(study.id, { model: 'cnngru', budget: { trials: 40 } });
      assert.deepEqual((await storage.getStudy(study.name))?.settings, { model: 'cnngru', budget: { trials: 40 } });
      await assert.rejects(storage.updateStudySettings(777, {}), StudyNotFoundError);
    });

    it('keeps study attributes', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      await storage.setStudyUserAttr(study.id, 'owner', 'alice');
      await storage.setStudySystemAttr(study.id, 'data_hash', { sha: 'abc', n: 6000 });
      await storage.setStudyUserAttr(study.id, 'owner', 'bob');
      assert.deepEqual(await storage.getStudyAttrs(study.id), { user: { owner: 'bob' }, system: { data_hash: { sha: 'abc', n: 6000 } } });
      await assert.rejects(storage.setStudyUserAttr(12345, 'k', 1), StudyNotFoundError);
    });
  });

  describe('trials', () => {
    it('round-trips every field through the file', async () => {
      const db = await backend.database();
      const writer = await db.open();
      const study = await newStudy(writer);
      const created = await writer.createTrial(study.id, {
        state: 'RUNNING',
        params: { optimizer: 'adamw', learning_rate: 0.003 },
        distributions: DISTRIBUTIONS,
        seed: 2 ** 40 + 7,
        owner: OWNER,
        userAttrs: { note: 'first', tags: ['a', 'b'] },
        systemAttrs: { enqueued: true },
      });
      assert.equal(created.number, 0);
      assert.equal(created.state, 'RUNNING');
      await writer.setTrialParams(created.id, { gru_hidden: 256, num_layers: 3, bidirectional: true }, DISTRIBUTIONS);
      await writer.setTrialBackend(created.id, 'wasm');
      await writer.setTrialSeed(created.id, 99);
      await writer.setUserAttr(created.id, 'confusion', [[5, 1], [0, 7]]);
      await writer.setSystemAttr(created.id, 'worker', 3);
      await writer.reportIntermediate(created.id, 0, 0.9, { val_loss: 0.9, recall: [0.5, 0.25], weird: Number.NaN });
      await writer.reportIntermediate(created.id, 1, 0.4, { val_loss: Infinity, cm: [[1, 2], [3, 4]] });
      await writer.reportIntermediate(created.id, 2, Number.NaN);
      const before = (await writer.getTrialById(created.id)) as FrozenTrial;
      await new Promise((r) => setTimeout(r, 15));
      await writer.heartbeat(created.id);
      const finished = await writer.finishTrial(created.id, {
        state: 'COMPLETE',
        value: 0.4,
        metrics: { recall_macro: 0.8, per_class: [0.9, 0.7], nan_metric: Number.NaN },
      });

      // Read back through a second connection: nothing comes from the writer's memory.
      const reader = await db.open();
      const t = await reader.getTrial(study.id, 0);
      assert.ok(t !== null);
      assert.deepEqual(t, finished);
      assert.equal(t.id, created.id);
      assert.equal(t.state, 'COMPLETE');
      assert.deepEqual(t.params, { optimizer: 'adamw', learning_rate: 0.003, gru_hidden: 256, num_layers: 3, bidirectional: true });
      assert.deepEqual(Object.keys(t.distributions).sort(), ['bidirectional', 'gru_hidden', 'learning_rate', 'num_layers', 'optimizer']);
      assert.deepEqual(t.distributions['learning_rate'], DISTRIBUTIONS['learning_rate']);
      assert.equal(t.value, 0.4);
      assert.equal(t.seed, 99);
      assert.equal(t.host, OWNER.host);
      assert.equal(t.pid, OWNER.pid);
      assert.equal(t.backend, 'wasm');
      assert.equal(t.failReason, null);
      assert.equal(t.retries, 0);
      assert.deepEqual(t.intermediate.map((iv) => iv.step), [0, 1, 2]);
      assert.deepEqual(t.intermediate[0], { step: 0, value: 0.9, metrics: { val_loss: 0.9, recall: [0.5, 0.25], weird: Number.NaN } });
      assert.deepEqual(t.intermediate[1], { step: 1, value: 0.4, metrics: { val_loss: Infinity, cm: [[1, 2], [3, 4]] } });
      assert.ok(Number.isNaN(t.intermediate[2]?.value));
      assert.equal(t.intermediate[2]?.metrics, undefined);
      assert.deepEqual(t.userAttrs, {
        note: 'first',
        tags: ['a', 'b'],
        confusion: [[5, 1], [0, 7]],
        final_metrics: { recall_macro: 0.8, per_class: [0.9, 0.7], nan_metric: Number.NaN },
      });
      assert.deepEqual(t.systemAttrs, { enqueued: true, worker: 3 });
      assert.ok(t.startedAt !== null && t.completedAt !== null && t.heartbeatAt !== null);
      assert.ok(t.startedAt.getTime() <= t.completedAt.getTime());
      assert.ok((t.heartbeatAt.getTime() ?? 0) > (before.heartbeatAt?.getTime() ?? Infinity), 'heartbeat moved');
      // JSON (CLI --format json, export) keeps the lazily parsed metrics.
      assert.deepEqual(JSON.parse(JSON.stringify(t.intermediate[1])), { step: 1, value: 0.4, metrics: { val_loss: null, cm: [[1, 2], [3, 4]] } });
      assert.deepEqual(structuredClone(t.intermediate[0])?.metrics?.['recall'], [0.5, 0.25]);
      assert.ok(Object.isFrozen(t) && Object.isFrozen(t.params) && Object.isFrozen(t.intermediate));
    });

    it('gives an int param back as an integer when it was stored as a slightly off float', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      // A sampler's output may be 3.0000001 for an int.
      const intDist: Record<string, Distribution> = { n: { type: 'int', low: 0, high: 10, log: false, step: 1 } };
      const t = await storage.createTrial(study.id, { state: 'RUNNING', params: { n: 3.0000001 }, distributions: intDist });
      assert.equal(t.params['n'], 3);
      assert.equal((await storage.getTrialById(t.id))?.params['n'], 3);
    });

    it('writes nothing when a param is invalid', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      await assert.rejects(
        storage.createTrial(study.id, { state: 'RUNNING', params: { optimizer: 'sgd' }, distributions: DISTRIBUTIONS }),
        RangeError,
      );
      await assert.rejects(storage.createTrial(study.id, { state: 'RUNNING', params: { unknown: 1 }, distributions: DISTRIBUTIONS }), /no distribution/);
      assert.equal(await storage.countTrials(study.id), 0);
      const t = await storage.createTrial(study.id, { state: 'RUNNING' });
      assert.equal(t.number, 0, 'the failed attempts used no number');
      await assert.rejects(storage.setTrialParams(t.id, { optimizer: 'adam', gru_hidden: 7 }, DISTRIBUTIONS), RangeError);
      assert.deepEqual((await storage.getTrialById(t.id))?.params, {}, 'no partial params');
    });

    it('upserts intermediate values by step', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const t = await storage.createTrial(study.id, { state: 'RUNNING' });
      await storage.reportIntermediate(t.id, 0, 1.0, { acc: 0.1 });
      await storage.reportIntermediate(t.id, 1, 0.8, { acc: 0.2 });
      await storage.reportIntermediate(t.id, 0, 0.7, { acc: 0.3 });
      await storage.reportIntermediate(t.id, 1, 0.6);
      const got = await storage.getTrialById(t.id);
      assert.deepEqual(got?.intermediate, [
        { step: 0, value: 0.7, metrics: { acc: 0.3 } },
        { step: 1, value: 0.6 },
      ]);
      await assert.rejects(storage.reportIntermediate(t.id, -1, 0), RangeError);
      await assert.rejects(storage.reportIntermediate(t.id, 1.5, 0), RangeError);
    });

    it('keeps intermediate values bit-exact, in step order whatever the report order', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const t = await storage.createTrial(study.id, { state: 'RUNNING' });
      // (-0 is left out: SQLite itself stores a REAL -0.0 as 0.)
      const values = [0.1 + 0.2, 1 / 3, 5e-324, Number.MAX_VALUE, Infinity, -Infinity, Number.NaN, 1e-300, 123456789.12345679, -2.5e-8];
      // Reported backwards, with one step overwritten, to leave the rows out of step order.
      for (let step = values.length - 1; step >= 0; step--) await storage.reportIntermediate(t.id, step, 42, { m: step });
      for (let step = values.length - 1; step >= 0; step--) await storage.reportIntermediate(t.id, step, values[step] as number, step % 2 ? { m: -step } : undefined);
      const got = (await storage.getTrialById(t.id))?.intermediate ?? [];
      assert.deepEqual(got.map((iv) => iv.step), values.map((_, i) => i));
      for (const [i, v] of values.entries()) assert.ok(Object.is(got[i]?.value, v), `step ${i}: ${got[i]?.value} is ${v}`);
      assert.deepEqual(got.map((iv) => iv.metrics?.['m']), values.map((_, i) => (i % 2 ? -i : undefined)));
      assert.deepEqual(Object.keys(got[0] ?? {}), ['step', 'value'], 'no metrics key when none was reported');
    });

    it('assigns numbers in order and filters by state', async () => {
      const storage = await backend.open();
      const study = await studyWith(storage, 'minimize', [{ value: 3 }, { state: 'FAIL' }, { value: 1 }, { state: 'RUNNING' }]);
      const other = await studyWith(storage, 'minimize', [{ value: 5 }]);
      assert.deepEqual((await storage.getTrials(study.id)).map((t) => t.number), [0, 1, 2, 3]);
      assert.deepEqual((await storage.getTrials(other.id)).map((t) => t.number), [0], 'numbers are per study');
      assert.deepEqual((await storage.getTrials(study.id, ['COMPLETE'])).map((t) => t.number), [0, 2]);
      assert.deepEqual((await storage.getTrials(study.id, ['FAIL', 'RUNNING'])).map((t) => t.state), ['FAIL', 'RUNNING']);
      assert.equal(await storage.countTrials(study.id), 4);
      assert.equal(await storage.countTrials(study.id, ['COMPLETE', 'FAIL']), 3);
      assert.equal(await storage.getTrial(study.id, 9), null);
      assert.equal(await storage.getTrialById(123456), null);
    });

    it('sees trials another connection finished after it cached the study', async () => {
      const db = await backend.database();
      const a = await db.open();
      const b = await db.open();
      const study = await newStudy(a);
      const t0 = await a.createTrial(study.id, { state: 'RUNNING' });
      await a.finishTrial(t0.id, { state: 'COMPLETE', value: 1 });
      const t1 = await a.createTrial(study.id, { state: 'RUNNING' });
      assert.deepEqual((await a.getTrials(study.id)).map((t) => t.state), ['COMPLETE', 'RUNNING']);
      await b.reportIntermediate(t1.id, 0, 0.5);
      await b.finishTrial(t1.id, { state: 'PRUNED' });
      await b.createTrial(study.id, { state: 'WAITING' });
      const seen = await a.getTrials(study.id);
      assert.deepEqual(seen.map((t) => [t.number, t.state, t.value]), [[0, 'COMPLETE', 1], [1, 'PRUNED', 0.5], [2, 'WAITING', null]]);
    });
  });

  describe('finishing', () => {
    it('refuses to finish a trial that is not RUNNING', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const t = await storage.createTrial(study.id, { state: 'RUNNING' });
      await storage.finishTrial(t.id, { state: 'COMPLETE', value: 1 });
      const err = await storage.finishTrial(t.id, { state: 'FAIL' }).catch((e: unknown) => e);
      assert.ok(err instanceof TrialStateError);
      assert.match(err.message, /cannot finish \(as FAIL\) trial 0 .*it is COMPLETE/);
      assert.equal((await storage.getTrialById(t.id))?.state, 'COMPLETE', 'unchanged');

      const waiting = await storage.createTrial(study.id, { state: 'WAITING' });
      await assert.rejects(storage.finishTrial(waiting.id, { state: 'COMPLETE', value: 1 }), TrialStateError);
      await assert.rejects(storage.finishTrial(424242, { state: 'FAIL' }), TrialNotFoundError);
    });

    it('caches a finished trial only once its transaction commits', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const t = await storage.createTrial(study.id, { state: 'RUNNING' });
      // A failure after finishTrial has loaded the finished trial, as a failing COMMIT would
      // be (which SQLite gives no portable way to provoke): the transaction rolls back.
      // Each backend loads through a private loadOne (synchronous in SQLite, async in PostgreSQL).
      const inner = storage as unknown as { loadOne(...args: unknown[]): FrozenTrial | Promise<FrozenTrial> };
      const loadOne = inner.loadOne.bind(storage);
      inner.loadOne = (...args: unknown[]) => {
        const loaded = loadOne(...args);
        if (loaded instanceof Promise) return loaded.then(() => Promise.reject(new Error('simulated failure at commit')));
        throw new Error('simulated failure at commit');
      };
      await assert.rejects(storage.finishTrial(t.id, { state: 'COMPLETE', value: 1 }), /simulated/);
      delete (inner as { loadOne?: unknown }).loadOne; // back to the prototype's method
      assert.equal((await storage.getTrialById(t.id))?.state, 'RUNNING', 'rolled back, and not cached as finished');
      assert.equal((await storage.getTrials(study.id))[0]?.state, 'RUNNING');
      assert.equal((await storage.finishTrial(t.id, { state: 'COMPLETE', value: 2 })).value, 2);
    });

    it('makes a finished trial immutable, but tolerates a late heartbeat', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const t = await storage.createTrial(study.id, { state: 'RUNNING' });
      const done = await storage.finishTrial(t.id, { state: 'FAIL', failReason: 'OOM' });
      await assert.rejects(storage.reportIntermediate(t.id, 0, 1), TrialStateError);
      await assert.rejects(storage.setTrialParams(t.id, paramsFor(0), DISTRIBUTIONS), TrialStateError);
      await assert.rejects(storage.setTrialSeed(t.id, 1), TrialStateError);
      await assert.rejects(storage.setTrialBackend(t.id, 'cpu'), TrialStateError);
      await assert.rejects(storage.setUserAttr(t.id, 'k', 1), TrialStateError);
      await assert.rejects(storage.setSystemAttr(t.id, 'k', 1), TrialStateError);
      await storage.heartbeat(t.id);
      assert.deepEqual(await storage.getTrialById(t.id), done);
      await assert.rejects(storage.heartbeat(98765), TrialNotFoundError);
    });

    it('values: COMPLETE needs one, PRUNED takes the last intermediate, FAIL has none', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const a = await storage.createTrial(study.id, { state: 'RUNNING' });
      await assert.rejects(storage.finishTrial(a.id, { state: 'COMPLETE' }), /needs a value/);
      await assert.rejects(storage.finishTrial(a.id, { state: 'FAIL', value: 1 }), /no value/);
      await storage.reportIntermediate(a.id, 0, 0.9);
      await storage.reportIntermediate(a.id, 2, 0.7);
      await storage.reportIntermediate(a.id, 1, 0.8);
      assert.equal((await storage.finishTrial(a.id, { state: 'PRUNED' })).value, 0.7, 'value of the highest step');
      const b = await storage.createTrial(study.id, { state: 'RUNNING' });
      assert.equal((await storage.finishTrial(b.id, { state: 'PRUNED' })).value, null, 'nothing reported');
      const c = await storage.createTrial(study.id, { state: 'RUNNING' });
      const failed = await storage.finishTrial(c.id, { state: 'FAIL', failReason: 'NaN loss at epoch 3' });
      assert.equal(failed.value, null);
      assert.equal(failed.failReason, 'NaN loss at epoch 3');
      const d = await storage.createTrial(study.id, { state: 'RUNNING' });
      assert.ok(Number.isNaN((await storage.finishTrial(d.id, { state: 'COMPLETE', value: Number.NaN })).value));
    });
  });

  describe('claim and reclaim', () => {
    it('claims WAITING trials oldest first, once each', async () => {
      const db = await backend.database();
      const a = await db.open();
      const b = await db.open();
      const study = await newStudy(a);
      for (let i = 0; i < 3; i++) {
        const w = await a.createTrial(study.id, { state: 'WAITING', params: paramsFor(i), distributions: DISTRIBUTIONS });
        assert.equal(w.startedAt, null);
        assert.equal(w.host, null);
      }
      const first = await a.claimWaitingTrial(study.id, OWNER);
      const second = await b.claimWaitingTrial(study.id, { host: 'node-b', pid: 7 });
      const third = await a.claimWaitingTrial(study.id, OWNER);
      assert.deepEqual([first?.number, second?.number, third?.number], [0, 1, 2]);
      assert.equal(first?.state, 'RUNNING');
      assert.deepEqual(first?.params, paramsFor(0));
      assert.equal(second?.host, 'node-b');
      assert.equal(second?.pid, 7);
      assert.ok(first?.startedAt instanceof Date && first.heartbeatAt instanceof Date);
      assert.equal(await b.claimWaitingTrial(study.id, OWNER), null);
    });

    it('creates trials only up to a total, WAITING ones included', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      await storage.createTrial(study.id, { state: 'WAITING' });
      const a = await storage.createTrialWithin(study.id, { state: 'RUNNING', owner: OWNER }, 3);
      const b = await storage.createTrialWithin(study.id, { state: 'RUNNING', owner: OWNER }, 3);
      assert.deepEqual([a?.number, b?.number, a?.host], [1, 2, OWNER.host]);
      assert.equal(await storage.createTrialWithin(study.id, { state: 'RUNNING' }, 3), null);
      assert.equal(await storage.createTrialWithin(study.id, { state: 'RUNNING' }, 0), null);
      assert.equal(await storage.countTrials(study.id), 3);
      await assert.rejects(storage.createTrialWithin(404, { state: 'RUNNING' }, 9), StudyNotFoundError);
    });

    it('releases an interrupted trial back to WAITING, to be claimed again with its history', async () => {
      const storage = await backend.open();
      const study = await newStudy(storage);
      const t = await storage.createTrial(study.id, { state: 'RUNNING', owner: OWNER, seed: 5, params: paramsFor(2), distributions: DISTRIBUTIONS });
      await storage.reportIntermediate(t.id, 0, 0.5, { acc: 0.1 });
      await storage.releaseTrial(t.id);
      const waiting = await storage.getTrialById(t.id);
      assert.deepEqual(
        [waiting?.state, waiting?.host, waiting?.pid, waiting?.startedAt, waiting?.heartbeatAt],
        ['WAITING', null, null, null, null],
      );
      await storage.releaseTrial(t.id); // already WAITING: nothing to do
      const again = await storage.claimWaitingTrial(study.id, { host: 'node-c', pid: 1 });
      assert.equal(again?.id, t.id);
      assert.equal(again?.state, 'RUNNING');
      assert.equal(again?.host, 'node-c');
      assert.deepEqual([again?.params, again?.seed, again?.intermediate.length], [paramsFor(2), 5, 1]);
      await storage.finishTrial(t.id, { state: 'FAIL' });
      await assert.rejects(storage.releaseTrial(t.id), TrialStateError);
      await assert.rejects(storage.releaseTrial(31337), TrialNotFoundError);
    });

    it('reclaims only with the expected retry count, once', async () => {
      const db = await backend.database();
      const a = await db.open();
      const b = await db.open();
      const study = await newStudy(a);
      const t = await a.createTrial(study.id, { state: 'RUNNING', owner: OWNER });
      const won = await a.reclaimTrial(t.id, { host: 'node-b', pid: 9 }, { retries: 0 });
      assert.equal(won?.retries, 1);
      assert.equal(won?.host, 'node-b');
      assert.equal(won?.state, 'RUNNING');
      assert.equal(won?.startedAt?.getTime(), t.startedAt?.getTime(), 'start time kept');
      assert.equal(await b.reclaimTrial(t.id, OWNER, { retries: 0 }), null, 'lost the race');
      assert.equal((await b.reclaimTrial(t.id, OWNER, { retries: 1 }))?.retries, 2);
      await a.finishTrial(t.id, { state: 'FAIL' });
      assert.equal(await a.reclaimTrial(t.id, OWNER, { retries: 2 }), null, 'finished trials stay finished');
      const waiting = await a.createTrial(study.id, { state: 'WAITING' });
      assert.equal(await a.reclaimTrial(waiting.id, OWNER, { retries: 0 }), null, 'only RUNNING trials');
      await assert.rejects(a.reclaimTrial(55555, OWNER, { retries: 0 }), TrialNotFoundError);
    });
  });

  describe('leaderboard', () => {
    const trials = [
      { value: 0.5, curve: [0.9, 0.5, 0.6] },
      { state: 'FAIL' as const },
      { value: 0.2, curve: [0.4, 0.2] },
      { state: 'PRUNED' as const, curve: [0.95, 0.92] },
      { value: 0.8, curve: [0.8] },
      { state: 'RUNNING' as const },
      { value: 0.2 },
      { state: 'PRUNED' as const, curve: [0.7] },
    ];

    it('ranks completed trials ascending when minimizing', async () => {
      const storage = await backend.open();
      const study = await studyWith(storage, 'minimize', trials);
      const rows = await storage.leaderboard(study.id);
      assert.deepEqual(rows.map((r) => [r.rank, r.number, r.value]), [[1, 2, 0.2], [2, 6, 0.2], [3, 0, 0.5], [4, 4, 0.8]]);
      const best = rows[2];
      assert.equal(best?.epochs, 3);
      assert.deepEqual(best?.metrics, { acc: 0.1, test_acc: 0.5 }, 'metrics of step 1 (lowest value), final under test_');
      assert.deepEqual(best?.params, paramsFor(0));
      assert.equal(best?.seed, 100);
      assert.equal(best?.state, 'COMPLETE');
      assert.ok(best !== undefined && best.durationS !== null && best.durationS >= 0 && best.durationS < 60);
      assert.deepEqual(rows[1]?.metrics, { test_acc: 0.2 }, 'no epochs: only the final metrics');
      assert.equal(rows[1]?.epochs, 0);
      assert.deepEqual((await storage.leaderboard(study.id, { top: 2 })).map((r) => r.number), [2, 6]);
    });

    it('ranks descending when maximizing and puts PRUNED then FAIL after with `all`', async () => {
      const storage = await backend.open();
      const study = await studyWith(storage, 'maximize', trials);
      const rows = await storage.leaderboard(study.id, { all: true });
      assert.deepEqual(
        rows.map((r) => [r.rank, r.number, r.state, r.value]),
        [
          [1, 4, 'COMPLETE', 0.8],
          [2, 0, 'COMPLETE', 0.5],
          [3, 2, 'COMPLETE', 0.2],
          [4, 6, 'COMPLETE', 0.2],
          [5, 3, 'PRUNED', 0.92],
          [6, 7, 'PRUNED', 0.7],
          [7, 1, 'FAIL', null],
        ],
      );
      assert.deepEqual(rows[1]?.metrics, { acc: 0, test_acc: 0.5 }, 'best epoch is step 0 (0.9) when maximizing');
      assert.deepEqual(rows[4]?.metrics, { acc: 0 }, 'pruned: best epoch, no test metrics');
      assert.equal(rows[6]?.durationS !== null, true);
      assert.deepEqual((await storage.leaderboard(study.id, { all: true, top: 5 })).map((r) => r.number), [4, 0, 2, 6, 3]);
      assert.deepEqual((await storage.leaderboard(study.id)).map((r) => r.number), [4, 0, 2, 6]);
    });
  });

  describe('trial artifacts', () => {
    it('keeps a trial checkpoint or model across reopening, replaces it whole, and deletes it after the trial finished', async () => {
      const db = await backend.database();
      const storage = await db.open();
      const study = await newStudy(storage, 'art');
      const t = await storage.createTrial(study.id, { state: 'RUNNING', params: paramsFor(0), distributions: DISTRIBUTIONS });
      const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
      await storage.putTrialArtifact(t.id, 'checkpoint', new Uint8Array([1, 2, 3]));
      await storage.putTrialArtifact(t.id, 'checkpoint', big);
      await storage.putTrialArtifact(t.id, 'model', new Uint8Array([9]));
      await storage.finishTrial(t.id, { state: 'COMPLETE', value: 0.5 });
      await storage.close();

      const again = await db.open();
      assert.deepEqual(await again.getTrialArtifact(t.id, 'checkpoint'), big);
      assert.deepEqual(
        (await again.listTrialArtifacts(study.id)).map((a) => [a.number, a.key, a.size]),
        [[0, 'checkpoint', 300_000], [0, 'model', 1]],
      );
      await again.deleteTrialArtifact(t.id, 'checkpoint');
      await again.deleteTrialArtifact(t.id, 'checkpoint');
      assert.equal(await again.getTrialArtifact(t.id, 'checkpoint'), null);
      assert.deepEqual(await again.getTrialArtifact(t.id, 'model'), new Uint8Array([9]));
      await assert.rejects(again.putTrialArtifact(999_999, 'model', new Uint8Array([1])), TrialNotFoundError);
    });
  });
}
