/**
 * Several machines on one study (README, "Several machines"): real `hpsearch run` processes,
 * each a machine of its own (machine.ts: own hostname, own empty working folder), sharing
 * only the storage, training the tiny CNN-GRU fixture for real. Every wait is on the state
 * of the storage or of a process, never on a clock; the assertions are invariants that hold
 * whichever machine wins which race.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '../../src/storage/index.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { runCheckpointEpoch } from '../../src/train/run-checkpoint.js';
import { TINY_YAML, hpsearchAsync } from '../reliability/fixtures.js';
import { freshDatabase } from '../helpers/postgres.js';
import { MACHINE_NAMING, Machine, postgresStorage, sqliteStorage, until, type MachineRun, type SharedStorage } from './machine.js';

const TARGET = 6;
const EPOCHS = 3;
/** Small, so takeovers happen within seconds; the heartbeat then beats every 750 ms. */
const GRACE_S = 3;

let root: string;
/** Trial number → value, params and seed of the same study run in one process. */
let reference: Map<number, { value: number | null; params: unknown; seed: number | null }>;
let yaml: string;
/** The same study cross-validated over 2 folds. */
let cvYaml: string;

/** The tiny fixture, random sampler, no pruner (its decisions would depend on which trials finished first). */
function studyYaml(dir: string, name: string): string {
  const text = readFileSync(TINY_YAML, 'utf8').replace('pruner: {type: asha, min_resource: 1, reduction_factor: 3}', 'pruner: {type: none}');
  assert.ok(text.includes('pruner: {type: none}'), 'the tiny fixture still has its pruner line');
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `${text.trimEnd()}\nheartbeat_grace_s: ${GRACE_S}\n`);
  return path;
}

function runArgs(storage: SharedStorage, study: string, yamlPath: string): string[] {
  return ['run', yamlPath, ...storage.flags, '--study', study, '--trials', String(TARGET), '--epochs', String(EPOCHS), '--workers', '1', '--json'];
}

async function withStorage<T>(storage: SharedStorage, f: (s: Storage) => Promise<T>): Promise<T> {
  const s = await storage.open();
  try {
    return await f(s);
  } finally {
    await s.close();
  }
}

async function trialsOf(storage: SharedStorage, study: string): Promise<FrozenTrial[]> {
  return withStorage(storage, async (s) => {
    const record = await s.getStudy(study);
    return record === null ? [] : s.getTrials(record.id);
  });
}

/** Exactly the target, numbered 0..target-1, all COMPLETE, each with the one-process run's params, seed and value; no checkpoint left. */
async function assertMatchesReference(storage: SharedStorage, study: string): Promise<FrozenTrial[]> {
  const trials = await trialsOf(storage, study);
  assert.deepEqual(trials.map((t) => t.number), [...Array(TARGET).keys()], 'exactly the target, numbers unique and dense');
  for (const t of trials) {
    assert.equal(t.state, 'COMPLETE', `trial ${t.number}: ${t.state} ${t.failReason ?? ''}`);
    const ref = reference.get(t.number)!;
    assert.deepEqual({ value: t.value, params: t.params, seed: t.seed }, ref, `trial ${t.number} differs from the one-process run`);
    assert.deepEqual(t.intermediate.map((v) => v.step), [1, 2, 3], `trial ${t.number}: every epoch recorded once`);
  }
  const left = await withStorage(storage, async (s) => (await s.listTrialArtifacts((await s.getStudy(study))!.id)).filter((a) => a.key === 'checkpoint'));
  assert.deepEqual(left, [], 'the checkpoints of finished trials are deleted');
  return trials;
}

/** No (trial, epoch) trained and recorded twice, over every machine's epoch log. */
function assertNoEpochTwice(machines: readonly Machine[]): [number, number][] {
  const all = machines.flatMap((m) => m.loggedEpochs());
  const seen = new Set<string>();
  for (const [trial, epoch] of all) {
    const key = `${trial} ${epoch}`;
    assert.ok(!seen.has(key), `trial ${trial} epoch ${epoch} was trained twice`);
    seen.add(key);
  }
  return all;
}

async function ok(run: MachineRun): Promise<void> {
  const exit = await run.exited;
  assert.equal(exit.code, 0, `${run.machine.name}: exit ${exit.code} ${exit.signal ?? ''}\n${exit.stderr}`);
}

/**
 * Freezes `victim` (SIGSTOP) at a moment it holds a RUNNING trial with at least one stored
 * epoch and no write lock: found by polling the storage, then checked again while it is
 * frozen (thawed and retried otherwise). Returns that trial as stored at the freeze.
 */
