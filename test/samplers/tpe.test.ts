import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomSampler } from '../../src/samplers/random.js';
import { defaultGamma, splitTrials, TPESampler } from '../../src/samplers/tpe/sampler.js';
import { createSampler } from '../../src/samplers/index.js';
import type { Sampler } from '../../src/samplers/base.js';
import { contains } from '../../src/core/distributions.js';
import type { Direction, Params, SearchSpace } from '../../src/core/search-space.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { makeTrial, median, optimize } from './helpers.js';

const xSpace: SearchSpace = [{ name: 'x', distribution: { type: 'float', low: 0, high: 10, log: false, step: null } }];

function best(trials: readonly FrozenTrial[]): number {
  return Math.min(...trials.map((t) => t.value!));
}

test('gamma(n) = min(ceil(0.1 n), 25)', () => {
  assert.deepEqual([0, 1, 10, 11, 100, 249, 250, 251, 1000].map(defaultGamma), [0, 1, 1, 2, 10, 25, 25, 25, 25]);
});

test('split: COMPLETE by value, then PRUNED by (furthest step, last value); RUNNING above; FAIL ignored', () => {
  const iv = (steps: [number, number][]) => steps.map(([step, value]) => ({ step, value }));
  const t = (n: number, state: FrozenTrial['state'], value: number | null, steps: [number, number][] = []) =>
    makeTrial(n, xSpace, { x: n }, state, value, iv(steps));
  const trials = [
    t(0, 'COMPLETE', 5),
    t(1, 'COMPLETE', 1),
    t(2, 'COMPLETE', 3),
    t(3, 'PRUNED', 0.5, [[1, 3], [2, 1], [4, 0.5]]), // step 4, value 0.5
    t(4, 'PRUNED', 10, [[9, 10]]), // step 9, value 10
    t(5, 'PRUNED', null), // never reported: ranks last
    t(6, 'PRUNED', 2, [[3, 7], [9, 2]]), // step 9, value 2
    t(7, 'FAIL', null),
    t(8, 'RUNNING', null),
  ];
  const nums = (xs: FrozenTrial[]) => xs.map((x) => x.number);
  let s = splitTrials(trials, 'minimize', 2);
  assert.deepEqual(nums(s.below), [1, 2]);
  assert.deepEqual(nums(s.above), [0, 3, 4, 5, 6, 8]);
  // Minimize, 4 below: all three COMPLETE, then the best pruned: step 9 beats step 4
  // (the pruned value 0.5 at step 4 does not), and at step 9 value 2 beats 10.
  s = splitTrials(trials, 'minimize', 4);
  assert.deepEqual(nums(s.below), [0, 1, 2, 6]);
  assert.deepEqual(nums(s.above), [3, 4, 5, 8]);
  s = splitTrials(trials, 'minimize', 6);
  assert.deepEqual(nums(s.below), [0, 1, 2, 3, 4, 6]);
  // Maximize: at step 9, value 10 beats 2.
  s = splitTrials(trials, 'maximize', 4);
  assert.deepEqual(nums(s.below), [0, 1, 2, 4]);
  s = splitTrials(trials, 'maximize', 1);
  assert.deepEqual(nums(s.below), [0]);
  // However many are asked for, RUNNING stays above and FAIL is nowhere.
  s = splitTrials(trials, 'minimize', 100);
  assert.deepEqual(nums(s.below), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(nums(s.above), [8]);
});

test('startup: random until nStartupTrials COMPLETE/PRUNED trials, whatever else the history holds', () => {
  const tpe = new TPESampler({ seed: 3 });
  const random = new RandomSampler({ seed: 3 });
  const history: FrozenTrial[] = [];
  for (let i = 0; i < 9; i++) history.push(makeTrial(history.length, xSpace, { x: i }, i < 7 ? 'COMPLETE' : 'PRUNED', i));
  for (let i = 0; i < 4; i++) history.push(makeTrial(history.length, xSpace, { x: 1 }, 'FAIL'));
  for (let i = 0; i < 4; i++) history.push(makeTrial(history.length, xSpace, { x: 1 }, 'RUNNING'));
  for (let i = 0; i < 2; i++) history.push(makeTrial(history.length, xSpace, { x: 1 }, 'WAITING'));
  const ctx = (trials: FrozenTrial[]) => ({ space: xSpace, direction: 'minimize' as const, trials, trialNumber: 50 });
  // 9 finished: still random, with or without the constant liar.
  assert.deepEqual(tpe.sample(ctx(history)), random.sample(ctx(history)));
  assert.deepEqual(new TPESampler({ seed: 3, constantLiar: true }).sample(ctx(history)), random.sample(ctx(history)));
  // A tenth finished trial (say an enqueued configuration that was run) switches to TPE.
  const more = [...history, makeTrial(history.length, xSpace, { x: 2 }, 'COMPLETE', 0)];
  assert.notDeepEqual(tpe.sample(ctx(more)), random.sample(ctx(more)));
  // The trial being sampled never counts, even if the caller passes it.
  const self = [...history, makeTrial(50, xSpace, { x: 2 }, 'COMPLETE', 0)];
  assert.deepEqual(tpe.sample(ctx(self)), random.sample(ctx(self)));
});

test('the same seed and history give the same suggestion', () => {
  const trials = optimize(new RandomSampler({ seed: 0 }), xSpace, (p) => ((p.x as number) - 2) ** 2, 20);
  const ctx = { space: xSpace, direction: 'minimize' as const, trials, trialNumber: 20 };
  assert.deepEqual(new TPESampler({ seed: 5 }).sample(ctx), new TPESampler({ seed: 5 }).sample(ctx));
  assert.deepEqual(createSampler({ type: 'tpe', seed: 5 }).sample(ctx), new TPESampler({ seed: 5 }).sample(ctx));
});

test('constant liar: RUNNING trials join the bad group and push suggestions away from them', () => {
  const f = (p: Params) => ((p.x as number) - 2) ** 2;
  const history = Array.from({ length: 30 }, (_, i) => makeTrial(i, xSpace, { x: i / 3 }, 'COMPLETE', f({ x: i / 3 })));
  // Ten workers are busy right at the good region.
  for (let i = 0; i < 10; i++) history.push(makeTrial(30 + i, xSpace, { x: 2 + (i - 5) * 0.01 }, 'RUNNING'));
  const distance = (sampler: TPESampler) => {
    const d: number[] = [];
    for (let t = 100; t < 160; t++) d.push(Math.abs((sampler.sample({ space: xSpace, direction: 'minimize', trials: history, trialNumber: t }).x as number) - 2));
    return median(d);
  };
  const plain = distance(new TPESampler({ seed: 11 }));
  const liar = distance(new TPESampler({ seed: 11, constantLiar: true }));
  assert.ok(plain < 0.35, `without the liar suggestions crowd the optimum: ${plain}`);
  assert.ok(liar > 2 * plain, `with the liar they spread: ${liar} vs ${plain}`);
  // createSampler turns it on by default for several workers.
  const auto = createSampler({ type: 'tpe', seed: 11, constant_liar: null }, 4) as TPESampler;
  assert.equal(auto.constantLiar, true);
  assert.equal((createSampler({ type: 'tpe', seed: 11 }, 1) as TPESampler).constantLiar, false);
  assert.equal((createSampler({ type: 'tpe', seed: 11, constant_liar: false }, 4) as TPESampler).constantLiar, false);
});

const mixed: SearchSpace = [
  { name: 'x', distribution: { type: 'float', low: -5, high: 5, log: false, step: null } },
  { name: 'lr', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null } },
  { name: 'dropout', distribution: { type: 'float', low: 0, high: 0.5, log: false, step: 0.05 } },
  { name: 'layers', distribution: { type: 'int', low: 1, high: 8, log: false, step: 1 } },
  { name: 'units', distribution: { type: 'int', low: 8, high: 512, log: true, step: 1 } },
  { name: 'one', distribution: { type: 'int', low: 3, high: 3, log: false, step: 1 } },
  { name: 'opt', distribution: { type: 'categorical', choices: ['adam', 'adamw', 'sgd'] } },
  { name: 'wd', distribution: { type: 'float', low: 1e-5, high: 1e-2, log: true, step: null }, when: { opt: ['adamw'] } },
];

