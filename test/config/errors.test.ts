/**
 * The parser's error table: each bad input must fail with a SpaceError at the exact
 * line:column of the offending node and say what was expected.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSpaceText } from '../../src/config/index.js';
import { spaceError } from './helpers.js';

const FILE = 'searchspaces/bad.yaml';

interface Case {
  readonly name: string;
  readonly yaml: string;
  /** "line:column" of the offending node. */
  readonly at: string;
  /** Part of the message after the location. */
  readonly says: string;
}

/** A tuned parameter so that cases about settings have a valid `params`. */
const P = 'params:\n  x: {type: float, low: 0, high: 1}\n';

const CASES: readonly Case[] = [
  // YAML itself
  { name: 'syntax error', yaml: 'params:\n  x: [1, 2\n', at: '3:1', says: 'invalid YAML: ' },
  { name: 'tab indentation', yaml: 'params:\n\tx: 1\n', at: '2:1', says: 'invalid YAML: ' },
  {
    name: 'duplicate parameter',
    yaml: 'params:\n  x: {type: int, low: 1, high: 2}\n  y: {type: int, low: 1, high: 2}\n  x: {type: int, low: 1, high: 3}\n',
    at: '4:3',
    says: 'params.x: duplicate parameter "x" (first defined at line 2)',
  },
  { name: 'duplicate top-level key', yaml: `workers: 1\n${P}workers: 2\n`, at: '4:1', says: 'workers: duplicate key "workers"' },
  { name: 'multiple documents', yaml: `${P}---\n${P}`, at: '3:1', says: 'invalid YAML: Source contains multiple documents' },
  { name: 'unsupported tag', yaml: `${P}seed: !!binary aGVsbG8=\n`, at: '3:16', says: 'unsupported tag tag:yaml.org,2002:binary' },
  { name: 'unknown alias', yaml: 'params:\n  x: *nothing\n', at: '2:6', says: 'unknown alias *nothing' },
  { name: 'collection as key', yaml: `${P}? [a, b]\n: 1\n`, at: '3:3', says: 'expected a plain key' },
  { name: 'empty file', yaml: '# nothing here\n', at: '1:1', says: 'the file is empty' },
  { name: 'top level is a list', yaml: '- params\n', at: '1:1', says: 'expected a mapping, got a list' },

  // unknown keys, everywhere
  { name: 'unknown top-level key', yaml: `${P}wokers: 2\n`, at: '3:1', says: 'wokers: unknown key "wokers" (did you mean "workers"?)' },
  { name: 'unknown data key', yaml: `data:\n  sorce: synthetic\n${P}`, at: '2:3', says: 'data.sorce: unknown key "sorce" (did you mean "source"?)' },
  { name: 'unknown split key', yaml: `data:\n  split: {val: 0.1, tst: 0.1}\n${P}`, at: '2:21', says: 'data.split.tst: unknown key "tst"' },
  { name: 'unknown budget key', yaml: `budget: {trials: 5, epoch: 3}\n${P}`, at: '1:21', says: 'budget.epoch: unknown key "epoch" (did you mean "epochs"?)' },
  { name: 'unknown sampler key', yaml: `sampler: {type: tpe, gamma: 0.1}\n${P}`, at: '1:22', says: 'sampler.gamma: unknown key "gamma"' },
  {
    name: 'TPE-only key on the random sampler',
    yaml: `sampler: {type: random, n_startup_trials: 3}\n${P}`,
    at: '1:25',
    says: 'sampler.n_startup_trials: unknown key "n_startup_trials" for type "random"; expected one of: type, seed',
  },
  {
    name: 'ASHA key on the median pruner',
    yaml: `pruner:\n  type: median\n  reduction_factor: 3\n${P}`,
    at: '3:3',
    says: 'pruner.reduction_factor: unknown key "reduction_factor" for type "median"',
  },
  {
    name: 'median key on the default (asha) pruner',
    yaml: `pruner: {n_warmup_steps: 2}\n${P}`,
    at: '1:10',
    says: 'pruner.n_warmup_steps: unknown key "n_warmup_steps"; expected one of: type, min_resource',
  },
  { name: 'unknown early_stopping key', yaml: `early_stopping: {patient: 3}\n${P}`, at: '1:18', says: 'early_stopping.patient: unknown key "patient" (did you mean "patience"?)' },
  { name: 'unknown lr_schedule key', yaml: `lr_schedule: {factr: 0.5}\n${P}`, at: '1:15', says: 'lr_schedule.factr: unknown key "factr" (did you mean "factor"?)' },
  { name: 'unknown augment key', yaml: `data: {augment: {noise: 0.1}}\n${P}`, at: '1:18', says: 'data.augment.noise: unknown key "noise"' },
  {
    name: 'misspelt key in a parameter (not reported as a missing one)',
    yaml: 'params:\n  x: {type: float, lwo: 1, high: 4}\n',
    at: '2:20',
    says: 'params.x.lwo: unknown key "lwo" for type "float" (did you mean "low"?)',
  },
  {
    name: 'key of another parameter type',
    yaml: 'params:\n  x:\n    type: float\n    low: 1\n    high: 4\n    choices: [1, 2]\n',
    at: '6:5',
    says: 'params.x.choices: unknown key "choices" for type "float"',
  },
  { name: 'unknown key in enqueue', yaml: `${P}enqueue:\n  - {x: 0.5, y: 1}\n`, at: '4:14', says: 'enqueue[0].y: unknown parameter "y"; expected one of: x' },

  // types
  { name: 'float bound of the wrong type', yaml: 'params:\n  num_layers: {type: float, low: two, high: 4}\n', at: '2:34', says: 'params.num_layers.low: expected a number, got "two"' },
  { name: 'int with a non-integer bound', yaml: 'params:\n  n: {type: int, low: 1, high: 4.5}\n', at: '2:32', says: 'params.n.high: expected an integer, got 4.5' },
  { name: 'int with a non-integer step', yaml: 'params:\n  n: {type: int, low: 0, high: 4, step: 0.5}\n', at: '2:41', says: 'params.n.step: expected an integer, got 0.5' },
  { name: 'log that is not a boolean', yaml: 'params:\n  x: {type: float, low: 1, high: 2, log: yes}\n', at: '2:42', says: 'params.x.log: expected a boolean (true or false), got "yes"' },
  { name: 'empty value', yaml: 'params:\n  x:\n    type: float\n    low:\n    high: 1\n', at: '4:5', says: 'params.x.low: expected a number, got null' },
  { name: 'infinite bound', yaml: 'params:\n  x: {type: float, low: -.inf, high: 1}\n', at: '2:25', says: 'params.x.low: expected a finite number, got -.inf' },
  { name: 'NaN setting', yaml: `${P}heartbeat_grace_s: .nan\n`, at: '3:20', says: 'heartbeat_grace_s: expected a finite number, got .nan' },
  { name: 'overflowing number', yaml: `${P}seed: 1e999\n`, at: '3:7', says: 'seed: expected a finite number, got .inf' },
  { name: 'parameter type missing', yaml: 'params:\n  x: {low: 0, high: 1}\n', at: '2:3', says: 'params.x: missing required key "type"' },
  { name: 'unknown parameter type', yaml: 'params:\n  x: {type: integer, low: 0, high: 1}\n', at: '2:13', says: 'params.x.type: expected one of "float", "int", "categorical", got "integer"' },
  { name: 'bound missing', yaml: 'params:\n  x: {type: int, low: 0}\n', at: '2:3', says: 'params.x: missing required key "high"' },
  { name: 'params missing', yaml: 'workers: 2\n', at: '1:1', says: 'missing required key "params"' },
  { name: 'invalid parameter name', yaml: 'params:\n  my-param: {type: int, low: 0, high: 1}\n', at: '2:3', says: 'params["my-param"]: invalid name "my-param": expected a name of at most 64 letters' },
  { name: 'reserved parameter name', yaml: 'params:\n  constructor: {type: int, low: 0, high: 1}\n', at: '2:3', says: 'params.constructor: "constructor" is a reserved name' },
  { name: 'fixed default that is not a scalar', yaml: `${P}defaults: {optimizer: [adam]}\n`, at: '3:23', says: 'defaults.optimizer: expected a number, a string or a boolean (true or false), got a list' },

  // ranges and steps
  { name: 'empty range', yaml: 'params:\n  x: {type: float, low: 2, high: 1}\n', at: '2:34', says: 'params.x.high: empty range: expected high >= low (2), got 1' },
  { name: 'log with low = 0', yaml: 'params:\n  lr: {type: float, low: 0, high: 0.1, log: true}\n', at: '2:26', says: 'params.lr.low: expected low > 0 because log is true, got 0' },
  { name: 'log with low < 0 (int)', yaml: 'params:\n  n: {type: int, low: -4, high: 4, log: true}\n', at: '2:23', says: 'params.n.low: expected low > 0 because log is true, got -4' },
  { name: 'log with step', yaml: 'params:\n  lr: {type: float, low: 0.1, high: 1, log: true, step: 0.1}\n', at: '2:57', says: 'params.lr.step: step cannot be combined with log: true' },
  { name: 'step of zero', yaml: 'params:\n  x: {type: float, low: 0, high: 1, step: 0}\n', at: '2:43', says: 'params.x.step: expected a number > 0, got 0' },
  { name: 'negative int step', yaml: 'params:\n  n: {type: int, low: 0, high: 4, step: -2}\n', at: '2:41', says: 'params.n.step: expected a number > 0, got -2' },
  { name: 'step that does not divide the range', yaml: 'params:\n  x: {type: float, low: 0.1, high: 0.4, step: 0.07}\n', at: '2:47', says: 'params.x.step: expected a step that divides high - low (0.3), got 0.07' },
  { name: 'int step that does not divide the range', yaml: 'params:\n  n: {type: int, low: 16, high: 64, step: 10}\n', at: '2:43', says: 'expected a step that divides high - low (48), got 10' },
  { name: 'no choices', yaml: 'params:\n  c: {type: categorical, choices: []}\n', at: '2:35', says: 'params.c.choices: expected at least 1 item, got an empty list' },
  { name: 'duplicate choice', yaml: 'params:\n  c: {type: categorical, choices: [16, 32, 16]}\n', at: '2:44', says: 'params.c.choices[2]: duplicate 16 (same as item 0)' },
  { name: 'choice that is a mapping', yaml: 'params:\n  c: {type: categorical, choices: [a, {b: 1}]}\n', at: '2:39', says: 'params.c.choices[1]: expected a number, a string or a boolean' },

  // conditions
  {
    name: 'when naming an unknown parameter',
    yaml: 'params:\n  optimizer: {type: categorical, choices: [adam, adamw]}\n  wd: {type: float, low: 0.1, high: 1, when: {optimiser: adamw}}\n',
    at: '3:47',
    says: 'params.wd.when.optimiser: unknown parameter "optimiser" (did you mean "optimizer"?); expected one of: optimizer',
  },
  {
    name: 'when naming a numeric parameter',
    yaml: 'params:\n  n: {type: int, low: 1, high: 3}\n  x: {type: float, low: 0, high: 1, when: {n: 2}}\n',
    at: '3:44',
    says: 'params.x.when.n: "n" is an int parameter; when can only name categorical parameters',
  },
  {
    name: 'when value that is not a choice',
    yaml: 'params:\n  optimizer: {type: categorical, choices: [adam, adamw]}\n  wd: {type: float, low: 0.1, high: 1, when: {optimizer: sgd}}\n',
    at: '3:58',
    says: 'params.wd.when.optimizer: expected one of the choices of optimizer ("adam", "adamw"), got "sgd"',
  },
  {
    name: 'when list with a value that is not a choice',
    yaml: 'params:\n  o: {type: categorical, choices: [a, b, c]}\n  w: {type: float, low: 0, high: 1, when: {o: [a, d]}}\n',
    at: '3:51',
    says: 'params.w.when.o[1]: expected one of the choices of o ("a", "b", "c"), got "d"',
  },
  { name: 'empty when', yaml: 'params:\n  w: {type: float, low: 0, high: 1, when: {}}\n', at: '2:43', says: 'params.w.when: expected at least 1 entry' },
  {
    name: 'conditional cycle',
    yaml:
      'params:\n' +
      '  a: {type: categorical, choices: [x, y], when: {c: x}}\n' +
      '  b: {type: categorical, choices: [x, y], when: {a: x}}\n' +
      '  c: {type: categorical, choices: [x, y], when: {b: y}}\n',
    at: '3:50',
    says: 'params.b.when.a: conditional cycle a -> c -> b -> a',
  },
  { name: 'parameter conditional on itself', yaml: 'params:\n  a: {type: categorical, choices: [x, y], when: {a: x}}\n', at: '2:50', says: 'params.a.when.a: conditional cycle a -> a' },

  // enqueue
  { name: 'enqueued value outside its range', yaml: 'params:\n  n: {type: int, low: 2, high: 4}\nenqueue:\n  - {n: 5}\n', at: '4:9', says: 'enqueue[0].n: expected an integer in [2, 4], got 5' },
  {
    name: 'enqueued value off the step grid',
    yaml: 'params:\n  d: {type: float, low: 0.1, high: 0.5, step: 0.1}\nenqueue:\n  - {d: 0.25}\n',
    at: '4:9',
    says: 'enqueue[0].d: expected a number in [0.1, 0.5] in steps of 0.1, got 0.25',
  },
  {
    name: 'enqueued value not among the choices',
    yaml: 'params:\n  b: {type: categorical, choices: [16, 32]}\nenqueue:\n  - b: 16\n  - b: "32"\n',
    at: '5:8',
    says: 'enqueue[1].b: expected one of 16, 32, got "32"',
  },
  {
    name: 'enqueued configuration missing a parameter',
    yaml: 'params:\n  a: {type: int, low: 1, high: 2}\n  b: {type: int, low: 1, high: 2}\nenqueue:\n  - {a: 1}\n',
    at: '5:5',
    says: 'enqueue[0]: missing parameter "b": expected an integer in [1, 2]',
  },
  {
    name: 'enqueued configuration missing an active conditional parameter',
    yaml:
      'params:\n  o: {type: categorical, choices: [adam, adamw]}\n  wd: {type: float, low: 0.1, high: 1, when: {o: adamw}}\n' +
      'enqueue:\n  - {o: adam}\n  - {o: adamw}\n',
    at: '6:5',
    says: 'enqueue[1]: missing parameter "wd"',
  },
  {
    name: 'enqueued value for an inactive parameter',
    yaml:
      'params:\n  o: {type: categorical, choices: [adam, adamw]}\n  wd: {type: float, low: 0.1, high: 1, when: {o: adamw}}\n' +
      'enqueue:\n  - {o: adam, wd: 0.5}\n',
    at: '5:15',
    says: 'enqueue[0].wd: "wd" is inactive in this configuration (it needs o = "adamw")',
  },
  { name: 'enqueue that is not a list', yaml: `${P}enqueue: {x: 0.5}\n`, at: '3:10', says: 'enqueue: expected a list, got a mapping' },

  // study settings
  { name: 'unknown model', yaml: `model: lstm\n${P}`, at: '1:8', says: 'model: expected one of "cnngru", "cnn2d", "cnn1d", got "lstm"' },
  { name: 'unknown sampler type', yaml: `sampler: {type: cmaes}\n${P}`, at: '1:17', says: 'sampler.type: expected one of "random", "tpe", "gp", got "cmaes"' },
  { name: 'unknown pruner type', yaml: `pruner: {type: hyperband}\n${P}`, at: '1:16', says: 'pruner.type: expected one of "asha", "median", "none", got "hyperband"' },
  { name: 'bad direction', yaml: `objective: {metric: accuracy, direction: max}\n${P}`, at: '1:42', says: 'objective.direction: expected one of "minimize", "maximize", got "max"' },
  { name: 'unknown objective metric', yaml: `objective:\n  metric: recall\n${P}`, at: '2:11', says: 'objective.metric: expected one of "val_loss"' },
  { name: 'unknown early-stopping monitor', yaml: `early_stopping: {monitor: val_acc}\n${P}`, at: '1:27', says: 'early_stopping.monitor: expected one of "val_loss"' },
  { name: 'zero trials', yaml: `budget: {trials: 0}\n${P}`, at: '1:18', says: 'budget.trials: expected an integer >= 1, got 0' },
  { name: 'negative epochs', yaml: `budget: {epochs: -3}\n${P}`, at: '1:18', says: 'budget.epochs: expected an integer >= 1, got -3' },
  { name: 'zero workers', yaml: `workers: 0\n${P}`, at: '1:10', says: 'workers: expected an integer >= 1, got 0' },
  { name: 'fractional workers', yaml: `workers: 1.5\n${P}`, at: '1:10', says: 'workers: expected an integer, got 1.5' },
  { name: 'non-positive heartbeat grace', yaml: `heartbeat_grace_s: 0\n${P}`, at: '1:20', says: 'heartbeat_grace_s: expected a number > 0, got 0' },
  { name: 'bad min_resource', yaml: `pruner: {min_resource: automatic}\n${P}`, at: '1:24', says: 'pruner.min_resource: expected a positive integer or "auto", got "automatic"' },
  { name: 'reduction factor below 2', yaml: `pruner: {reduction_factor: 1}\n${P}`, at: '1:28', says: 'pruner.reduction_factor: expected an integer >= 2, got 1' },
  { name: 'split fraction of 1', yaml: `data:\n  split: {val: 1.0}\n${P}`, at: '2:16', says: 'data.split.val: expected a number < 1, got 1' },
  { name: 'split fraction of 0', yaml: `data:\n  split: {test: 0}\n${P}`, at: '2:17', says: 'data.split.test: expected a number > 0, got 0' },
  { name: 'split leaving nothing to train on', yaml: `data:\n  split: {val: 0.5, test: 0.5}\n${P}`, at: '2:27', says: 'data.split.test: expected val + test < 1' },
  { name: 'unknown split method', yaml: `data:\n  split: {by: patient}\n${P}`, at: '2:15', says: 'data.split.by: expected one of "stratified", "group", got "patient"' },
  { name: 'bad memory budget', yaml: `data: {memory_budget: 2 gigs}\n${P}`, at: '1:23', says: 'data.memory_budget: expected a size in bytes, or a string such as "512MB" or "1GiB", got "2 gigs"' },
  { name: 'zero memory budget', yaml: `data: {memory_budget: 0MB}\n${P}`, at: '1:23', says: 'data.memory_budget: expected a positive size' },
  { name: 'data source that is not a data file', yaml: `data: {source: beats.txt}\n${P}`, at: '1:16', says: 'data.source: expected "synthetic" or the path of an .h5/.hdf5 or .csv file, got "beats.txt"' },
  { name: 'synthetic set size of zero', yaml: `data: {n: 0}\n${P}`, at: '1:11', says: 'data.n: expected an integer >= 1, got 0' },
  { name: 'empty study name', yaml: `study: ""\n${P}`, at: '1:8', says: 'study: expected a non-empty string, got ""' },
  { name: 'unknown backend', yaml: `backend: gpu\n${P}`, at: '1:10', says: 'backend: expected one of "auto", "tensorflow-gpu", "tensorflow", "native", "wasm", "cpu", got "gpu"' },
];

test('the error table has at least 25 cases with distinct names', () => {
  assert.ok(CASES.length >= 25);
  assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length);
});

for (const c of CASES) {
  test(`bad input: ${c.name}`, () => {
    const err = spaceError(() => parseSpaceText(c.yaml, FILE));
    assert.equal(err.file, FILE);
    assert.equal(`${err.line}:${err.column}`, c.at, `position of: ${err.message}`);
    assert.ok(err.message.startsWith(`${FILE}:${c.at}: `), err.message);
    assert.ok(err.message.includes(c.says), `expected "${c.says}" in: ${err.message}`);
    // One line, as the CLI prints it.
    assert.ok(!err.message.includes('\n'), err.message);
    assert.equal(String(err), err.message);
  });
}

test('the first mistake in file order is the one reported', () => {
  const yaml = 'workers: 0\nparams:\n  x: {type: float, low: a, high: 1}\nmodel: lstm\n';
  const err = spaceError(() => parseSpaceText(yaml, FILE));
  assert.equal(`${err.line}:${err.column}`, '1:10');
  const later = spaceError(() => parseSpaceText('model: lstm\nworkers: 0\nparams: {}\n', FILE));
  assert.equal(later.path, 'model');
});
