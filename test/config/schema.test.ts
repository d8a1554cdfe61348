/**
 * The published JSON Schema and the code must agree: the same defaults, the same enums,
 * and every key documented for editors.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  BACKENDS,
  DIRECTIONS,
  MODELS,
  OBJECTIVE_METRICS,
  PARAM_TYPES,
  PRUNER_TYPES,
  SAMPLER_TYPES,
  parseByteSize,
  parseSpaceText,
  schemaPath,
} from '../../src/config/index.js';

type Schema = { [key: string]: unknown; properties?: Record<string, Schema>; definitions?: Record<string, Schema> };

const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as Schema;

function prop(...keys: string[]): Schema {
  let node = schema;
  for (const k of keys) node = (node.properties as Record<string, Schema>)[k] as Schema;
  return node;
}

test('the schema file is found from the compiled code and is draft-07', () => {
  assert.ok(schemaPath().endsWith('schema/searchspace.schema.json'));
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
});

test('schema enums are the exported constants', () => {
  assert.deepEqual(prop('model').enum, [...MODELS]);
  assert.deepEqual(prop('objective', 'metric').enum, [...OBJECTIVE_METRICS]);
  assert.deepEqual(prop('early_stopping', 'monitor').enum, [...OBJECTIVE_METRICS]);
  assert.deepEqual(prop('lr_schedule', 'monitor').enum, [...OBJECTIVE_METRICS]);
  assert.deepEqual(prop('objective', 'direction').enum, [...DIRECTIONS]);
  assert.deepEqual(prop('backend').enum, [...BACKENDS]);
  assert.deepEqual(prop('sampler', 'type').enum, [...SAMPLER_TYPES]);
  assert.deepEqual(prop('pruner', 'type').enum, [...PRUNER_TYPES]);
  const param = (schema.definitions as Record<string, Schema>).param as Schema;
  assert.deepEqual((param.properties as Record<string, Schema>).type?.enum, [...PARAM_TYPES]);
});

test('schema defaults are the defaults the parser applies', () => {
  const resolved = parseSpaceText('params: {}', 'x.yaml').settings as unknown as Record<string, unknown>;
  const median = parseSpaceText('pruner: {type: median}\nparams: {}', 'x.yaml').settings.pruner as unknown as Record<string, unknown>;
  let checked = 0;
  const compare = (node: Schema, value: unknown, path: string): void => {
    if ('default' in node) {
      // The schema shows the budget as editors should write it ("1GiB"); settings hold bytes.
      const expected = path === 'data.memory_budget' ? parseByteSize(node.default as string) : node.default;
      assert.deepEqual(expected, value, `default of ${path}`);
      checked++;
    }
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (path === 'pruner' && key in median && !(key in (value as object))) compare(child, median[key], `${path}.${key}`);
      else if (value !== null && typeof value === 'object' && key in value) compare(child, (value as Record<string, unknown>)[key], `${path}.${key}`);
    }
  };
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (key === 'params' || key === 'enqueue') continue;
    compare(child, resolved[key], key);
  }
  assert.ok(checked >= 40, `only ${checked} defaults compared`);
  // Keys without a schema default, and why.
  assert.ok(!('default' in prop('study')), 'the study name defaults to the file name');
  assert.ok(!('default' in prop('objective', 'direction')), 'the direction depends on the metric');
});

test('every key of the schema is described for editors', () => {
  const missing: string[] = [];
  const walk = (node: Schema, path: string): void => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const target = typeof child.$ref === 'string' ? resolveRef(child.$ref) : child;
      if (typeof target.description !== 'string' || target.description.length < 10) missing.push(`${path}${key}`);
      walk(target, `${path}${key}.`);
    }
  };
  const resolveRef = (ref: string): Schema => (schema.definitions as Record<string, Schema>)[ref.replace('#/definitions/', '')] as Schema;
  walk(schema, '');
  walk(resolveRef('#/definitions/param'), 'params.*.');
  assert.deepEqual(missing, []);
});
