/**
 * Shape validation against `schema/searchspace.schema.json` (the same file editors use
 * through `# yaml-language-server: $schema=...`), with ajv errors rewritten as one-line
 * messages that say what was expected.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Path } from './errors.js';
import { describeValue, didYouMean, formatNumber, listValues, type Anchor, type Reporter } from './error-reporter.js';

const SCHEMA_FILE = join('schema', 'searchspace.schema.json');

/**
 * The schema file lives at the package root, which is two folders above `src/config`
 * and three above `dist/src/config`; walking up finds it from either (and from an
 * installed package, whose `files` ship `schema/` but not `dist/schema/`).
 */
export function schemaPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`hpsearch: cannot find ${SCHEMA_FILE} above ${fileURLToPath(import.meta.url)}`);
}

/** What a validator checks: a whole file, a `params` mapping, or an `enqueue` list. */
export type ShapeTarget = 'file' | 'params' | 'enqueue';

const TARGET_REF: Record<ShapeTarget, string> = {
  file: 'searchspace',
  params: 'searchspace#/definitions/params',
  enqueue: 'searchspace#/properties/enqueue',
};

let validators: Map<ShapeTarget, ValidateFunction> | undefined;

function validator(target: ShapeTarget): ValidateFunction {
  if (!validators) {
    const ajv = new Ajv({
      // All errors, so that the one reported is the first in the file, not the first
      // in schema order.
      allErrors: true,
      // Keep the failing value and schema on each error to write a useful message.
      verbose: true,
      // NaN and ±Infinity are not numbers for any setting or parameter.
      strictNumbers: true,
      allowUnionTypes: true,
      // `required` inside if/then names properties declared one level up.
      strictRequired: false,
    });
    // Our annotation: the phrase that completes "expected ..." in an error message.
    ajv.addVocabulary(['x-expected']);
    const schema = JSON.parse(readFileSync(schemaPath(), 'utf8')) as unknown;
    ajv.addSchema(boundIntegers(inlineRefs(schema, schema)) as object, 'searchspace');
    validators = new Map();
    for (const t of Object.keys(TARGET_REF) as ShapeTarget[]) {
      const fn = ajv.getSchema(TARGET_REF[t]);
      if (!fn) throw new Error(`hpsearch: schema has no ${TARGET_REF[t]}`);
      validators.set(t, fn);
    }
  }
  return validators.get(target) as ValidateFunction;
}

/**
 * Replace every local `$ref` by the schema it names (the schema is not recursive).
 * Ajv compiles a `$ref` into a call whose errors it appends with `concat`, which is
 * quadratic when thousands of parameters are wrong at once; inlined, they are pushed.
 */
function inlineRefs(node: unknown, root: unknown, depth = 0): unknown {
  if (depth > 50) throw new Error('hpsearch: the search-space schema refers to itself');
  if (Array.isArray(node)) return node.map((n) => inlineRefs(n, root, depth));
  if (node === null || typeof node !== 'object') return node;
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    let target = root;
    for (const seg of ref.slice(2).split('/')) target = (target as Record<string, unknown>)[seg];
    return inlineRefs(target, root, depth + 1);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inlineRefs(v, root, depth)]));
}

/**
 * Give every integer setting the bounds of exact integers (±(2^53 − 1)) where the schema
 * sets none: YAML reads `99999999999999999999` as the integer 1e20, which JavaScript can
 * neither count to nor store as written, so `trials: 99999999999999999999` must be refused
 * with its line rather than start a study that never ends.
 */
function boundIntegers(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(boundIntegers);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, boundIntegers(v)]));
  const type = out.type;
  if (type === 'integer' || (Array.isArray(type) && type.includes('integer'))) {
    if (out.maximum === undefined && out.exclusiveMaximum === undefined) out.maximum = Number.MAX_SAFE_INTEGER;
    if (out.minimum === undefined && out.exclusiveMinimum === undefined) out.minimum = -Number.MAX_SAFE_INTEGER;
  }
  return out;
}

interface Issue {
  readonly path: Path;
  readonly anchor: Anchor;
  readonly reason: string;
  /** For unknown keys and missing keys: the mapping they belong to. */
  readonly object?: string;
  readonly kind: 'unknown-key' | 'missing-key' | 'other';
}

/**
 * Validate `value` against the schema part named by `target`; throw the first mistake
 * in file order (ajv order when there are no positions). `base` is where `value` sits
 * in the document.
 */
export function checkShape(target: ShapeTarget, value: unknown, report: Reporter, base: Path = []): void {
  const validate = validator(target);
  if (validate(value)) return;
  // Copy at once: ajv keeps the errors on the shared function.
  const errors = [...(validate.errors ?? [])];
  let issues = errors.map((e) => toIssue(e, value, base)).filter((i): i is Issue => i !== null);
  // A misspelt key also shows up as a missing one; the misspelling is the useful message.
  const misspelt = new Set(issues.filter((i) => i.kind === 'unknown-key').map((i) => i.object));
  issues = issues.filter((i) => !(i.kind === 'missing-key' && misspelt.has(i.object)));
  if (issues.length === 0) report.fail(base, `does not match the search-space schema (${errors[0]?.message ?? 'unknown'})`);
  const ranked = issues
    .map((issue, order) => ({ issue, order, pos: report.position(issue.path, issue.anchor) }))
    .sort((a, b) => a.pos.line - b.pos.line || a.pos.column - b.pos.column || a.order - b.order);
  const first = (ranked[0] as (typeof ranked)[number]).issue;
  report.fail(first.path, first.reason, first.anchor);
}

