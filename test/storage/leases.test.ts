/**
 * Leases (src/storage/types.ts, "Ownership of RUNNING trials"): a write that goes with a lease
 * is applied only while the trial is RUNNING under exactly that lease; a former owner's writes
 * after a takeover, a release or a finish are refused with LeaseLostError and change nothing.
 * Written against `Storage`, two connections to one database standing for two machines, so
 * every backend runs the same cases (BACKENDS).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PostgresStorage, LeaseLostError, TrialStateError, leaseOf, type Lease, type Storage } from '../../src/storage/index.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { DISTRIBUTIONS, paramsFor } from './fixtures/space.js';
import { openStorage, tempDb } from './helpers.js';
import { freshDatabase } from '../helpers/postgres.js';

/** Two storages on one fresh database; a backend is one entry. */
const BACKENDS: readonly { readonly name: string; readonly open: () => Promise<[Storage, Storage]> }[] = [
  {
    name: 'sqlite',
    open: async () => {
      const path = tempDb();
      return [openStorage(path), openStorage(path)];
    },
  },
  {
    name: 'postgresql',
    open: async () => {
      const url = await freshDatabase();
      const pair: [Storage, Storage] = [await PostgresStorage.open(url), await PostgresStorage.open(url)];
      after(() => Promise.all(pair.map((s) => s.close())));
      return pair;
    },
  },
];

const A = { host: 'machine-a', pid: 101 };
const B = { host: 'machine-b', pid: 202 };

function lease(t: FrozenTrial | null): Lease {
  const l = t === null ? null : leaseOf(t);
  assert.ok(l !== null, 'a claimed trial has a lease');
  return l;
}

/** Every leased write of the contract, as [what, write]. */
function leasedWrites(s: Storage, id: number, l: Lease): [string, () => Promise<unknown>][] {
  return [
    ['reportIntermediate', () => s.reportIntermediate(id, 3, 0.9, { acc: 0.9 }, l)],
    ['heartbeat', () => s.heartbeat(id, l)],
    ['setUserAttr', () => s.setUserAttr(id, 'late', 1, l)],
    ['setSystemAttr', () => s.setSystemAttr(id, 'late', 1, l)],
    ['setTrialBackend', () => s.setTrialBackend(id, 'late-backend', l)],
    ['setTrialSeed', () => s.setTrialSeed(id, 99, l)],
    ['setTrialParams', () => s.setTrialParams(id, paramsFor(5), DISTRIBUTIONS, l)],
    ['putTrialArtifact', () => s.putTrialArtifact(id, 'checkpoint', new Uint8Array([6, 6, 6]), l)],
    ['releaseTrial', () => s.releaseTrial(id, l)],
    ['finishTrial', () => s.finishTrial(id, { state: 'COMPLETE', value: 0.9 }, l)],
  ];
}

/** What a refused write must leave as it was. */
async function snapshot(s: Storage, studyId: number, id: number): Promise<unknown> {
  const t = await s.getTrialById(id);
  const artifact = await s.getTrialArtifact(id, 'checkpoint');
  // The heartbeat is the one column the new owner's own beats move; it is compared apart.
  return { ...t, heartbeatAt: null, artifact: artifact === null ? null : [...artifact], count: await s.countTrials(studyId) };
}

