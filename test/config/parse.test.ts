import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import {
  DEFAULT_MEMORY_BUDGET,
  HYPERPARAMS,
  MAX_SPACE_BYTES,
  contains,
  parseSpaceFile,
  parseSpaceText,
  type StudySettings,
} from '../../src/config/index.js';
import { ROOT, spaceError } from './helpers.js';

const SHIPPED = ['cnngru.yaml', 'cnn2d.yaml', 'cnn1d-multilabel.yaml'];

function parse(yaml: string, file = 'spaces/demo.yaml'): StudySettings {
  return parseSpaceText(yaml, file).settings;
}

test('every shipped search space parses, and its enqueued configurations lie in the space', () => {
  for (const name of SHIPPED) {
    const { settings, yaml } = parseSpaceFile(join(ROOT, 'searchspaces', name));
    assert.ok(yaml.startsWith('# yaml-language-server: $schema=../schema/searchspace.schema.json\n'), name);
    assert.ok(settings.params.length > 0, name);
    assert.ok(settings.enqueue.length > 0, name);
    for (const config of settings.enqueue) {
      for (const spec of settings.params) {
        if (spec.name in config) assert.ok(contains(spec.distribution, config[spec.name] as never), `${name}: ${spec.name}`);
      }
    }
  }
});

test('cnngru.yaml holds the original study space and its best configuration', () => {
  const s = parseSpaceFile(join(ROOT, 'searchspaces', 'cnngru.yaml')).settings;
  assert.equal(s.model, 'cnngru');
  assert.deepEqual(s.objective, { metric: 'recall_macro', direction: 'maximize' });
  const byName = Object.fromEntries(s.params.map((p) => [p.name, p]));
  assert.deepEqual(byName.gru_hidden?.distribution, { type: 'categorical', choices: [32, 64, 128, 256, 512] });
  assert.deepEqual(byName.batch_size?.distribution, { type: 'categorical', choices: [16, 32, 48, 60] });
  assert.deepEqual(byName.num_layers?.distribution, { type: 'int', low: 2, high: 4, log: false, step: 1 });
  assert.deepEqual(byName.num_blocks?.distribution, { type: 'int', low: 1, high: 5, log: false, step: 1 });
  assert.deepEqual(byName.weight_decay?.when, { optimizer: ['adamw'] });
  assert.equal((byName.weight_decay?.distribution as { log: boolean }).log, true);
  assert.deepEqual(s.enqueue[0], {
    hidden: 64,
    gru_hidden: 256,
    batch_size: 32,
    num_layers: 2,
    num_blocks: 5,
    dropout: 0.4,
    optimizer: 'adam',
    dataset: 'smote',
    lr_factor: 0.2,
  });
});

test('cnn2d.yaml and cnn1d-multilabel.yaml', () => {
  const cnn2d = parseSpaceFile(join(ROOT, 'searchspaces', 'cnn2d.yaml')).settings;
  assert.equal(cnn2d.model, 'cnn2d');
  assert.deepEqual(cnn2d.enqueue[0], { batch_size: 16, hidden: 128, num_layers: 3, num_blocks: 1, dropout: 0.3, lr_factor: 0.2, dataset: 'smote' });
  const ml = parseSpaceFile(join(ROOT, 'searchspaces', 'cnn1d-multilabel.yaml')).settings;
  assert.equal(ml.model, 'cnn1d');
  assert.equal(ml.data.multilabel, true);
  assert.equal(ml.data.source, 'synthetic');
  assert.equal(ml.objective.metric, 'f1_macro');
});

