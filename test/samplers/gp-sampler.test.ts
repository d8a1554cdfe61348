import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomSampler } from '../../src/samplers/random.js';
import { GPSampler } from '../../src/samplers/gp/sampler.js';
import { createSampler } from '../../src/samplers/index.js';
import type { Sampler } from '../../src/samplers/base.js';
import { contains } from '../../src/core/distributions.js';
import type { Direction, Params, SearchSpace } from '../../src/core/search-space.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { createStudy } from '../../src/study/api.js';
import { spaceFromObject } from '../../src/config/api.js';
import { parseSpaceText } from '../../src/config/parse.js';
import { makeTrial, median, optimize } from './helpers.js';

const float = (name: string, low: number, high: number, log = false): SearchSpace[number] => ({ name, distribution: { type: 'float', low, high, log, step: null } });

const mixed: SearchSpace = [
  float('x', -2, 2),
  float('lr', 1e-4, 1, true),
  { name: 'n', distribution: { type: 'int', low: 1, high: 40, log: false, step: 1 } },
  { name: 'drop', distribution: { type: 'float', low: 0, high: 0.5, log: false, step: 0.05 } },
  { name: 'opt', distribution: { type: 'categorical', choices: ['adam', 'sgd', 'rms'] } },
  { name: 'momentum', distribution: { type: 'float', low: 0.5, high: 0.99, log: false, step: null }, when: { opt: ['sgd'] } },
];

function mixedObjective(p: Params): number {
  return ((p.x as number) - 0.5) ** 2 + (Math.log10(p.lr as number) + 2) ** 2 + 0.01 * ((p.n as number) - 12) ** 2 + (p.opt === 'sgd' ? 0 : 0.5) + ((p.drop as number) - 0.2) ** 2;
}

const quick = (seed: number, extra: Partial<ConstructorParameters<typeof GPSampler>[0]> = {}): GPSampler =>
  new GPSampler({ seed, nPreliminarySamples: 256, nLocalSearch: 4, ...extra });

test('the startup trials are those of RandomSampler with the same seed', () => {
  const gp = optimize(quick(4), mixed, mixedObjective, 10);
  const random = optimize(new RandomSampler({ seed: 4 }), mixed, mixedObjective, 10);
  assert.deepEqual(gp.map((t) => t.params), random.map((t) => t.params));
});

test('the same seed gives the same proposals; proposals lie in the space and honour conditions', () => {
  const a = optimize(quick(7, { nStartupTrials: 5 }), mixed, mixedObjective, 14);
  const b = optimize(quick(7, { nStartupTrials: 5 }), mixed, mixedObjective, 14);
  assert.deepEqual(a.map((t) => t.params), b.map((t) => t.params));
  const c = optimize(quick(8, { nStartupTrials: 5 }), mixed, mixedObjective, 14);
  assert.notDeepEqual(a.slice(5).map((t) => t.params), c.slice(5).map((t) => t.params));
  for (const t of a) {
    for (const spec of mixed) {
      const v = t.params[spec.name];
      if (spec.name === 'momentum') assert.equal(v !== undefined, t.params.opt === 'sgd');
      else assert.ok(v !== undefined && contains(spec.distribution, v), `${spec.name}=${String(v)}`);
    }
  }
});

test('GP beats random search on a smooth function (median best over 3 seeds)', () => {
  const space = [float('x', -5, 5), float('y', -5, 5)];
  const f = (p: Params): number => ((p.x as number) - 1.3) ** 2 + 2 * ((p.y as number) + 0.7) ** 2 + 0.5 * (p.x as number) * (p.y as number);
  // ∇f = 0 at y = -3.45 / 3.875, x = 1.3 - y / 4.
  const yMin = -3.45 / 3.875;
  const fMin = f({ x: 1.3 - yMin / 4, y: yMin });
  const regret = (trials: FrozenTrial[]): number => Math.min(...trials.map((t) => t.value!)) - fMin;
  const gp = [0, 1, 2].map((s) => regret(optimize(quick(s), space, f, 25)));
  const random = [0, 1, 2].map((s) => regret(optimize(new RandomSampler({ seed: s }), space, f, 25)));
  assert.ok(median(gp) < 0.1 * median(random), `GP median regret ${median(gp)} vs random ${median(random)}`);
});

test('maximisation is handled by flipping the sign', () => {
  const space = [float('x', 0, 1)];
  const trials = optimize(quick(3, { nStartupTrials: 4 }), space, (p) => -(((p.x as number) - 0.8) ** 2), 14, 'maximize');
  assert.ok(Math.max(...trials.map((t) => t.value!)) > -1e-3);
});

