import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStorage } from '../../src/storage/index.js';
import { DISTRIBUTIONS, PARAM_COUNT, paramsFor } from './fixtures/space.js';
import { Child, newStudy, openStorage, tempDb } from './helpers.js';

const EPOCHS = 10; // as in fixtures/write-loop-worker.ts
const KILLS = 4;

function finishedCount(out: string): number {
  return out.split('\n').filter((l) => l.startsWith('finished ')).length;
}

/** Checks the file after a kill; returns how many COMPLETE trials it holds. */
async function checkDatabase(path: string): Promise<number> {
  const db = new Database(path);
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
  } finally {
    db.close();
  }
  const storage = SqliteStorage.open(path);
  try {
    const study = await storage.getStudy('crash');
    assert.ok(study !== null);
    const trials = await storage.getTrials(study.id);
    assert.deepEqual(trials.map((t) => t.number), trials.map((_, i) => i), 'numbers 0..n-1 without gaps');
    for (const t of trials) {
      const round = t.systemAttrs['round'];
      assert.equal(typeof round, 'number', `trial ${t.number} has its system attrs`);
      // Created in one transaction: all params and attrs, or no trial at all.
      assert.deepEqual(t.params, paramsFor(round as number), `trial ${t.number} has all its params`);
      assert.equal(Object.keys(t.distributions).length, PARAM_COUNT);
      assert.equal(typeof t.userAttrs['writer'], 'number');
      assert.equal(t.seed, round);
      // Each intermediate value is its own transaction: a prefix of the steps, never a gap.
      assert.deepEqual(t.intermediate.map((iv) => iv.step), t.intermediate.map((_, i) => i), `trial ${t.number} steps`);
      assert.ok(t.intermediate.every((iv) => Array.isArray(iv.metrics?.['recall'])));
      if (t.state === 'COMPLETE') {
        assert.equal(t.intermediate.length, EPOCHS, `finished trial ${t.number} has every epoch`);
        assert.equal(t.value, t.intermediate.at(-1)?.value);
        assert.deepEqual(t.userAttrs['final_metrics'], { recall_macro: t.value });
      } else {
        assert.equal(t.state, 'RUNNING', 'the only other state a killed writer leaves');
      }
    }
    return trials.filter((t) => t.state === 'COMPLETE').length;
  } finally {
    await storage.close();
  }
}

describe('SIGKILL during a write loop', () => {
  it(`leaves a sound database with no half-written trial (${KILLS} kills)`, async () => {
    const path = tempDb();
    const setup = openStorage(path);
    await newStudy(setup, 'crash');
    await setup.close();
    assert.ok(Object.keys(DISTRIBUTIONS).length === PARAM_COUNT);

    let acknowledged = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const writer = new Child('write-loop-worker', [path, 'crash']);
      const target = 2 + Math.floor(Math.random() * 6);
      await writer.waitFor((out) => finishedCount(out) >= target, `${target} trials`);
      // A random moment after some writes: anywhere inside the next trial's transactions.
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      writer.proc.kill('SIGKILL');
      const r = await writer.exit();
      assert.equal(r.signal, 'SIGKILL', `writer ${kill} was killed (stderr: ${r.stderr})`);
      acknowledged += finishedCount(r.stdout);
      const complete = await checkDatabase(path);
      // Every finish the writer printed had committed before it printed.
      assert.ok(complete >= acknowledged, `${complete} complete trials >= ${acknowledged} acknowledged`);
    }
  });
});