for (const backend of BACKENDS) {
  describe(`leases (${backend.name})`, () => {
    it("a former owner's every write after a takeover is refused with LeaseLostError and changes nothing; the new owner's go through", async () => {
      const [a, b] = await backend.open();
      const study = await a.createStudy({ name: 'lease', direction: 'maximize', metric: 'acc', yaml: null, settings: {} });
      const mine = await a.createTrial(study.id, { state: 'RUNNING', owner: A, params: paramsFor(0), distributions: DISTRIBUTIONS, seed: 7 });
      const old = lease(mine);
      await a.reportIntermediate(mine.id, 1, 0.5, { acc: 0.5 }, old);
      await a.putTrialArtifact(mine.id, 'checkpoint', new Uint8Array([1]), old);
      await a.heartbeat(mine.id, old);

      const taken = await b.reclaimTrial(mine.id, B, { retries: old.retries });
      const now = lease(taken);
      assert.deepEqual(now, { owner: B, retries: 1 });
      await b.putTrialArtifact(mine.id, 'checkpoint', new Uint8Array([2]), now);
      await b.reportIntermediate(mine.id, 2, 0.6, { acc: 0.6 }, now);

      const before = await snapshot(b, study.id, mine.id);
      for (const [what, write] of leasedWrites(a, mine.id, old)) {
        await assert.rejects(write(), (err: unknown) => {
          assert.ok(err instanceof LeaseLostError, `${what}: ${String(err)}`);
          assert.ok(err instanceof TrialStateError, `${what}: a LeaseLostError is a TrialStateError`);
          assert.deepEqual(err.holder, { host: B.host, pid: B.pid, retries: 1 }, what);
          assert.match(err.message, /no longer holds it \(now RUNNING under machine-b:202, retry 1\)/);
          return true;
        });
      }
      assert.deepEqual(await snapshot(b, study.id, mine.id), before, 'nothing of the refused writes is stored');

      const done = await b.finishTrial(mine.id, { state: 'COMPLETE', value: 0.6 }, now);
      assert.equal(done.state, 'COMPLETE');
      assert.deepEqual(done.intermediate.map((v) => v.step), [1, 2]);
      // Finished: even the new owner's lease is spent.
      await assert.rejects(b.heartbeat(mine.id, now), LeaseLostError);
      await assert.rejects(a.reportIntermediate(mine.id, 3, 1, undefined, old), LeaseLostError);
      // Without a lease a late heartbeat stays ignored, as before leases.
      await a.heartbeat(mine.id);
    });

    it('a release ends the lease: the trial claimed again by another machine (same retries) refuses the first owner', async () => {
      const [a, b] = await backend.open();
      const study = await a.createStudy({ name: 'release', direction: 'minimize', metric: 'loss', yaml: null, settings: {} });
      await a.createTrial(study.id, { state: 'WAITING', params: paramsFor(1), distributions: DISTRIBUTIONS });
      const first = lease(await a.claimWaitingTrial(study.id, A));
      const t = (await a.getTrials(study.id))[0]!;
      await a.releaseTrial(t.id, first);
      await assert.rejects(a.heartbeat(t.id, first), LeaseLostError, 'WAITING: nobody holds it');
      const second = lease(await b.claimWaitingTrial(study.id, B));
      assert.equal(second.retries, first.retries, 'a claim does not count as a retry');
      await assert.rejects(a.reportIntermediate(t.id, 0, 1, undefined, first), LeaseLostError);
      await b.reportIntermediate(t.id, 0, 1, undefined, second);
      assert.deepEqual((await b.getTrialById(t.id))?.intermediate.map((v) => v.step), [0]);
    });

    it("a dead owner's trial is failed at most once: finishing under the dead lease loses to a takeover", async () => {
      const [a, b] = await backend.open();
      const study = await a.createStudy({ name: 'fail-once', direction: 'minimize', metric: 'loss', yaml: null, settings: {} });
      const t = await a.createTrial(study.id, { state: 'RUNNING', owner: A });
      const dead = lease(t);
      assert.ok(await b.reclaimTrial(t.id, B, { retries: 0 }));
      await assert.rejects(a.finishTrial(t.id, { state: 'FAIL', failReason: 'died' }, dead), LeaseLostError);
      assert.equal((await a.getTrialById(t.id))?.state, 'RUNNING');
    });

    it('a study is created with its system attributes in the same transaction', async () => {
      const [a, b] = await backend.open();
      const study = await a.createStudy({ name: 'attrs', direction: 'minimize', metric: 'loss', yaml: null, settings: {}, systemAttrs: { data_identity: { fingerprint: 'sha256:00', source: 'x.h5', host: 'm1' } } });
      assert.deepEqual((await b.getStudyAttrs(study.id)).system, { data_identity: { fingerprint: 'sha256:00', source: 'x.h5', host: 'm1' } });
    });
  });
}
