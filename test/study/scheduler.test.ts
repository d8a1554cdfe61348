/**
 * The scheduler (runStudy, driveTrial) in this process, on a real SQLite study, with a
 * trainer whose epochs are scripted: what is under test is the order in which trials run,
 * the target, pruning, interrupts and failures, not training. Every step is sequenced by
 * promises the trainer resolves and by the run's AbortSignal, never by waiting for time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunEvent, RunObserver } from '../../src/core/events.js';
import type { Metrics } from '../../src/core/trial.js';
import { createFrozenTrial } from '../../src/core/trial.js';
import { distributionsOf } from '../../src/core/distributions.js';
import type { PrunerSettings, StudySettings } from '../../src/config/settings.js';
import { parseSpaceFile } from '../../src/config/parse.js';
import { SqliteStorage } from '../../src/storage/index.js';
import type { StudyRecord } from '../../src/storage/types.js';
import type { EpochDecision } from '../../src/train/options.js';
import type { TrialResult } from '../../src/train/result.js';
import type { TrialTask } from '../../src/worker/task.js';
import type { EpochHandler, Trainer } from '../../src/worker/trainer.js';
import { isOrphaned, runStudy, type RunStudyOptions, type RunSummary } from '../../src/study/runner.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));
/** Above Linux's largest pid_max (2^22): no process ever has it. */
const DEAD_PID = 2 ** 22 + 1;

/** A promise with its resolve function, for sequencing a test step by step. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

type Behaviour =
  /** Reports `epochs` epochs (or until pruned / stopped), then completes. */
  | 'train'
  | 'throw'
  /** Trains until the stop signal, then ends INTERRUPTED as a real trainer does. */
  | 'until-stopped'
  /** Ignores the stop: ends only when the test calls `release`. */
  | 'hang';

interface ScriptedTrainerOptions {
  readonly epochs: number;
  /** The metrics trial `number` reports at `epoch`. */
  readonly metrics?: (number: number, epoch: number) => Metrics;
  readonly behaviour?: (number: number) => Behaviour;
  /** Each trial waits before its first epoch until this many are training at once. */
  readonly together?: number;
  /** Awaited when trial `number` starts, before anything else. */
  readonly before?: (number: number) => Promise<void>;
}

/**
 * A Trainer whose trials report scripted metrics instead of training a model (the test
 * double of the training; study, storage and scheduler are the real ones).
 */
class ScriptedTrainer implements Trainer {
  readonly started: number[] = [];
  readonly decisions: { trial: number; epoch: number; decision: EpochDecision }[] = [];
  active = 0;
  maxActive = 0;
  closed = false;
  /** Resolves when `n` trials are training at once (see `whenActive`). */
  readonly #watchers: { n: number; resolve: () => void }[] = [];
  readonly #gate = deferred();
  readonly #hung = new Map<number, (report: boolean) => Promise<void>>();

  constructor(readonly opts: ScriptedTrainerOptions) {}

  whenActive(n: number): Promise<void> {
    const d = deferred();
    this.#watchers.push({ n, resolve: d.resolve });
    this.#notify();
    return d.promise;
  }

  /** Lets a hung trial end: with `report`, it first reports an epoch (after it was abandoned). */
  release(number: number, report: boolean): Promise<void> {
    const release = this.#hung.get(number);
    assert.ok(release, `trial ${number} is not hung`);
    return release(report);
  }

  #notify(): void {
    for (const w of this.#watchers) if (this.active >= w.n) w.resolve();
    if (this.opts.together !== undefined && this.active >= this.opts.together) this.#gate.resolve();
  }

  async train(task: TrialTask, onEpoch: EpochHandler, signal: AbortSignal): Promise<TrialResult> {
    this.started.push(task.number);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.#notify();
    try {
      return await this.#run(task, onEpoch, signal);
    } finally {
      this.active -= 1;
    }
  }

