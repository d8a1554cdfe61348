import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomSampler } from '../../src/samplers/random.js';
import { createSampler } from '../../src/samplers/index.js';
import { TPESampler } from '../../src/samplers/tpe/sampler.js';
import { contains } from '../../src/core/distributions.js';
import type { Params, SearchSpace } from '../../src/core/search-space.js';

const space: SearchSpace = [
  { name: 'x', distribution: { type: 'float', low: -5, high: 10, log: false, step: null } },
  { name: 'lr', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null } },
  { name: 'dropout', distribution: { type: 'float', low: 0, high: 0.5, log: false, step: 0.05 } },
  { name: 'layers', distribution: { type: 'int', low: 1, high: 8, log: false, step: 1 } },
  { name: 'even', distribution: { type: 'int', low: 2, high: 10, log: false, step: 2 } },
  { name: 'units', distribution: { type: 'int', low: 8, high: 512, log: true, step: 1 } },
  { name: 'opt', distribution: { type: 'categorical', choices: ['adam', 'adamw', 'sgd'] } },
  { name: 'wd', distribution: { type: 'float', low: 1e-5, high: 1e-2, log: true, step: null }, when: { opt: ['adamw'] } },
  { name: 'momentum', distribution: { type: 'float', low: 0, high: 0.99, log: false, step: null }, when: { opt: ['sgd'] } },
  { name: 'nesterov', distribution: { type: 'categorical', choices: [true, false] }, when: { opt: ['sgd'] } },
];

function draw(sampler: { sample: RandomSampler['sample'] }, trialNumber: number, fixed?: Params): Params {
  return sampler.sample({ space, direction: 'minimize', trials: [], trialNumber, fixed });
}

test('the same seed gives the same parameters for the same trial numbers, in any order', () => {
  const a = new RandomSampler({ seed: 42 });
  const b = new RandomSampler({ seed: 42 });
  const forward = [0, 1, 2, 3, 4, 5].map((n) => draw(a, n));
  const backward = [5, 4, 3, 2, 1, 0].map((n) => draw(b, n)).reverse();
  assert.deepEqual(forward, backward);
  // Different trial numbers and different seeds differ.
  assert.notDeepEqual(forward[0], forward[1]);
  const c = new RandomSampler({ seed: 43 });
  assert.notDeepEqual(draw(c, 0), forward[0]);
  // createSampler builds the same sampler from settings.
  assert.deepEqual(draw(createSampler({ type: 'random', seed: 42 }), 3), forward[3]);
});

test('values respect ranges, steps, integers, log scale and choices', () => {
  const s = new RandomSampler({ seed: 1 });
  let lowHalfLog = 0;
  let lowHalfUnits = 0;
  const layerCounts = new Map<number, number>();
  const n = 3000;
  for (let t = 0; t < n; t++) {
    const p = draw(s, t);
    for (const spec of space) if (spec.name in p) assert.ok(contains(spec.distribution, p[spec.name]!), `${spec.name}=${String(p[spec.name])}`);
    assert.ok(Number.isInteger(p.layers) && Number.isInteger(p.units) && (p.even as number) % 2 === 0);
    // contains() allows 1e-8 of slack on the grid; the sampler returns the tidy grid values.
    assert.ok([0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5].includes(p.dropout as number), `dropout=${String(p.dropout)}`);
    if ((p.lr as number) < Math.sqrt(1e-5 * 1e-1)) lowHalfLog++;
    if ((p.units as number) < 64) lowHalfUnits++;
    layerCounts.set(p.layers as number, (layerCounts.get(p.layers as number) ?? 0) + 1);
  }
  // Log-uniform: half of the draws below the geometric mean (1e-3), not 1 %.
  assert.ok(Math.abs(lowHalfLog / n - 0.5) < 0.04, `lr below 1e-3: ${lowHalfLog / n}`);
  // Log integers [8, 512] drawn on [7.5, 512.5]: P(< 64) = ln(63.5/7.5) / ln(512.5/7.5).
  const expected = Math.log(63.5 / 7.5) / Math.log(512.5 / 7.5);
  assert.ok(Math.abs(lowHalfUnits / n - expected) < 0.04, `units < 64: ${lowHalfUnits / n} vs ${expected}`);
  // Every integer of [1, 8] equally likely, the ends included.
  assert.equal(layerCounts.size, 8);
  for (const c of layerCounts.values()) assert.ok(Math.abs(c / n - 1 / 8) < 0.03);
});

test('conditional parameters appear exactly when their condition holds; fixed values are kept', () => {
  const s = new RandomSampler({ seed: 7 });
  const seen = new Set<string>();
  for (let t = 0; t < 300; t++) {
    const p = draw(s, t);
    seen.add(p.opt as string);
    assert.equal('wd' in p, p.opt === 'adamw');
    assert.equal('momentum' in p, p.opt === 'sgd');
    assert.equal('nesterov' in p, p.opt === 'sgd');
  }
  assert.deepEqual([...seen].sort(), ['adam', 'adamw', 'sgd']);
  const p = draw(s, 1, { opt: 'sgd', layers: 3 });
  assert.equal(p.opt, 'sgd');
  assert.equal(p.layers, 3);
  assert.ok('momentum' in p && !('wd' in p));
});

test('TPE samples at random, with the same stream, before its startup trials', () => {
  const tpe = new TPESampler({ seed: 42 });
  const random = new RandomSampler({ seed: 42 });
  for (const n of [0, 4, 9]) assert.deepEqual(draw(tpe, n), draw(random, n));
});