type SchemaNode = Readonly<Record<string, unknown>>;

function toIssue(e: ErrorObject, root: unknown, base: Path): Issue | null {
  const here = [...base, ...pointerToPath(root, e.instancePath)];
  const schema = (e.parentSchema ?? {}) as SchemaNode;
  const expectedPhrase = typeof schema['x-expected'] === 'string' ? schema['x-expected'] : undefined;
  const got = `got ${describeValue(e.data)}`;
  switch (e.keyword) {
    // Wrappers around the errors that say what is wrong.
    case 'if':
    case 'propertyNames':
      return null;
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const allowed = Object.keys((schema.properties ?? {}) as object);
      return unknownKey(here, key, allowed, valueAt(root, e.instancePath));
    }
    case 'enum': {
      const allowed = (e.params.allowedValues ?? []) as unknown[];
      if (e.propertyName !== undefined) {
        return unknownKey(here, e.propertyName, allowed.map(String), valueAt(root, e.instancePath));
      }
      const hint = typeof e.data === 'string' ? didYouMean(e.data, allowed.map(String)) : '';
      return other(here, `expected one of ${listValues(allowed)}, ${got}${hint}`);
    }
    case 'pattern':
    case 'maxLength':
      if (e.propertyName !== undefined) {
        return {
          path: [...here, e.propertyName],
          anchor: 'key',
          reason: `invalid name ${JSON.stringify(e.propertyName)}: expected ${expectedPhrase ?? `a name matching ${String(e.params.pattern)}`}`,
          kind: 'other',
        };
      }
      if (e.keyword === 'maxLength') return other(here, `expected at most ${String(e.params.limit)} characters, ${got}`);
      return other(here, `expected ${expectedPhrase ?? `a string matching ${String(e.params.pattern)}`}, ${got}`);
    case 'required': {
      const key = String(e.params.missingProperty);
      return {
        path: here,
        anchor: 'key',
        reason: `missing required key "${key}"`,
        object: pathKey(here),
        kind: 'missing-key',
      };
    }
    case 'type': {
      if (typeof e.data === 'number' && !Number.isFinite(e.data)) return other(here, `expected a finite number, ${got}`);
      return other(here, `expected ${expectedPhrase ?? typePhrase(e.params.type as string | string[])}, ${got}`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const noun = typePhrase(schema.type as string | string[] | undefined, true);
      const bound = `${noun} ${String(e.params.comparison)} ${formatNumber(Number(e.params.limit))}`;
      return other(here, `expected ${expectedPhrase ?? bound}, ${got}`);
    }
    case 'minItems':
      return other(here, `expected at least ${String(e.params.limit)} item${e.params.limit === 1 ? '' : 's'}, ${got === 'got a list' ? 'got an empty list' : got}`);
    case 'minProperties':
      return other(here, `expected at least ${String(e.params.limit)} entr${e.params.limit === 1 ? 'y' : 'ies'}, got an empty mapping`);
    case 'minLength':
      return other(here, `expected a non-empty string, ${got}`);
    case 'uniqueItems': {
      const later = Math.max(Number(e.params.i), Number(e.params.j));
      const earlier = Math.min(Number(e.params.i), Number(e.params.j));
      const item = Array.isArray(e.data) ? (e.data as unknown[])[later] : undefined;
      return other([...here, later], `duplicate ${describeValue(item)} (same as item ${earlier}); expected distinct values`);
    }
    default:
      return other(here, e.message ?? `does not match the schema (${e.keyword})`);
  }
}

function other(path: Path, reason: string): Issue {
  return { path, anchor: 'value', reason, kind: 'other' };
}

function unknownKey(objectPath: Path, key: string, allowed: readonly string[], object: unknown): Issue {
  // Say which type narrowed the keys ("for type median") when the mapping has one.
  const type =
    object !== null && typeof object === 'object' && typeof (object as Record<string, unknown>).type === 'string'
      ? ` for type ${JSON.stringify((object as Record<string, unknown>).type)}`
      : '';
  return {
    path: [...objectPath, key],
    anchor: 'key',
    reason: `unknown key ${JSON.stringify(key)}${type}${didYouMean(key, allowed)}; expected one of: ${allowed.join(', ')}`,
    object: pathKey(objectPath),
    kind: 'unknown-key',
  };
}

function pathKey(path: Path): string {
  return JSON.stringify(path);
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  integer: 'an integer',
  string: 'a string',
  boolean: 'a boolean (true or false)',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

/** `['number', 'string']` → "a number or a string"; `bare` drops the booleans' gloss. */
function typePhrase(type: string | readonly string[] | undefined, numeric = false): string {
  if (type === undefined) return 'a value';
  const types = typeof type === 'string' ? [type] : [...type];
  if (numeric) return types.includes('integer') ? 'an integer' : 'a number';
  const words = types.map((t) => TYPE_WORDS[t] ?? t);
  return words.length === 1 ? (words[0] as string) : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1] as string}`;
}

/** JSON pointer (`/enqueue/0/x~1y`) → path segments, with list indices as numbers. */
function pointerToPath(root: unknown, pointer: string): Path {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(seg));
      node = node[Number(seg)];
    } else {
      out.push(seg);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const seg of pointerToPath(root, pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}