async function freezeMidTrial(storage: SharedStorage, study: string, victim: MachineRun, steps: { from: number; below: number } = { from: 1, below: EPOCHS }): Promise<FrozenTrial> {
  for (;;) {
    await until(async () => (await heldBy(storage, study, victim.machine.name, steps)) ?? false, `${victim.machine.name} to train a trial`);
    victim.signal('SIGSTOP');
    const held = await heldBy(storage, study, victim.machine.name, steps);
    if (held !== null && (await storage.unlocked(victim.machine.name))) return held;
    victim.signal('SIGCONT');
  }
}

/** A RUNNING trial of `host` with at least `from` and fewer than `below` stored steps. */
async function heldBy(storage: SharedStorage, study: string, host: string, steps: { from: number; below: number }): Promise<FrozenTrial | null> {
  return (await trialsOf(storage, study)).find((t) => t.state === 'RUNNING' && t.host === host && t.intermediate.length >= steps.from && t.intermediate.length < steps.below) ?? null;
}

async function storedCheckpointEpoch(storage: SharedStorage, trialId: number, key = 'checkpoint'): Promise<number> {
  const bytes = await withStorage(storage, (s) => s.getTrialArtifact(trialId, key));
  assert.ok(bytes !== null, 'a trial with a stored epoch has a stored checkpoint');
  return runCheckpointEpoch(bytes, 'stored');
}

before(async () => {
  // Where `unshare -u` is refused (an unprivileged container), machines are named by HPSEARCH_HOST instead.
  process.stderr.write(`machines named by ${MACHINE_NAMING}\n`);
  root = mkdtempSync(join(tmpdir(), 'hpsearch-machines-'));
  yaml = studyYaml(root, 'machines');
  const split = 'split: {val: 0.2, test: 0.2, by: stratified, seed: 0}';
  const text = readFileSync(yaml, 'utf8');
  assert.ok(text.includes(split), 'the tiny fixture still has its split line');
  cvYaml = join(root, 'cv.yaml');
  writeFileSync(cvYaml, text.replace(split, 'split: {test: 0.2, by: stratified, seed: 0}\n  cv: {folds: 2}'));
  const one = new Machine('solo', root);
  const storage = sqliteStorage(join(one.dir, 'reference.db'));
  await ok(one.run(['run', yaml, ...storage.flags, '--study', 'reference', '--trials', String(TARGET), '--epochs', String(EPOCHS), '--workers', '2', '--json']));
  reference = new Map((await trialsOf(storage, 'reference')).map((t) => [t.number, { value: t.value, params: t.params, seed: t.seed }]));
  assert.equal(reference.size, TARGET);
});
after(() => rmSync(root, { recursive: true, force: true }));

/** The storages every case runs on, each case with a fresh one: SQLite, and a database of its own on the suite's PostgreSQL server. */
const BACKENDS: readonly { readonly name: string; shared(name: string): Promise<SharedStorage>; root(): string }[] = [
  { name: 'sqlite', shared: async (name) => (mkdirSync(join(root, 'sqlite'), { recursive: true }), sqliteStorage(join(root, 'sqlite', `${name}.db`))), root: () => join(root, 'sqlite') },
  { name: 'postgresql', shared: async () => postgresStorage(await freshDatabase()), root: () => join(root, 'postgresql') },
];