test('defaults fill every setting left out', () => {
  const s = parse('params:\n  x: {type: float, low: 0, high: 1}\n');
  const expected: StudySettings = {
    study: 'demo',
    model: 'cnngru',
    objective: { metric: 'recall_macro', direction: 'maximize' },
    data: {
      source: 'synthetic',
      n: 6000,
      seed: 7,
      multilabel: false,
      split: { val: 0.15, test: 0.15, by: 'stratified', seed: 0 },
      epoch_size: null,
      memory_budget: 1024 ** 3,
      augment: { amplitude_scale: 0, gaussian_noise: 0, time_mask: 0, baseline_wander: 0, mixup: 0 },
    },
    metrics: { ignore_classes: [] },
    budget: { trials: 20, epochs: 10 },
    sampler: { type: 'tpe', seed: 42, n_startup_trials: 10, n_ei_candidates: 24, multivariate: true, constant_liar: null },
    pruner: { type: 'asha', min_resource: 3, reduction_factor: 3, min_early_stopping_rate: 0, bootstrap_count: 0 },
    early_stopping: { monitor: 'val_loss', patience: 5, min_delta: 0, restore_best_weights: true },
    lr_schedule: { monitor: 'val_loss', factor: 0.1, patience: 2, min_lr: 1e-6 },
    workers: 2,
    backend: 'auto',
    seed: 0,
    max_retries: 2,
    heartbeat_grace_s: 60,
    keep_models: 5,
    defaults: {
      learning_rate: 1e-3,
      batch_size: 32,
      hidden: 64,
      gru_hidden: 256,
      num_layers: 2,
      num_blocks: 5,
      dropout: 0.4,
      optimizer: 'adam',
      weight_decay: 1e-4,
      dataset: 'smote',
      lr_factor: 0.2,
      clip_norm: 1.0,
    },
    params: [{ name: 'x', distribution: { type: 'float', low: 0, high: 1, log: false, step: null } }],
    enqueue: [],
  };
  assert.deepEqual(s, expected);
});

test('partial blocks are merged with their defaults', () => {
  const s = parse(
    [
      'study: named',
      'objective: {metric: val_loss}',
      'data: {n: 500, split: {val: 0.2}, augment: {mixup: 0.2}, memory_budget: 512MB}',
      'budget: {trials: 3}',
      'sampler: {type: random, seed: 1}',
      'pruner: {type: median, n_warmup_steps: 2}',
      'defaults: {learning_rate: 0.01, extra: on}',
      'params: {}',
    ].join('\n'),
  );
  assert.equal(s.study, 'named');
  assert.deepEqual(s.objective, { metric: 'val_loss', direction: 'minimize' });
  assert.equal(s.data.n, 500);
  assert.deepEqual(s.data.split, { val: 0.2, test: 0.15, by: 'stratified', seed: 0 });
  assert.equal(s.data.augment.mixup, 0.2);
  assert.equal(s.data.augment.time_mask, 0);
  assert.equal(s.data.memory_budget, 512e6);
  assert.deepEqual(s.budget, { trials: 3, epochs: 10 });
  assert.deepEqual({ type: s.sampler.type, seed: s.sampler.seed, n: s.sampler.n_startup_trials }, { type: 'random', seed: 1, n: 10 });
  assert.deepEqual(s.pruner, { type: 'median', n_startup_trials: 5, n_warmup_steps: 2, interval_steps: 1 });
  assert.equal(s.defaults.learning_rate, 0.01);
  assert.equal(s.defaults.batch_size, 32);
  // YAML 1.2: `on` is a string, not a boolean.
  assert.equal(s.defaults.extra, 'on');
  assert.deepEqual(parse('pruner: {type: none}\nparams: {}').pruner, { type: 'none' });
  assert.equal(parse('pruner: {min_resource: auto}\nparams: {}').pruner.type, 'asha');
});

test('objective direction defaults to minimize for losses only', () => {
  assert.equal(parse('objective: {metric: loss}\nparams: {}').objective.direction, 'minimize');
  assert.equal(parse('objective: {metric: val_loss}\nparams: {}').objective.direction, 'minimize');
  assert.equal(parse('objective: {metric: f1_macro}\nparams: {}').objective.direction, 'maximize');
  assert.equal(parse('objective: {metric: val_loss, direction: maximize}\nparams: {}').objective.direction, 'maximize');
});

test('memory budgets in bytes or with SI / IEC units', () => {
  const budget = (v: string): number => parse(`data: {memory_budget: ${v}}\nparams: {}`).data.memory_budget;
  assert.equal(budget('1GiB'), DEFAULT_MEMORY_BUDGET);
  assert.equal(budget('1 GB'), 1e9);
  assert.equal(budget('1.5MiB'), 1.5 * 1024 * 1024);
  assert.equal(budget('2048'), 2048);
  assert.equal(budget('"2048"'), 2048);
  assert.equal(budget('100kb'), 100_000);
});