test('fixed (enqueued) parameters are kept and the others chosen given them', () => {
  const history = optimize(quick(2), mixed, mixedObjective, 12);
  const sampler = quick(2);
  const p = sampler.sample({ space: mixed, direction: 'minimize', trials: history, trialNumber: 12, fixed: { opt: 'adam', n: 3 } });
  assert.equal(p.opt, 'adam');
  assert.equal(p.n, 3);
  assert.equal(p.momentum, undefined);
  for (const spec of mixed.slice(0, 4)) assert.ok(contains(spec.distribution, p[spec.name]!));
});

test('PRUNED, FAIL and RUNNING trials are not observations; with the constant liar RUNNING ones steer proposals away', () => {
  const space = [float('x', 0, 1)];
  const done = optimize(quick(5, { nStartupTrials: 3 }), space, (p) => ((p.x as number) - 0.3) ** 2, 8);
  const others = [makeTrial(8, space, { x: 0.9 }, 'PRUNED', 100), makeTrial(9, space, { x: 0.95 }, 'FAIL'), makeTrial(10, space, { x: 0.1 }, 'RUNNING')];
  const plain = quick(5, { nStartupTrials: 3 });
  const a = plain.sample({ space, direction: 'minimize', trials: done, trialNumber: 11 });
  const b = plain.sample({ space, direction: 'minimize', trials: [...done, ...others], trialNumber: 11 });
  assert.deepEqual(a, b);
  // Lie about a trial running at the point the GP proposes: it then proposes elsewhere.
  const running = makeTrial(8, space, a, 'RUNNING');
  const liar = quick(5, { nStartupTrials: 3, constantLiar: true });
  const c = liar.sample({ space, direction: 'minimize', trials: [...done, running], trialNumber: 11 });
  assert.notEqual(c.x, a.x);
  assert.equal(plain.sample({ space, direction: 'minimize', trials: [...done, running], trialNumber: 11 }).x, a.x);
});

test('createSampler builds a GP sampler from settings; the constant liar follows the workers when unset', () => {
  const s = createSampler({ type: 'gp', seed: 3, n_startup_trials: 4 }) as GPSampler;
  assert.ok(s instanceof GPSampler);
  assert.equal(s.nStartupTrials, 4);
  assert.equal(s.constantLiar, false);
  assert.equal((createSampler({ type: 'gp', seed: 3 }, 4) as GPSampler).constantLiar, true);
  assert.equal((createSampler({ type: 'gp', seed: 3, constant_liar: false }, 4) as GPSampler).constantLiar, false);
});

test("createStudy({sampler: {type: 'gp'}}) runs enqueued trials first, random startup, then the GP", async () => {
  const space = { x: { type: 'float', low: -5, high: 5 }, k: { type: 'categorical', choices: ['a', 'b'] } } as const;
  const study = await createStudy({
    storage: ':memory:',
    name: 'gp',
    direction: 'minimize',
    space,
    sampler: { type: 'gp', seed: 1, n_startup_trials: 4 },
    enqueue: [{ x: 4, k: 'a' }, { x: -3, k: 'b' }],
  });
  const seen: Params[] = [];
  await study.optimize((t) => {
    seen.push(t.params);
    return ((t.params.x as number) - 1) ** 2 + (t.params.k === 'b' ? 0 : 1);
  }, { trials: 14 });
  assert.deepEqual(seen.slice(0, 2), [{ x: 4, k: 'a' }, { x: -3, k: 'b' }]);
  // Enqueued trials count towards n_startup_trials: trials 2 and 3 are random, 4 on are the GP's.
  const random = new RandomSampler({ seed: 1 });
  const parsed = spaceFromObject(space);
  const randomAt = (n: number): Params => random.sample({ space: parsed, direction: 'minimize', trials: [], trialNumber: n });
  assert.deepEqual(seen.slice(2, 4), [randomAt(2), randomAt(3)]);
  assert.notDeepEqual(seen[4], randomAt(4));
  assert.ok(study.bestTrial!.value! < 0.05, `best ${study.bestTrial!.value}`);
  await study.storage.close();
});

test('YAML `sampler: {type: gp}` parses to settings createSampler turns into a GP sampler; TPE-only keys are refused', () => {
  const params = 'params:\n  x: {type: float, low: 0, high: 1}\n';
  const { settings } = parseSpaceText(`sampler: {type: gp, seed: 5, n_startup_trials: 3}\n${params}`, 's.yaml');
  assert.equal(settings.sampler.type, 'gp');
  const sampler = createSampler(settings.sampler) as GPSampler;
  assert.ok(sampler instanceof GPSampler);
  assert.deepEqual([sampler.seed, sampler.nStartupTrials], [5, 3]);
  assert.throws(() => parseSpaceText(`sampler: {type: gp, n_ei_candidates: 8}\n${params}`, 's.yaml'), /sampler\.n_ei_candidates: unknown key "n_ei_candidates" for type "gp"/);
});
