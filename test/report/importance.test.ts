import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import { fanovaImportance, type ImportanceParam, type ImportanceResult, type ImportanceTrial } from '../../src/report/importance/fanova-importance.js';
import { fitForest, predictTree } from '../../src/report/importance/forest.js';
import { FanovaTree } from '../../src/report/importance/fanova-tree.js';

const unit = (name: string): ImportanceParam => ({ name, distribution: { type: 'float', low: 0, high: 1, log: false, step: null } });

/** Uniform random configurations (the way a random sampler would draw them), scored by `f`. */
function sampleTrials(n: number, seed: string, draw: (rng: () => number) => Record<string, number | string>, f: (p: Record<string, number | string>) => number): ImportanceTrial[] {
  const rng = seedrandom.alea(seed);
  return Array.from({ length: n }, () => {
    const params = draw(rng);
    return { params, value: f(params) };
  });
}

function shares(r: ImportanceResult): Record<string, number> {
  assert.equal(r.status, 'ok', r.status === 'insufficient' ? r.reason : '');
  if (r.status !== 'ok') return {};
  return Object.fromEntries(r.importances.map((i) => [i.name, i.importance]));
}

const xs3 = (rng: () => number): Record<string, number> => ({ x0: rng(), x1: rng(), x2: rng() });

test('fANOVA ranks a strong, a weak and an irrelevant param in that order', () => {
  // Variance of 4·x0 is 16/12, of x1 is 1/12 (x uniform on [0, 1]): shares ≈ 0.94, 0.06, 0.
  const trials = sampleTrials(200, 'three', xs3, (p) => 4 * (p.x0 as number) + (p.x1 as number));
  const r = fanovaImportance([unit('x0'), unit('x1'), unit('x2')], trials, { seed: 1 });
  const s = shares(r);
  assert.deepEqual(r.status === 'ok' && r.importances.map((i) => i.name), ['x0', 'x1', 'x2']);
  assert.ok(s.x0! > 0.8, `x0 share ${s.x0}`);
  assert.ok(s.x1! > 0.02, `x1 share ${s.x1}`);
  assert.ok(s.x2! < 0.02, `x2 share ${s.x2}`);
  assert.ok(Math.abs(s.x0! + s.x1! + s.x2! - 1) < 1e-9);
  // An additive function: the main effects explain (nearly) all of the forest's variance.
  assert.ok(r.status === 'ok' && r.mainEffectsShare > 0.9, `main effects ${r.status === 'ok' && r.mainEffectsShare}`);
});

test('fANOVA is deterministic for a seed and sums to 1', () => {
  const trials = sampleTrials(60, 'det', xs3, (p) => Math.sin(6 * (p.x0 as number)) + (p.x1 as number) * (p.x2 as number));
  const params = [unit('x0'), unit('x1'), unit('x2')];
  const a = fanovaImportance(params, trials, { seed: 7 });
  const b = fanovaImportance(params, trials, { seed: 7 });
  assert.deepEqual(a, b);
  const s = shares(a);
  assert.ok(Math.abs(Object.values(s).reduce((x, y) => x + y, 0) - 1) < 1e-9);
  const c = fanovaImportance(params, trials, { seed: 8 });
  assert.notDeepEqual(a, c, 'another seed grows another forest');
});

test('a very large study is assessed on a seeded random subset of its trials', () => {
  const trials = sampleTrials(300, 'big', xs3, (p) => 4 * (p.x0 as number) + (p.x1 as number));
  const params = [unit('x0'), unit('x1'), unit('x2')];
  const a = fanovaImportance(params, trials, { seed: 5, maxTrials: 100 });
  assert.ok(a.status === 'ok' && a.trialsUsed === 100 && a.subsampled);
  assert.deepEqual(a, fanovaImportance(params, trials, { seed: 5, maxTrials: 100 }));
  assert.deepEqual(a.status === 'ok' && a.importances.map((i) => i.name), ['x0', 'x1', 'x2']);
  const all = fanovaImportance(params, trials, { seed: 5 });
  assert.ok(all.status === 'ok' && all.trialsUsed === 300 && !all.subsampled);
});