test('the study name defaults to the file name, data.source is relative to the file', () => {
  const s = parse('data: {source: ../data/beats.h5}\nparams: {}', 'project/spaces/my-study.v2.yaml');
  assert.equal(s.study, 'my-study.v2');
  assert.equal(s.data.source, resolve('project/data/beats.h5'));
  assert.equal(parse('data: {source: /abs/x.csv}\nparams: {}').data.source, '/abs/x.csv');
  assert.equal(parse('data: {source: synthetic}\nparams: {}').data.source, 'synthetic');
});

test('parameters are sorted after the ones their `when` names, otherwise in file order', () => {
  const s = parse(
    [
      'params:',
      '  weight_decay: {type: float, low: 1.0e-5, high: 1.0e-2, log: true, when: {solver: adamw}}',
      '  learning_rate: {type: float, low: 1.0e-4, high: 1.0e-1, log: true}',
      '  momentum: {type: float, low: 0.5, high: 0.99, when: {solver: sgd, nesterov: true}}',
      '  nesterov: {type: categorical, choices: [true, false], when: {solver: sgd}}',
      // Not `optimizer`: hpsearch's trainer has no sgd, and refuses it there (hyperparams.ts).
      '  solver: {type: categorical, choices: [adam, adamw, sgd]}',
      '  dropout: {type: float, low: 0.0, high: 0.5, step: 0.1}',
    ].join('\n'),
  );
  assert.deepEqual(
    s.params.map((p) => p.name),
    ['learning_rate', 'solver', 'weight_decay', 'nesterov', 'momentum', 'dropout'],
  );
  // Without conditions the file order stands.
  const plain = parse('params:\n  c: {type: int, low: 0, high: 1}\n  a: {type: int, low: 0, high: 1}\n  b: {type: int, low: 0, high: 1}\n');
  assert.deepEqual(plain.params.map((p) => p.name), ['c', 'a', 'b']);
});

test('`when` takes one value or a list, and several parameters', () => {
  const s = parse(
    [
      'params:',
      '  opt: {type: categorical, choices: [adam, adamw, sgd]}',
      '  flag: {type: categorical, choices: [true, false, 1]}',
      '  a: {type: float, low: 0, high: 1, when: {opt: adamw}}',
      '  b: {type: float, low: 0, high: 1, when: {opt: [adam, adamw]}}',
      '  c: {type: float, low: 0, high: 1, when: {opt: sgd, flag: true}}',
      '  d: {type: int, low: 0, high: 1, when: {flag: 1}}',
      'enqueue:',
      '  - {opt: sgd, flag: true, c: 0.5}',
      '  - {opt: adamw, flag: 1, a: 0.1, b: 0.2, d: 0}',
    ].join('\n'),
  );
  const when = Object.fromEntries(s.params.map((p) => [p.name, p.when]));
  assert.deepEqual(when, {
    opt: undefined,
    flag: undefined,
    a: { opt: ['adamw'] },
    b: { opt: ['adam', 'adamw'] },
    c: { opt: ['sgd'], flag: [true] },
    d: { flag: [1] },
  });
  assert.ok(!('when' in (s.params[0] as object)), 'unconditional parameters carry no `when` key');
  assert.deepEqual(s.enqueue, [
    { opt: 'sgd', flag: true, c: 0.5 },
    { opt: 'adamw', flag: 1, a: 0.1, b: 0.2, d: 0 },
  ]);
  // `true` and 1 are different choices.
  const err = spaceError(() => parse('params:\n  f: {type: categorical, choices: [true]}\n  x: {type: int, low: 0, high: 1, when: {f: 1}}\n'));
  assert.match(err.reason, /expected one of the choices of f \(true\), got 1/);
});