  async #run(task: TrialTask, onEpoch: EpochHandler, signal: AbortSignal): Promise<TrialResult> {
    await this.opts.before?.(task.number);
    const behaviour = this.opts.behaviour?.(task.number) ?? 'train';
    const metricsAt = (epoch: number): Metrics => this.opts.metrics?.(task.number, epoch) ?? { recall_macro: 0.5, val_loss: 1 };
    if (this.opts.together !== undefined) await this.#gate.promise;
    if (behaviour === 'throw') throw new Error(`scripted failure of trial ${task.number}`);
    if (behaviour === 'until-stopped') {
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      return result('INTERRUPTED', []);
    }
    if (behaviour === 'hang') {
      const ended = deferred<TrialResult>();
      this.#hung.set(task.number, async (report) => {
        if (report) this.decisions.push({ trial: task.number, epoch: 1, decision: await onEpoch(1, metricsAt(1)) });
        ended.resolve(result('COMPLETE', [{ epoch: 1, metrics: metricsAt(1), durationS: 0 }]));
      });
      return ended.promise;
    }
    const history: { epoch: number; metrics: Metrics; durationS: number }[] = [];
    for (let epoch = 1; epoch <= this.opts.epochs; epoch++) {
      if (signal.aborted) return result('INTERRUPTED', history);
      const metrics = metricsAt(epoch);
      history.push({ epoch, metrics, durationS: 0 });
      const decision = await onEpoch(epoch, metrics);
      this.decisions.push({ trial: task.number, epoch, decision });
      if (decision === 'prune') return result('PRUNED', history);
    }
    return result('COMPLETE', history, Uint8Array.of(task.number));
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A COMPLETE result carries weights; scripted ones are bytes naming the trial, to tell whose are kept. */
function result(state: TrialResult['state'], history: TrialResult['history'], model: Uint8Array | null = state === 'COMPLETE' ? Uint8Array.of(255) : null): TrialResult {
  const last = history.at(-1) ?? null;
  return {
    state,
    failReason: null,
    epochsRun: last?.epoch ?? 0,
    history,
    bestEpoch: last?.epoch ?? null,
    bestMetrics: last?.metrics ?? null,
    testMetrics: state === 'COMPLETE' ? { accuracy: 0.5 } : null,
    model,
    stoppedEarly: false,
    resumedFromEpoch: null,
    backend: 'scripted',
    numParams: 1,
    durationS: 0,
  };
}

class Events implements RunObserver {
  readonly all: RunEvent[] = [];
  emit(e: RunEvent): void {
    this.all.push(e);
  }
  close(): void {}
}

interface Setup {
  readonly dbPath: string;
  readonly storage: SqliteStorage;
  readonly record: StudyRecord;
  readonly settings: StudySettings;
  readonly events: Events;
  /** runStudy with this study's options; `signal` defaults to one never aborted. */
  run(trainer: Trainer, extra?: Partial<RunStudyOptions>): Promise<RunSummary>;
  done(): Promise<void>;
}

/** Runs `body` on a fresh study in its own temporary folder, removed afterwards. */
async function withStudy(opts: Parameters<typeof setUp>[0], body: (s: Setup) => Promise<void>): Promise<void> {
  const s = await setUp(opts);
  try {
    await body(s);
  } finally {
    await s.done();
  }
}