test('a categorical param that determines the objective gets the top share', () => {
  const effect: Record<string, number> = { adam: 0, sgd: -3, adamw: 2 };
  const trials = sampleTrials(
    120,
    'cat',
    (rng) => ({ optimizer: ['adam', 'sgd', 'adamw'][Math.floor(rng() * 3)]!, x0: rng(), x1: rng() }),
    (p) => effect[p.optimizer as string]! + 0.3 * (p.x0 as number),
  );
  const r = fanovaImportance(
    [{ name: 'optimizer', distribution: { type: 'categorical', choices: ['adam', 'sgd', 'adamw'] } }, unit('x0'), unit('x1')],
    trials,
    { seed: 0 },
  );
  const s = shares(r);
  assert.equal(r.status === 'ok' && r.importances[0]!.name, 'optimizer');
  assert.ok(s.optimizer! > 0.9, `optimizer share ${s.optimizer}`);
  assert.ok(s.x0! > s.x1!, `x0 ${s.x0} vs x1 ${s.x1}`);
});

test('log-scaled params are assessed in log space', () => {
  // The objective is linear in log10(lr), flat in momentum; with log sampling both fit.
  const lrParam: ImportanceParam = { name: 'lr', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null } };
  const trials = sampleTrials(
    100,
    'log',
    (rng) => ({ lr: 10 ** (-5 + 4 * rng()), momentum: rng() }),
    (p) => -Math.abs(Math.log10(p.lr as number) + 3),
  );
  const s = shares(fanovaImportance([lrParam, unit('momentum')], trials, { seed: 3 }));
  assert.ok(s.lr! > 0.9, `lr share ${s.lr}`);
});

test('conditional params are listed as not assessed; too few trials is explained', () => {
  const wd: ImportanceParam = { name: 'weight_decay', distribution: { type: 'float', low: 1e-5, high: 1e-2, log: true, step: null } };
  const trials = sampleTrials(40, 'cond', (rng): Record<string, number> => (rng() < 0.5 ? { x0: rng() } : { x0: rng(), weight_decay: 1e-3 }), (p) => p.x0 as number);
  const r = fanovaImportance([unit('x0'), wd], trials, { seed: 0 });
  assert.equal(r.status, 'ok');
  if (r.status === 'ok') {
    assert.deepEqual(r.importances.map((i) => [i.name, i.importance]), [['x0', 1]]);
    assert.equal(r.notAssessed.length, 1);
    assert.match(r.notAssessed[0]!.reason, /^conditional: set in \d+ of 40 completed trials$/);
  }
  const one = fanovaImportance([unit('x0')], trials.slice(0, 1), { seed: 0 });
  assert.equal(one.status, 'insufficient');
  assert.match(one.status === 'insufficient' ? one.reason : '', /at least 2 completed trials/);
  const flat = fanovaImportance([unit('x0')], trials.map((t) => ({ ...t, value: 0.5 })), { seed: 0 });
  assert.equal(flat.status, 'insufficient');
  const nan = fanovaImportance([unit('x0')], [{ params: { x0: 0.1 }, value: Number.NaN }, ...trials.slice(0, 1)], { seed: 0 });
  assert.equal(nan.status, 'insufficient', 'a NaN value is not a usable trial');
});

test('forest trees fit their training data and the fANOVA marginals of a stump are exact', () => {
  const x = [0.1, 0.2, 0.6, 0.9].map((v) => Float64Array.of(v));
  const y = [1, 1, 3, 3];
  // One tree on the full data (min leaf 2, depth 1): a stump split between 0.2 and 0.6.
  const [stump] = fitForest(x, y, { nTrees: 1, maxDepth: 1, minSamplesLeaf: 2, seed: 0 });
  // A bootstrap sample may miss rows; a depth-1 tree can only predict 1, 3 or their mean.
  assert.ok(stump!.nodeCount === 1 || stump!.nodeCount === 3);
  const tree = { nodeCount: 3, feature: Int32Array.of(0, -1, -1), threshold: Float64Array.of(0.4, Number.NaN, Number.NaN), left: Int32Array.of(1, -1, -1), right: Int32Array.of(2, -1, -1), value: Float64Array.of(2, 1, 3) };
  assert.equal(predictTree(tree, [0.3]), 1);
  assert.equal(predictTree(tree, [0.5]), 3);
  // On [0, 1] the prediction is 1 on 40 % of the space and 3 on 60 %:
  // mean 2.2, variance 0.4·1.44 + 0.6·0.64 = 0.96, all of it from feature 0.
  const f = new FanovaTree(tree, [[0, 1], [0, 1]]);
  assert.ok(Math.abs(f.variance - 0.96) < 1e-12, `variance ${f.variance}`);
  assert.ok(Math.abs(f.marginalVariance([0]) - 0.96) < 1e-12);
  assert.equal(f.marginalVariance([1]), 0);
});