test('a conditional parameter under an inactive parent is inactive too', () => {
  const s = parse(
    [
      'params:',
      '  opt: {type: categorical, choices: [adam, sgd]}',
      '  nesterov: {type: categorical, choices: [true, false], when: {opt: sgd}}',
      '  momentum: {type: float, low: 0.5, high: 0.9, when: {nesterov: true}}',
      'enqueue:',
      '  - {opt: adam}',
      '  - {opt: sgd, nesterov: false}',
      '  - {opt: sgd, nesterov: true, momentum: 0.9}',
    ].join('\n'),
  );
  assert.equal(s.enqueue.length, 3);
  const err = spaceError(() => parse('params:\n  o: {type: categorical, choices: [a, b]}\n  n: {type: categorical, choices: [x], when: {o: b}}\n  m: {type: int, low: 0, high: 1, when: {n: x}}\nenqueue:\n  - {o: a, m: 1}\n'));
  assert.equal(err.path, 'enqueue[0].m');
  assert.match(err.reason, /inactive/);
});

test('distributions: int step 1 with log is allowed, float steps divide within tolerance, single values', () => {
  const s = parse(
    [
      'params:',
      '  units: {type: int, low: 16, high: 512, log: true, step: 1}',
      '  f: {type: float, low: 0.1, high: 0.4, step: 0.1}',
      '  g: {type: float, low: 0, high: 1, step: 0.1}',
      '  same: {type: float, low: 0.5, high: 0.5}',
      '  k: {type: int, low: 0, high: 12, step: 4}',
    ].join('\n'),
  );
  assert.deepEqual(
    s.params.map((p) => p.distribution),
    [
      { type: 'int', low: 16, high: 512, log: true, step: 1 },
      { type: 'float', low: 0.1, high: 0.4, log: false, step: 0.1 },
      { type: 'float', low: 0, high: 1, log: false, step: 0.1 },
      { type: 'float', low: 0.5, high: 0.5, log: false, step: null },
      { type: 'int', low: 0, high: 12, log: false, step: 4 },
    ],
  );
});

test('anchors and aliases within reason are fine, and positions follow the alias', () => {
  const s = parse('params:\n  a: {type: categorical, choices: &c [16, 32]}\n  b: {type: categorical, choices: *c}\n');
  assert.deepEqual(s.params[1]?.distribution, { type: 'categorical', choices: [16, 32] });
  // Many uses of one anchor are not an attack.
  let many = 'params:\n  p0: {type: categorical, choices: &c [1, 2, 3]}\n';
  for (let i = 1; i < 200; i++) many += `  p${i}: {type: categorical, choices: *c}\n`;
  assert.equal(parse(many).params.length, 200);
  const err = spaceError(() => parse('params:\n  a: &p {type: int, low: 1, high: 2}\n  b: *p\nenqueue:\n  - {a: 1, b: 3}\n'));
  assert.equal(`${err.line}:${err.column} ${err.path}`, '5:15 enqueue[0].b');
});

test('a parse never leaves state behind: a failure in between changes nothing', () => {
  const good = 'params:\n  x: {type: int, low: 1, high: 3}\nenqueue:\n  - {x: 2}\n';
  const first = parseSpaceText(good, 'a.yaml');
  // Mutating a result must not leak into later parses either.
  (first.settings.defaults as Record<string, unknown>).learning_rate = 99;
  (first.settings.data.split as { val: number }).val = 0.9;
  (first.settings.enqueue as unknown[]).push({ x: 3 });
  for (const bad of ['params:\n  x: {type: int, low: 3, high: 1}\n', 'params: {x: {type: nope}}', 'params:\n  x: [\n']) {
    assert.throws(() => parseSpaceText(bad, 'a.yaml'));
  }
  const second = parseSpaceText(good, 'a.yaml');
  assert.equal(second.settings.defaults.learning_rate, HYPERPARAMS.learning_rate.default);
  assert.equal(second.settings.data.split.val, 0.15);
  assert.deepEqual(second.settings.enqueue, [{ x: 2 }]);
  assert.equal(second.yaml, good);
  assert.ok(Object.isFrozen(HYPERPARAMS) && Object.isFrozen(HYPERPARAMS.hidden.default));
});

