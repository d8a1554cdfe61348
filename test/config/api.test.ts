import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configurationsFromObject, parseSpaceText, spaceFromObject, type SpaceInput } from '../../src/config/index.js';
import { spaceError } from './helpers.js';

test('the README Library API example space', () => {
  const space = spaceFromObject({ x: { type: 'float', low: -5, high: 10 }, k: { type: 'categorical', choices: ['a', 'b'] } });
  assert.deepEqual(space, [
    { name: 'x', distribution: { type: 'float', low: -5, high: 10, log: false, step: null } },
    { name: 'k', distribution: { type: 'categorical', choices: ['a', 'b'] } },
  ]);
});

test('typed input with conditions is sorted like YAML', () => {
  const input: SpaceInput = {
    wd: { type: 'float', low: 1e-5, high: 1e-2, log: true, when: { opt: 'adamw' } },
    opt: { type: 'categorical', choices: ['adam', 'adamw'] },
    n: { type: 'int', low: 1, high: 9, step: 2 },
  };
  const space = spaceFromObject(input);
  assert.deepEqual(space.map((p) => p.name), ['opt', 'wd', 'n']);
  assert.deepEqual(space[1]?.when, { opt: ['adamw'] });
  assert.deepEqual(space[2]?.distribution, { type: 'int', low: 1, high: 9, log: false, step: 2 });
});

test('the result does not share arrays with the input', () => {
  const choices = ['a', 'b'];
  const space = spaceFromObject({ k: { type: 'categorical', choices } });
  choices.push('c');
  assert.deepEqual(space[0]?.distribution, { type: 'categorical', choices: ['a', 'b'] });
});

test('errors name the key path, with no position', () => {
  const cases: [unknown, string][] = [
    [{ x: { type: 'float', low: 'a', high: 1 } }, 'space.x.low: expected a number, got "a"'],
    [{ x: { type: 'float', lo: 0, high: 1 } }, 'space.x.lo: unknown key "lo" for type "float"; expected one of: type, low, high, log, step, when'],
    [{ x: { type: 'float', low: 2, high: 1 } }, 'space.x.high: empty range: expected high >= low (2), got 1'],
    [{ x: { type: 'float', low: 0, high: 1, log: true } }, 'space.x.low: expected low > 0 because log is true, got 0'],
    [{ x: { type: 'float', low: 0, high: 1, step: 0.3 } }, 'space.x.step: expected a step that divides high - low (1), got 0.3'],
    [{ x: { type: 'float', low: Number.NaN, high: 1 } }, 'space.x.low: expected a finite number, got .nan'],
    [{ x: { type: 'int', low: 0, high: 1.5 } }, 'space.x.high: expected an integer, got 1.5'],
    [{ k: { type: 'categorical', choices: [] } }, 'space.k.choices: expected at least 1 item, got an empty list'],
    [{ k: { type: 'categorical', choices: ['a', 'a'] } }, 'space.k.choices[1]: duplicate "a" (same as item 0); expected distinct values'],
    [{ k: { type: 'categorical', choices: [null] } }, 'space.k.choices[0]: expected a number, a string or a boolean (true or false), got null'],
    [{ x: { type: 'float', low: 0, high: 1, when: { y: 'a' } } }, 'space.x.when.y: unknown parameter "y"; the space has no other parameter'],
    [
      { a: { type: 'categorical', choices: [1, 2], when: { b: 1 } }, b: { type: 'categorical', choices: [1, 2], when: { a: 2 } } },
      'space.b.when.a: conditional cycle a -> b -> a',
    ],
    [{ x: { type: 'uniform', low: 0, high: 1 } }, 'space.x.type: expected one of "float", "int", "categorical", got "uniform"'],
    [{ 'bad name': { type: 'int', low: 0, high: 1 } }, 'space["bad name"]: invalid name "bad name"'],
    [{ x: 3 }, 'space.x: expected a mapping, got 3'],
    [[1, 2], 'space: expected a mapping, got a list'],
    [null, 'space: expected a mapping, got null'],
    [new Map([['x', { type: 'int', low: 0, high: 1 }]]), 'space: expected a plain object of parameters'],
  ];
  for (const [input, message] of cases) {
    const err = spaceError(() => spaceFromObject(input));
    assert.ok(err.message.startsWith(message), `expected "${message}", got "${err.message}"`);
    assert.equal(err.file, '');
    assert.equal(err.line, 0);
    assert.equal(err.column, 0);
  }
});