for (const backend of BACKENDS) describe(`several machines on ${backend.name}`, () => {
  test('3 machines on one study finish exactly the target, each trial with the value a one-process run gives', async () => {
    const storage = await backend.shared('three');
    const machines = ['m1', 'm2', 'm3'].map((n) => new Machine(`three-${n}`, backend.root()));
    const runs = machines.map((m) => m.run(runArgs(storage, 'three', copyYaml(m))));
    for (const r of runs) await ok(r);
    await assertMatchesReference(storage, 'three');
    const logged = assertNoEpochTwice(machines);
    assert.equal(logged.length, TARGET * EPOCHS, 'every epoch was trained exactly once, somewhere');
  });

  test('one machine SIGKILLed mid-trial: the other two finish the whole target without a restart, one continuing the killed trial from its stored checkpoint, no epoch trained twice', async () => {
    const storage = await backend.shared('killed');
    const [victim, ...others] = ['m1', 'm2', 'm3'].map((n) => new Machine(`killed-${n}`, backend.root()));
    const victimRun = victim!.run(runArgs(storage, 'killed', copyYaml(victim!)));
    const otherRuns = others.map((m) => m.run(runArgs(storage, 'killed', copyYaml(m))));
    const killed = await freezeMidTrial(storage, 'killed', victimRun);
    const checkpointEpoch = await storedCheckpointEpoch(storage, killed.id);
    victimRun.signal('SIGKILL');
    assert.equal((await victimRun.exited).signal, 'SIGKILL');
    for (const r of otherRuns) await ok(r);

    const trials = await assertMatchesReference(storage, 'killed');
    const continued = trials.find((t) => t.id === killed.id)!;
    assert.ok(continued.retries >= 1, 'the killed trial was taken over');
    assert.ok(others.some((m) => m.name === continued.host), `continued by a live machine, not ${continued.host}`);
    const train = continued.systemAttrs.train as { resumed_from_epoch: number | null };
    assert.equal(train.resumed_from_epoch, checkpointEpoch, 'continued from the checkpoint stored before the kill');
    const taker = otherRuns.find((r) => r.machine.name === continued.host)!;
    // The event counts the epochs reported before the takeover. A kill between storing epoch e's
    // checkpoint and reporting e (src/study/stored-checkpoint.ts, "Order") leaves e − 1 reported:
    // the taker then reports e from the checkpoint's history without training it.
    const start = taker.events().find((e) => e.event === 'trial_start' && e.trial === killed.number);
    assert.ok(start !== undefined, 'the taker announced the killed trial');
    const announced = start.resumed_from_epoch as number;
    assert.ok(announced === checkpointEpoch || announced === checkpointEpoch - 1, `announced as resumed after epoch ${announced}, checkpoint of epoch ${checkpointEpoch}`);
    assertNoEpochTwice([victim!, ...others]);
    const epochsOfKilled = [victim!, ...others].flatMap((m) => m.loggedEpochs()).filter(([t]) => t === killed.number).map(([, e]) => e);
    assert.ok(epochsOfKilled.every((e) => e >= 1 && e <= EPOCHS));
    assert.ok(
      others.flatMap((m) => m.loggedEpochs()).filter(([t]) => t === killed.number).every(([, e]) => e > checkpointEpoch),
      'the taker trained only the epochs after the stored checkpoint',
    );
  });

  test('a machine that comes back after its trial was taken over stops that trial without writing to it, and goes on', async () => {
    const storage = await backend.shared('back');
    const [victim, other] = ['m1', 'm2'].map((n) => new Machine(`back-${n}`, backend.root()));
    const victimRun = victim!.run(runArgs(storage, 'back', copyYaml(victim!)));
    const otherRun = other!.run(runArgs(storage, 'back', copyYaml(other!)));
    const frozen = await freezeMidTrial(storage, 'back', victimRun);
    const checkpointEpoch = await storedCheckpointEpoch(storage, frozen.id);
    // Taken over: another machine reclaimed it (its retries went up) while the victim was frozen.
    await until(async () => (await trialsOf(storage, 'back')).find((t) => t.id === frozen.id && t.retries > frozen.retries) ?? false, 'the takeover');
    victimRun.signal('SIGCONT');
    await ok(victimRun);
    await ok(otherRun);

    await assertMatchesReference(storage, 'back');
    const events = victimRun.events();
    const lost = events.findIndex((e) => e.event === 'trial_lost' && e.trial === frozen.number);
    assert.ok(lost >= 0, `the victim reports the trial lost: ${victimRun.stderr}`);
    // An epoch event follows a stored report only: none beyond the takeover point, none after the loss.
    const victimEpochs = events.filter((e) => e.event === 'epoch' && e.trial === frozen.number).map((e) => e.epoch! + 1);
    assert.ok(victimEpochs.every((e) => e <= checkpointEpoch), `the victim recorded epochs ${victimEpochs} of trial ${frozen.number} after it was taken over at ${checkpointEpoch}`);
    assert.ok(!events.slice(lost + 1).some((e) => e.trial === frozen.number), `nothing of the lost trial after the loss: ${JSON.stringify(events.slice(lost))}`);
    assert.ok(victim!.loggedEpochs().filter(([t]) => t === frozen.number).every(([, e]) => e <= checkpointEpoch));
    assertNoEpochTwice([victim!, other!]);
    assert.ok(events.some((e) => e.event === 'study_end'), 'the victim went on to the end of the study');
  });

  test('a cross-validated trial killed in its second fold continues on another machine from the stored fold checkpoint, the first fold not trained again', async () => {
    const storage = await backend.shared('cv');
    const cvArgs = (m: Machine, st: SharedStorage, study: string): string[] => ['run', copyYaml(m, cvYaml), ...st.flags, '--study', study, '--trials', '1', '--epochs', String(EPOCHS), '--workers', '1', '--json'];
    const solo = new Machine(`cv-solo-${backend.name}`, backend.root());
    const alone = sqliteStorage(join(solo.dir, 'reference.db'));
    await ok(solo.run(cvArgs(solo, alone, 'cv')));
    const [expected] = await trialsOf(alone, 'cv');

    const [victim, taker] = ['m1', 'm2'].map((n) => new Machine(`cv-${n}`, backend.root()));
    const victimRun = victim!.run(cvArgs(victim!, storage, 'cv'));
    // Inside the second fold: steps EPOCHS+1 .. 2·EPOCHS-1 stored (src/worker/cross-validated.ts numbers fold f's epoch e as f·EPOCHS + e).
    const killed = await freezeMidTrial(storage, 'cv', victimRun, { from: EPOCHS + 1, below: 2 * EPOCHS });
    const keys = await withStorage(storage, async (s) => (await s.listTrialArtifacts((await s.getStudy('cv'))!.id)).map((a) => a.key).sort());
    assert.deepEqual(keys, ['checkpoint/fold-0/result', 'checkpoint/fold-1'], 'the first fold stored as its result, the second as its epoch checkpoint');
    const foldEpoch = await storedCheckpointEpoch(storage, killed.id, 'checkpoint/fold-1');
    victimRun.signal('SIGKILL');
    assert.equal((await victimRun.exited).signal, 'SIGKILL');
    const takerRun = taker!.run(cvArgs(taker!, storage, 'cv'));
    await ok(takerRun);

    const [continued] = await trialsOf(storage, 'cv');
    assert.equal(continued!.state, 'COMPLETE', `${continued!.state} ${continued!.failReason ?? ''}`);
    assert.equal(continued!.host, taker!.name);
    assert.deepEqual({ value: continued!.value, params: continued!.params, seed: continued!.seed }, { value: expected!.value, params: expected!.params, seed: expected!.seed }, 'the same value as the trial run on one machine');
    const resumedAt = EPOCHS + foldEpoch;
    assert.equal((continued!.systemAttrs.train as { resumed_from_epoch: number | null }).resumed_from_epoch, resumedAt);
    assert.ok(taker!.loggedEpochs().every(([, step]) => step > resumedAt), `the taker trained only the steps after ${resumedAt}: ${JSON.stringify(taker!.loggedEpochs())}`);
    assertNoEpochTwice([victim!, taker!]);
    const left = await withStorage(storage, async (s) => (await s.listTrialArtifacts((await s.getStudy('cv'))!.id)).filter((a) => a.key.startsWith('checkpoint')));
    assert.deepEqual(left, [], 'every part of the stored checkpoint is deleted when the trial finishes');
  });

  test('a machine with other data is refused with exit 2 naming both sources, writing nothing; the same data at another path are accepted', async () => {
    const storage = await backend.shared('data');
    const [m1, m2, m3] = ['m1', 'm2', 'm3'].map((n) => new Machine(`data-${n}`, backend.root()));
    const synth = async (m: Machine, file: string, seed: number): Promise<string> => {
      const out = join(m.dir, file);
      // Enough beats that every class has the samples SMOTE needs in a file the user brings.
      const r = await hpsearchAsync(['data', 'synth', '--out', out, '--n', '2000', '--seed', String(seed)], { cwd: m.dir });
      assert.equal(r.code, 0, r.stderr);
      return out;
    };
    const first = await synth(m1!, 'beats.h5', 3);
    const sameElsewhere = join(m2!.dir, 'copy-of-beats.h5');
    copyFileSync(first, sameElsewhere);
    const other = await synth(m3!, 'beats.h5', 4);
    const args = (m: Machine, data: string): string[] => ['run', copyYaml(m), ...storage.flags, '--study', 'data', '--trials', '1', '--epochs', '1', '--data', data, '--json'];

    await ok(m1!.run(args(m1!, first)));
    await ok(m2!.run(args(m2!, sameElsewhere)));
    const before = await storage.snapshot();
    const refused = await m3!.run(args(m3!, other)).exited;
    assert.equal(refused.code, 2, refused.stderr);
    const lines = refused.stderr.trim().split('\n');
    assert.ok(lines.length <= 2, refused.stderr);
    assert.ok(refused.stderr.includes(other) && refused.stderr.includes(first), `names both sources: ${refused.stderr}`);
    assert.match(refused.stderr, /data-m1/, 'and the machine the study was created on');
    assert.equal(await storage.snapshot(), before, 'nothing written');
    // The same on the machine that created the study: `--data` on an existing study is compared, not ignored.
    const resumed = await m1!.run(['resume', 'data', ...storage.flags, '--data', other, '--json']).exited;
    assert.equal(resumed.code, 2, resumed.stderr);
    assert.ok(resumed.stderr.includes(other) && resumed.stderr.includes(first), resumed.stderr);
    assert.equal(await storage.snapshot(), before, 'nothing written');
  });
});

/** Each machine keeps its own copy of the YAML, in its own folder. */
function copyYaml(m: Machine, from = yaml): string {
  const path = join(m.dir, 'space.yaml');
  copyFileSync(from, path);
  return path;
}
