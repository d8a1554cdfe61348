/**
 * The published JSON Schema as users meet it: through the `yaml-language-server` comment of
 * every shipped YAML, through the package's `exports`, with help text on every key, and
 * documented key by key in docs/searchspace.md.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMA_FILE = join(ROOT, 'schema', 'searchspace.schema.json');

type Schema = { readonly [key: string]: unknown };

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Schema;

/** Every search-space YAML the repository ships or documents. */
function shippedYamls(): string[] {
  const inDir = (dir: string): string[] =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(ROOT, dir, f));
  return [...inDir('searchspaces'), join(ROOT, 'scripts', 'compare', 'synthetic-baseline.yaml'), ...inDir('test/fixtures')];
}

const MODELINE = /^# yaml-language-server: \$schema=(\S+)$/;

test('the schema identifies itself to editors: draft-07, $id, title, description', () => {
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  assert.match(String(schema.$id), /^https:\/\/.+\/searchspace\.schema\.json$/);
  assert.equal(typeof schema.title, 'string');
  assert.ok(String(schema.description).length > 40);
});

test('every shipped YAML names the schema on its first line, by a relative path that resolves to it', () => {
  const files = shippedYamls();
  assert.ok(files.length >= 5, `found only ${files.length} YAML files`);
  for (const file of files) {
    const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
    const m = MODELINE.exec(first);
    assert.ok(m, `${file}: first line is ${JSON.stringify(first)}, expected "# yaml-language-server: $schema=<relative path>"`);
    const target = m[1] as string;
    assert.ok(!target.startsWith('/') && !/^[a-z]+:/i.test(target), `${file}: ${target} is not a relative path`);
    assert.equal(realpathSync(resolve(dirname(file), target)), realpathSync(SCHEMA_FILE), `${file}: ${target}`);
  }
});

test('every shipped YAML validates against the schema with a plain ajv, as an editor would check it', () => {
  // Strict mode, as ajv defaults to: an unknown keyword in the schema would throw here.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictRequired: false });
  ajv.addVocabulary(['x-expected']);
  const validate = ajv.compile(schema);
  for (const file of shippedYamls()) {
    const doc = parseYaml(readFileSync(file, 'utf8')) as unknown;
    const ok = validate(doc);
    assert.ok(ok, `${file}: ${ajv.errorsText(validate.errors)}`);
  }
  // And a mistake is caught: the check above cannot pass vacuously.
  assert.equal(validate({ params: {}, sampler: { type: 'tpe', n_startup: 3 } }), false);
});

test('the schema is exported by the package: hpsearch/schema/searchspace.schema.json resolves to the file', () => {
  // Node resolves a package's own name through its `exports` from inside the package.
  const require = createRequire(import.meta.url);
  assert.equal(realpathSync(require.resolve('hpsearch/schema/searchspace.schema.json')), realpathSync(SCHEMA_FILE));
  assert.equal(realpathSync(fileURLToPath(import.meta.resolve('hpsearch/schema/searchspace.schema.json'))), realpathSync(SCHEMA_FILE));
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('schema'), 'package.json `files` ships the schema folder');
});

/**
 * Every key a user can write: the properties of the schema, of its definitions and of
 * anything below them, with the path where each sits. Properties inside `if`/`then`/`else`
 * only narrow a key declared one level up (e.g. `low` of an int must be an integer), so
 * they are not keys of their own.
 */
function schemaKeys(): { path: string; key: string; node: Schema }[] {
  const out: { path: string; key: string; node: Schema }[] = [];
  const walk = (node: unknown, path: string): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach((n) => walk(n, path));
      return;
    }
    for (const [k, v] of Object.entries(node as Schema)) {
      if (k === 'if' || k === 'then' || k === 'else') continue;
      if (k === 'properties' || k === 'definitions') {
        for (const [key, child] of Object.entries(v as Record<string, Schema>)) {
          if (k === 'properties') out.push({ path: `${path}${key}`, key, node: child });
          walk(child, k === 'properties' ? `${path}${key}.` : `definitions.${key}.`);
        }
      } else {
        walk(v, path);
      }
    }
  };
  walk(schema, '');
  return out;
}

function definition(ref: string): Schema {
  const name = ref.replace('#/definitions/', '');
  const def = (schema.definitions as Record<string, Schema>)[name];
  assert.ok(def, `no definition ${ref}`);
  return def;
}

test('every key of the schema, definitions included, has a description (directly or through its $ref)', () => {
  const keys = schemaKeys();
  assert.ok(keys.length >= 60, `found only ${keys.length} keys`);
  const missing = keys
    .filter(({ node }) => {
      const target = typeof node.$ref === 'string' ? definition(node.$ref) : node;
      return typeof target.description !== 'string' || target.description.trim().length < 8;
    })
    .map(({ path }) => path);
  assert.deepEqual(missing, []);
  for (const [name, def] of Object.entries(schema.definitions as Record<string, Schema>)) {
    assert.equal(typeof def.description, 'string', `definitions.${name} has no description`);
  }
});

test('docs/searchspace.md mentions every key of the schema, so the reference cannot drift', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'searchspace.md'), 'utf8');
  const missing = [...new Set(schemaKeys().map((k) => k.key))].filter((key) => !doc.includes(`\`${key}\``));
  assert.deepEqual(missing, [], 'keys of the schema not written as `key` in docs/searchspace.md');
  // And every value of every enum, so a new model, metric or backend gets documented too.
  const enums = new Set<string>();
  const collect = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(collect);
    for (const [k, v] of Object.entries(node as Schema)) {
      if (k === 'enum' && Array.isArray(v)) v.forEach((e) => enums.add(String(e)));
      else collect(v);
    }
  };
  collect(schema.properties);
  collect(schema.definitions);
  const undocumented = [...enums].filter((value) => !doc.includes(`\`${value}\``));
  assert.deepEqual(undocumented, [], 'enum values not written as `value` in docs/searchspace.md');
});