async function setUp(opts: { trials: number; workers: number; epochs?: number; pruner?: PrunerSettings; enqueue?: number; keepModels?: number | 'all' }): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-scheduler-'));
  const dbPath = join(dir, 'trials.db');
  const parsed = parseSpaceFile(TINY);
  const settings: StudySettings = {
    ...parsed.settings,
    budget: { trials: opts.trials, epochs: opts.epochs ?? 2 },
    workers: opts.workers,
    pruner: opts.pruner ?? { type: 'none' },
    keep_models: opts.keepModels ?? parsed.settings.keep_models,
  };
  const enqueued = Array.from({ length: opts.enqueue ?? 0 }, (_, i) => ({ learning_rate: 0.002 + i * 0.001, dataset: 'smote', dropout: 0.2 }));
  const storage = SqliteStorage.open(dbPath);
  const record = await storage.createStudy({
    name: settings.study,
    direction: settings.objective.direction,
    metric: settings.objective.metric,
    yaml: parsed.yaml,
    settings,
    enqueue: enqueued.map((params) => ({ params, distributions: distributionsOf(settings.params, params) })),
  });
  const events = new Events();
  return {
    dbPath,
    storage,
    record,
    settings,
    events,
    run: (trainer, extra = {}) =>
      runStudy({ storage, dbPath, record, settings, observer: events, trainer, signal: new AbortController().signal, classes: ['N', 'S', 'V', 'F', 'Q'], ...extra }),
    done: async () => {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test('order: the orphaned RUNNING trial first, then the WAITING one, then new ones from the sampler', () =>
  withStudy({ trials: 4, workers: 1, enqueue: 1 }, async (s) => {
    // Trial 0 is the enqueued WAITING one; trial 1 is RUNNING under a process that is gone.
    const orphan = await s.storage.createTrial(s.record.id, { state: 'RUNNING', owner: { host: hostname(), pid: DEAD_PID } });
    assert.equal(orphan.number, 1);
    const trainer = new ScriptedTrainer({ epochs: 2 });
    const summary = await s.run(trainer);
    assert.deepEqual(trainer.started, [1, 0, 2, 3]);
    assert.equal(summary.interrupted, false);
    assert.equal(summary.ranHere, 4);
    const trials = await s.storage.getTrials(s.record.id);
    assert.deepEqual(trials.map((t) => [t.number, t.state, t.retries]), [[0, 'COMPLETE', 0], [1, 'COMPLETE', 1], [2, 'COMPLETE', 0], [3, 'COMPLETE', 0]]);
    assert.equal(trials[0]!.params.learning_rate, 0.002, 'the enqueued params were trained');
    assert.equal(trainer.closed, false, 'the trainer belongs to the caller');
  }));

test('the target is never overshot: two runs sharing the database, three workers each, make exactly the target between them', async () => {
  const s = await setUp({ trials: 4, workers: 3 });
  const second = SqliteStorage.open(s.dbPath);
  try {
    // No trial ends before four train at once: both runs have asked for all they could.
    const trainer = new ScriptedTrainer({ epochs: 1, together: 4 });
    const [a, b] = await Promise.all([s.run(trainer), s.run(trainer, { storage: second })]);
    assert.equal(a.ranHere + b.ranHere, 4);
    assert.equal(trainer.maxActive, 4);
    assert.deepEqual([...trainer.started].sort(), [0, 1, 2, 3]);
    const trials = await s.storage.getTrials(s.record.id);
    assert.deepEqual(trials.map((t) => t.state), ['COMPLETE', 'COMPLETE', 'COMPLETE', 'COMPLETE']);
  } finally {
    await second.close();
    await s.done();
  }
});

test('one run keeps `workers` trials training at once and no more', () =>
  withStudy({ trials: 6, workers: 3 }, async (s) => {
    const trainer = new ScriptedTrainer({ epochs: 1, together: 3 });
    const summary = await s.run(trainer);
    assert.equal(summary.ranHere, 6);
    assert.equal(trainer.maxActive, 3);
    assert.equal(await s.storage.countTrials(s.record.id), 6);
  }));

test("pruning: the pruner's decision reaches the trainer, which stops, and the trial ends PRUNED", async () => {
  const pruner: PrunerSettings = { type: 'median', n_startup_trials: 1, n_warmup_steps: 0, interval_steps: 1 };
  const s = await setUp({ trials: 2, workers: 1, epochs: 3, pruner });
  try {
    // Trial 0 completes at 0.9 every epoch; trial 1's 0.1 at epoch 1 is below that median.
    const trainer = new ScriptedTrainer({ epochs: 3, metrics: (n) => ({ recall_macro: n === 0 ? 0.9 : 0.1, val_loss: 1 }) });
    await s.run(trainer);
    assert.deepEqual(
      trainer.decisions.filter((d) => d.trial === 1),
      [{ trial: 1, epoch: 1, decision: 'prune' }],
    );
    const trials = await s.storage.getTrials(s.record.id);
    assert.deepEqual(trials.map((t) => t.state), ['COMPLETE', 'PRUNED']);
    assert.equal(trials[1]!.value, 0.1, 'a pruned trial keeps its last reported value');
    assert.deepEqual(trials[1]!.intermediate.map((iv) => iv.step), [1]);
    const epochEvent = s.events.all.find((e) => e.event === 'epoch' && e.trial === 1);
    assert.ok(epochEvent && epochEvent.event === 'epoch' && epochEvent.decision === 'prune');
  } finally {
    await s.done();
  }
});

test('interrupt: aborting the signal hands the running trials back as WAITING and starts no new one', () =>
  withStudy({ trials: 5, workers: 2 }, async (s) => {
    const trainer = new ScriptedTrainer({ epochs: 2, behaviour: () => 'until-stopped' });
    const stop = new AbortController();
    const running = s.run(trainer, { signal: stop.signal });
    await trainer.whenActive(2);
    stop.abort();
    const summary = await running;
    assert.equal(summary.interrupted, true);
    assert.deepEqual([...trainer.started].sort(), [0, 1]);
    const trials = await s.storage.getTrials(s.record.id);
    assert.deepEqual(trials.map((t) => [t.number, t.state]), [[0, 'WAITING'], [1, 'WAITING']]);
    assert.ok(trials.every((t) => t.pid === null && t.heartbeatAt === null), 'no owner left on a handed-back trial');
    assert.ok(s.events.all.some((e) => e.event === 'study_end'));

    // A later run takes the handed-back trials first, then finishes the target.
    const again = new ScriptedTrainer({ epochs: 2 });
    await s.run(again);
    assert.deepEqual(again.started.slice(0, 2).sort(), [0, 1]);
    assert.deepEqual([...again.started].sort(), [0, 1, 2, 3, 4]);
  }));

test('a signal aborted before the run starts no trial at all', () =>
  withStudy({ trials: 3, workers: 2 }, async (s) => {
    const trainer = new ScriptedTrainer({ epochs: 1 });
    const stop = new AbortController();
    stop.abort();
    const summary = await s.run(trainer, { signal: stop.signal });
    assert.equal(summary.interrupted, true);
    assert.deepEqual(trainer.started, []);
    assert.equal(await s.storage.countTrials(s.record.id), 0);
  }));

test('a trainer that throws fails its trial with the reason; the study goes on to its target', () =>
  withStudy({ trials: 3, workers: 1 }, async (s) => {
    const trainer = new ScriptedTrainer({ epochs: 2, behaviour: (n) => (n === 1 ? 'throw' : 'train') });
    const summary = await s.run(trainer);
    assert.equal(summary.interrupted, false);
    const trials = await s.storage.getTrials(s.record.id);
    assert.deepEqual(trials.map((t) => t.state), ['COMPLETE', 'FAIL', 'COMPLETE']);
    assert.equal(trials[1]!.failReason, 'Error: scripted failure of trial 1');
    const end = s.events.all.find((e) => e.event === 'trial_end' && e.trial === 1);
    assert.ok(end && end.event === 'trial_end' && end.reason === 'Error: scripted failure of trial 1');
  }));

test('a trainer that ignores the stop: runStudy returns after its bounded wait, the trial is handed back and its late reports are not recorded', () =>
  withStudy({ trials: 3, workers: 1 }, async (s) => {
    const trainer = new ScriptedTrainer({ epochs: 2, behaviour: () => 'hang' });
    const stop = new AbortController();
    const logs: string[] = [];
    const running = s.run(trainer, { signal: stop.signal, stopWaitMs: 50, log: (m) => logs.push(m) });
    await trainer.whenActive(1);
    stop.abort();
    const summary = await running;
    assert.equal(summary.interrupted, true);
    assert.deepEqual(trainer.started, [0]);
    assert.match(logs.join('\n'), /trial 0: still training 50 ms after the stop; handed back as WAITING/);
    const handedBack = await s.storage.getTrial(s.record.id, 0);
    assert.equal(handedBack?.state, 'WAITING');
    assert.equal(handedBack?.pid, null);

    // The trainer wakes up, reports an epoch and completes: none of it reaches the study.
    await trainer.release(0, true);
    assert.deepEqual(trainer.decisions, [{ trial: 0, epoch: 1, decision: 'continue' }]);
    const after = await s.storage.getTrial(s.record.id, 0);
    assert.equal(after?.state, 'WAITING');
    assert.deepEqual(after?.intermediate, []);
  }));

test('isOrphaned: a RUNNING trial whose heartbeat is stale, or whose process on this host is gone', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  const beat = new Date(now - 10_000);
  const running = (fields: { host: string; pid: number; heartbeatAt?: Date | null; startedAt?: Date | null }) =>
    createFrozenTrial({ number: 0, state: 'RUNNING', heartbeatAt: beat, startedAt: beat, ...fields });
  const here = hostname();
  assert.equal(isOrphaned(running({ host: here, pid: process.pid }), 60, now, here), false, 'this process, fresh heartbeat');
  assert.equal(isOrphaned(running({ host: here, pid: process.pid }), 5, now, here), true, 'heartbeat older than the grace period');
  assert.equal(isOrphaned(running({ host: here, pid: DEAD_PID }), 60, now, here), true, 'its process on this host is gone');
  assert.equal(isOrphaned(running({ host: 'elsewhere', pid: DEAD_PID }), 60, now, here), false, 'another host: only the heartbeat tells');
  assert.equal(isOrphaned(running({ host: 'elsewhere', pid: DEAD_PID, heartbeatAt: null }), 5, now, here), true, 'no heartbeat yet: the start time counts');
  assert.equal(isOrphaned(running({ host: here, pid: process.ppid }), 60, now, here), false, 'a live process of this host');
  assert.equal(isOrphaned(createFrozenTrial({ number: 0, state: 'WAITING' }), 0, now, here), false, 'only RUNNING trials are orphans');
  assert.equal(isOrphaned(createFrozenTrial({ number: 0, state: 'COMPLETE', host: here, pid: DEAD_PID, heartbeatAt: beat }), 0, now, here), false);
});

/** Trial number → its kept weights' bytes, read from the storage. */
async function keptModels(s: Setup): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const a of await s.storage.listTrialArtifacts(s.record.id)) {
    if (a.key !== 'model') continue;
    out.set(a.number, [...((await s.storage.getTrialArtifact(a.trialId, 'model')) ?? [])]);
  }
  return out;
}