test('the prefix of paths is the caller\'s to choose', () => {
  const err = spaceError(() => spaceFromObject({ x: { type: 'int', low: 3, high: 1 } }, 'createStudy.space'));
  assert.equal(err.message, 'createStudy.space.x.high: empty range: expected high >= low (3), got 1');
  assert.equal(err.path, 'createStudy.space.x.high');
});

test('YAML and objects share one validator: same reasons for the same mistakes', () => {
  const spaces: Record<string, unknown>[] = [
    { x: { type: 'float', low: 'a', high: 1 } },
    { x: { type: 'float', low: 0, high: 1, choices: [1] } },
    { x: { type: 'int', low: 1, high: 10, log: true, step: 3 } },
    { x: { type: 'float', low: -1, high: 1, log: true } },
    { x: { type: 'int', low: 0, high: 10, step: 3 } },
    { o: { type: 'categorical', choices: ['a'] }, x: { type: 'int', low: 0, high: 1, when: { o: 'b' } } },
    { n: { type: 'int', low: 0, high: 1 }, x: { type: 'int', low: 0, high: 1, when: { n: 1 } } },
    { x: { type: 'categorical', choices: [1, 2, 2] } },
  ];
  for (const space of spaces) {
    const fromObject = spaceError(() => spaceFromObject(space));
    // JSON is YAML, so the same space can go through the file front end.
    const fromYaml = spaceError(() => parseSpaceText(`params: ${JSON.stringify(space)}\n`, 's.yaml'));
    assert.equal(fromObject.reason, fromYaml.reason);
    assert.equal(fromObject.path.replace(/^space/, 'params'), fromYaml.path);
    assert.ok(fromYaml.line === 1 && fromYaml.column > 1);
  }
});

test('enqueued configurations for the API', () => {
  const space = spaceFromObject({
    opt: { type: 'categorical', choices: ['adam', 'adamw'] },
    wd: { type: 'float', low: 1e-5, high: 1e-2, log: true, when: { opt: 'adamw' } },
    n: { type: 'int', low: 1, high: 4 },
  });
  assert.deepEqual(configurationsFromObject(space, [{ n: 2, opt: 'adam' }, { opt: 'adamw', wd: 1e-3, n: 4 }]), [
    { opt: 'adam', n: 2 },
    { opt: 'adamw', wd: 1e-3, n: 4 },
  ]);
  const cases: [unknown, string][] = [
    [[{ opt: 'adam', n: 2, m: 1 }], 'enqueue[0].m: unknown parameter "m"; expected one of: opt, wd, n'],
    [[{ opt: 'adam', n: 5 }], 'enqueue[0].n: expected an integer in [1, 4], got 5'],
    [[{ opt: 'sgd', n: 1 }], 'enqueue[0].opt: expected one of "adam", "adamw", got "sgd"'],
    [[{ opt: 'adamw', n: 1, wd: 1 }], 'enqueue[0].wd: expected a number in [0.00001, 0.01] (log scale), got 1'],
    [[{ opt: 'adam', n: 1, wd: 1e-3 }], 'enqueue[0].wd: "wd" is inactive in this configuration'],
    [[{ opt: 'adamw', n: 1 }], 'enqueue[0]: missing parameter "wd": expected a number in [0.00001, 0.01] (log scale)'],
    [[{ n: 1 }], 'enqueue[0]: missing parameter "opt"'],
    [{ n: 1 }, 'enqueue: expected a list, got a mapping'],
    [[{ n: [1] }], 'enqueue[0].n: expected a number, a string or a boolean'],
  ];
  for (const [configs, message] of cases) {
    const err = spaceError(() => configurationsFromObject(space, configs));
    assert.ok(err.message.startsWith(message), `expected "${message}", got "${err.message}"`);
  }
});
