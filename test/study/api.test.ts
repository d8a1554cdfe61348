import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStudy, loadStudy, TrialPruned } from '../../src/index.js';

function tempDb(): { path: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-study-'));
  return { path: join(dir, 'trials.db'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

const space = {
  x: { type: 'float', low: -5, high: 10 },
  k: { type: 'categorical', choices: ['a', 'b'] },
} as const;

test('ask/tell on :memory: numbers trials from 0 and keeps params in range', async () => {
  const study = await createStudy({ storage: ':memory:', name: 'demo', direction: 'minimize', space, sampler: { type: 'random', seed: 1 } });
  for (let i = 0; i < 5; i++) {
    const t = await study.ask();
    assert.equal(t.number, i);
    const x = t.params.x as number;
    assert.ok(x >= -5 && x <= 10);
    assert.ok(t.params.k === 'a' || t.params.k === 'b');
    await study.tell(t.number, x * x);
  }
  assert.ok(study.bestTrial !== null);
  const best = study.bestTrial!;
  assert.equal(best.value, (best.params.x as number) ** 2);
});

test('optimize with TPE on a file, then loadStudy sees every trial and the same best', async () => {
  const db = tempDb();
  try {
    const study = await createStudy({ storage: db.path, name: 'quad', direction: 'minimize', space, sampler: { type: 'tpe', seed: 3 } });
    await study.optimize((t) => ((t.params.x as number) - 2) ** 2 + (t.params.k === 'b' ? 0 : 1), { trials: 30 });
    const best = study.bestTrial!;
    assert.ok(best.value < 1.5, `TPE should find a point near the optimum, got ${best.value}`);
    const again = await loadStudy({ storage: db.path, name: 'quad' });
    assert.deepEqual(again.bestTrial, best);
    const trials = await again.storage.getTrials(again.id);
    assert.equal(trials.length, 30);
    assert.deepEqual(trials.map((t) => t.number), [...Array(30).keys()]);
    await again.storage.close();
    await study.storage.close();
  } finally {
    db.done();
  }
});

test('the same sampler seed gives the same sequence of params', async () => {
  const run = async (): Promise<unknown[]> => {
    const study = await createStudy({ storage: ':memory:', name: 's', space, sampler: { type: 'tpe', seed: 11, n_startup_trials: 3 } });
    const seen: unknown[] = [];
    await study.optimize((t) => {
      seen.push(t.params);
      return (t.params.x as number) ** 2;
    }, { trials: 8 });
    return seen;
  };
  assert.deepEqual(await run(), await run());
});

test('enqueued configurations come first, in order, and the rest are sampled', async () => {
  const study = await createStudy({
    storage: ':memory:',
    name: 'warm',
    space,
    sampler: { type: 'random', seed: 0 },
    enqueue: [{ x: 1, k: 'b' }, { x: 2, k: 'a' }],
  });
  const a = await study.ask();
  const b = await study.ask();
  const c = await study.ask();
  assert.deepEqual([a.number, a.params], [0, { x: 1, k: 'b' }]);
  assert.deepEqual([b.number, b.params], [1, { x: 2, k: 'a' }]);
  assert.equal(c.number, 2);
});

test('report asks the pruner; a TrialPruned objective ends as PRUNED with its last value; a throw is FAIL', async () => {
  const study = await createStudy({
    storage: ':memory:',
    name: 'prune',
    direction: 'minimize',
    space,
    sampler: { type: 'random', seed: 0 },
    pruner: { type: 'asha', min_resource: 1, reduction_factor: 3 },
  });
  // Three finished trials with low values at step 1 make a bad fourth trial prunable.
  for (const v of [1, 2, 3]) {
    const t = await study.ask();
    await t.report(1, v);
    await study.tell(t.number, v);
  }
  const bad = await study.ask();
  assert.equal(await bad.report(1, 100), true);
  await study.tell(bad.number, { state: 'pruned' });
  const good = await study.ask();
  assert.equal(await good.report(1, 0.5), false);
  await study.tell(good.number, 0.5);
  await study.optimize(async (t) => {
    if (t.number === 5) throw new TrialPruned();
    throw new Error('boom');
  }, { trials: 2 });
  const trials = await study.storage.getTrials(study.id);
  assert.equal(trials[3]!.state, 'PRUNED');
  assert.equal(trials[3]!.value, 100);
  assert.equal(trials[5]!.state, 'PRUNED');
  assert.equal(trials[6]!.state, 'FAIL');
  assert.match(trials[6]!.failReason ?? '', /boom/);
});

test('createStudy refuses a taken name unless loadIfExists, and bad spaces name the key', async () => {
  const db = tempDb();
  try {
    const s = await createStudy({ storage: db.path, name: 'dup', space });
    await assert.rejects(createStudy({ storage: db.path, name: 'dup', space }), /already exists/);
    const again = await createStudy({ storage: db.path, name: 'dup', space, loadIfExists: true });
    assert.equal(again.id, s.id);
    await assert.rejects(
      createStudy({ storage: db.path, name: 'bad', space: { x: { type: 'float', low: 3, high: 1 } } }),
      /space\.x/,
    );
    await s.storage.close();
    await again.storage.close();
  } finally {
    db.done();
  }
});

test('tell of a non-finite value is a FAIL, not a completed trial', async () => {
  const study = await createStudy({ storage: ':memory:', name: 'nan', space, sampler: { type: 'random', seed: 0 } });
  const t = await study.ask();
  const f = await study.tell(t.number, Number.NaN);
  assert.equal(f.state, 'FAIL');
  assert.equal(study.bestTrial, null);
});