test('keep_models: the weights of the top trials are kept, a trial that falls out of the top loses its own', () =>
  withStudy({ trials: 5, workers: 1, epochs: 1, keepModels: 2 }, async (s) => {
    // Values in trial order 0.3, 0.5, 0.1, 0.9, 0.4 (maximised): after each completion the
    // top two hold their weights, the others none.
    const values = [0.3, 0.5, 0.1, 0.9, 0.4];
    const kept: number[][] = [];
    // With one worker, a trial starts once the previous one is fully recorded.
    const before = async (n: number): Promise<void> => {
      if (n > 0) kept.push([...(await keptModels(s)).keys()].sort());
    };
    const trainer = new ScriptedTrainer({ epochs: 1, metrics: (n) => ({ recall_macro: values[n]!, val_loss: 1 }), before });
    await s.run(trainer);
    kept.push([...(await keptModels(s)).keys()].sort());
    assert.deepEqual(kept, [[0], [0, 1], [0, 1], [1, 3], [1, 3]]);
    const final = await keptModels(s);
    assert.deepEqual([...final.entries()].sort(), [[1, [1]], [3, [3]]], 'each kept blob is the weights its own trial returned');
  }));

test("keep_models: 'all' keeps every completed trial's weights, a pruned trial has none", () =>
  withStudy({ trials: 3, workers: 1, epochs: 2, keepModels: 'all', pruner: { type: 'median', n_startup_trials: 1, n_warmup_steps: 0, interval_steps: 1 } }, async (s) => {
    const values = [0.6, 0.7, 0.1];
    const trainer = new ScriptedTrainer({ epochs: 2, metrics: (n) => ({ recall_macro: values[n]!, val_loss: 1 }) });
    await s.run(trainer);
    const states = (await s.storage.getTrials(s.record.id)).map((t) => t.state);
    assert.deepEqual(states, ['COMPLETE', 'COMPLETE', 'PRUNED']);
    assert.deepEqual([...(await keptModels(s)).keys()].sort(), [0, 1]);
  }));