test('hostile input: huge files, alias bombs, deep nesting', () => {
  const huge = `params: {}\n# ${'x'.repeat(MAX_SPACE_BYTES)}\n`;
  const tooBig = spaceError(() => parseSpaceText(huge, 'big.yaml'));
  assert.match(tooBig.message, /^big\.yaml: the file is 1\.0 MB; a search space may be at most 1\.0 MB$/);

  // "Billion laughs": ten levels of nine aliases each.
  let bomb = 'a: &a [x, x, x, x, x, x, x, x, x]\n';
  let prev = 'a';
  for (let i = 0; i < 10; i++) {
    bomb += `b${i}: &b${i} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    prev = `b${i}`;
  }
  const started = Date.now();
  const aliasErr = spaceError(() => parseSpaceText(`${bomb}params: {}\n`, 'bomb.yaml'));
  assert.equal(`${aliasErr.line}:${aliasErr.column}`, '2:10');
  assert.match(aliasErr.reason, /aliases expand to too many values/);
  const recursive = spaceError(() => parseSpaceText('params: &p {x: *p}\n', 'r.yaml'));
  assert.match(recursive.reason, /refers to a collection that contains it/);

  const deep = `params: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`;
  const deepErr = spaceError(() => parseSpaceText(deep, 'deep.yaml'));
  assert.equal(deepErr.file, 'deep.yaml');
  assert.ok(deepErr.line >= 1);
  assert.ok(Date.now() - started < 10_000);
});

test('files: missing, a directory, too large, and a good one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-space-'));
  try {
    assert.match(spaceError(() => parseSpaceFile(join(dir, 'none.yaml'))).message, /none\.yaml: cannot read the file \(ENOENT\)$/);
    assert.match(spaceError(() => parseSpaceFile(dir)).message, /not a regular file/);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `# ${'x'.repeat(MAX_SPACE_BYTES + 10)}\n`);
    assert.match(spaceError(() => parseSpaceFile(big)).message, /may be at most 1\.0 MB/);
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, 'data: {source: beats.csv}\nparams:\n  x: {type: int, low: 0, high: 2}\n');
    const parsed = parseSpaceFile(ok);
    assert.equal(parsed.settings.study, 'ok');
    assert.equal(parsed.settings.data.source, join(dir, 'beats.csv'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'params:\n  x: {type: int, low: 0, high: 2, lo: 1}\n');
    const err = spaceError(() => parseSpaceFile(bad));
    assert.equal(err.message, `${bad}:2:35: params.x.lo: unknown key "lo" for type "int"; expected one of: type, low, high, log, step, when`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('split lists and protocols: each part given one way, group names as text, the folds following the split', () => {
  const p = (data: string) => parse(`data:\n${data}\nparams:\n  x: {type: float, low: 0, high: 1}\n`).data;
  const de = p('  split: {protocol: de-chazal, val_groups: [101, "205"]}');
  assert.deepEqual(de.split, { val: 0.15, test: 0.15, by: 'group', seed: 0, val_groups: ['101', '205'], protocol: 'de-chazal' });
  const cv = p('  split: {by: group, test_groups: [a], seed: 3}\n  cv: {folds: 3}');
  assert.deepEqual(cv.cv, { folds: 3, by: 'group', seed: 3 });
  const refused: [string, RegExp][] = [
    ['  split: {protocol: de-chazal, test: 0.2}', /demo\.yaml:2:38: data\.split\.test: the de-chazal protocol's test part is its DS2 records: remove test/],
    ['  split: {protocol: de-chazal, by: stratified}', /data\.split\.by: the de-chazal protocol splits by record/],
    ['  split: {test_groups: [a]}', /data\.split\.test_groups: test_groups names groups: it needs by: group/],
    ['  split: {by: group, val_groups: [a], val: 0.2}', /data\.split\.val: the validation part is given twice/],
    ['  split: {by: group, val_groups: [a, b], test_groups: [b]}', /data\.split\.val_groups\[1\]: group "b" is in val_groups and in test_groups/],
    ['  split: {val: 0.2}\n  cv: {folds: 3}', /data\.split\.val: with data\.cv every fold validates in turn/],
    ['  cv: {folds: 1}', /data\.cv\.folds/],
    ['  split: {protocol: chazal}', /data\.split\.protocol/],
  ];
  for (const [yaml, message] of refused) assert.match(spaceError(() => p(yaml)).message, message, yaml);
});