function mixedObjective(p: Params): number {
  let v = (p.x as number) ** 2 + (Math.log10(p.lr as number) + 3) ** 2 + ((p.dropout as number) - 0.2) ** 2 * 10;
  v += ((p.layers as number) - 3) ** 2 * 0.1 + (Math.log2(p.units as number) - 7) ** 2 * 0.2;
  v += p.opt === 'adamw' ? (Math.log10(p.wd as number) + 4) ** 2 * 0.5 : 3;
  return v;
}

for (const multivariate of [false, true]) {
  test(`TPE (${multivariate ? 'multivariate' : 'univariate'}) keeps every type in range and conditional parameters consistent`, () => {
    const sampler = new TPESampler({ seed: 1, multivariate });
    const trials = optimize(sampler, mixed, mixedObjective, 60);
    for (const t of trials) {
      for (const spec of mixed) if (spec.name in t.params) assert.ok(contains(spec.distribution, t.params[spec.name]!), `${spec.name}=${String(t.params[spec.name])}`);
      assert.ok(Number.isInteger(t.params.layers) && Number.isInteger(t.params.units));
      assert.equal(t.params.one, 3);
      assert.equal('wd' in t.params, t.params.opt === 'adamw');
    }
    // The conditional weight decay is learned from the trials that have it: once TPE runs,
    // adamw dominates and wd concentrates around its optimum 1e-4.
    const late = trials.slice(30);
    assert.ok(late.filter((t) => t.params.opt === 'adamw').length > 15);
    const wd = late.filter((t) => 'wd' in t.params).map((t) => Math.abs(Math.log10(t.params.wd as number) + 4));
    assert.ok(median(wd) < 0.75, `median |log10 wd + 4| = ${median(wd)}`);
    // A fixed (partially enqueued) value is returned as is and decides the conditions.
    const p = sampler.sample({ space: mixed, direction: 'minimize', trials, trialNumber: 60, fixed: { opt: 'sgd', layers: 7 } });
    assert.equal(p.opt, 'sgd');
    assert.equal(p.layers, 7);
    assert.ok(!('wd' in p));
  });
}

test('a parameter no finished trial has yet is still sampled (multivariate falls back to independent)', () => {
  const trials = optimize(new RandomSampler({ seed: 2 }), xSpace, (p) => (p.x as number) ** 2, 15);
  const wider: SearchSpace = [...xSpace, { name: 'k', distribution: { type: 'categorical', choices: ['a', 'b'] } }];
  for (const multivariate of [false, true]) {
    const p = new TPESampler({ seed: 2, multivariate }).sample({ space: wider, direction: 'minimize', trials, trialNumber: 15 });
    assert.ok(contains(xSpace[0]!.distribution, p.x!) && (p.k === 'a' || p.k === 'b'));
  }
});

test('maximize is minimize of the negated objective', () => {
  const f = (p: Params) => ((p.x as number) - 7) ** 2;
  const a = optimize(new TPESampler({ seed: 9 }), xSpace, f, 40, 'minimize').map((t) => t.params.x);
  const b = optimize(new TPESampler({ seed: 9 }), xSpace, (p) => -f(p), 40, 'maximize').map((t) => t.params.x);
  assert.deepEqual(a, b);
});

test('TPE beats random search on a 2-D quadratic (median best over 5 seeds, 60 trials)', () => {
  const space: SearchSpace = [
    { name: 'x', distribution: { type: 'float', low: -5, high: 10, log: false, step: null } },
    { name: 'y', distribution: { type: 'float', low: -5, high: 10, log: false, step: null } },
  ];
  const f = (p: Params) => ((p.x as number) - 1.5) ** 2 + ((p.y as number) + 2) ** 2;
  const seeds = [0, 1, 2, 3, 4];
  const tpe = median(seeds.map((s) => best(optimize(new TPESampler({ seed: s, multivariate: false }), space, f, 60))));
  const mv = median(seeds.map((s) => best(optimize(new TPESampler({ seed: s, multivariate: true }), space, f, 60))));
  const rnd = median(seeds.map((s) => best(optimize(new RandomSampler({ seed: s }), space, f, 60))));
  assert.ok(tpe < rnd / 3, `TPE ${tpe} vs random ${rnd}`);
  assert.ok(mv < rnd / 3, `multivariate TPE ${mv} vs random ${rnd}`);
});

test('multivariate is the default, and joint candidates follow a diagonal valley better than independent ones', () => {
  assert.equal(new TPESampler({ seed: 0 }).multivariate, true);
  // Without the key, as createSampler builds it from settings that leave it out.
  assert.equal((createSampler({ type: 'tpe', seed: 0 }) as TPESampler).multivariate, true);
  // A narrow valley along x = y: good trials lie on the diagonal, which only a joint
  // kernel keeps (independent kernels propose x and y from different good trials).
  const space: SearchSpace = [
    { name: 'x', distribution: { type: 'float', low: -5, high: 5, log: false, step: null } },
    { name: 'y', distribution: { type: 'float', low: -5, high: 5, log: false, step: null } },
  ];
  const f = (p: Params) => 50 * ((p.x as number) - (p.y as number)) ** 2 + ((p.x as number) + (p.y as number) - 3) ** 2;
  const seeds = [0, 1, 2, 3, 4, 5, 6];
  const joint = median(seeds.map((s) => best(optimize(new TPESampler({ seed: s, multivariate: true }), space, f, 80))));
  const independent = median(seeds.map((s) => best(optimize(new TPESampler({ seed: s, multivariate: false }), space, f, 80))));
  assert.ok(joint < independent, `multivariate ${joint} vs univariate ${independent}`);
});
