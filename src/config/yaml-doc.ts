/**
 * The YAML side of the parser: reading a document with positions, refusing the YAML
 * features a search space has no use for, and mapping key paths back to line:column.
 */
import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseDocument,
  type Alias,
  type Document,
  type Node,
  type Pair,
  type YAMLError,
  type YAMLMap,
} from 'yaml';
import { MAX_ALIAS_COUNT } from './defaults.js';
import { SpaceError, formatPath, type Path } from './errors.js';
import type { Anchor, Locator, Position } from './error-reporter.js';

/** Tags a search space may carry: the YAML 1.2 core schema. Anything else (`!!binary`, `!!set`) is refused. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

export interface LoadedYaml {
  readonly value: unknown;
  readonly locator: Locator;
  /** Whether the document holds anything (an empty file parses to null). */
  readonly empty: boolean;
}

/** Parse `text`; throw a `SpaceError` at the first syntax error or refused construct. */
export function loadYaml(text: string, file: string): LoadedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    // Plain messages; we add file:line:column ourselves. (Pretty errors also copy
    // source context into the message, which is slow on deeply nested input.)
    prettyErrors: false,
    // Duplicate keys are found by `checkNodes` in linear time (yaml's own check is
    // quadratic in the size of a mapping) and on the keys as JavaScript sees them.
    uniqueKeys: false,
    version: '1.2',
  });
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw yamlProblem(problem, file, at);
  const aliasTargets = checkNodes(doc, file, at);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    // Aliases were checked above, so what is left is a stack overflow on a deep
    // document or yaml's guard against alias expansion ("billion laughs").
    if (e instanceof RangeError) throw new SpaceError(file, 1, 1, '', 'invalid YAML: the document nests too deeply');
    const first = [...aliasTargets.keys()][0];
    const pos = first?.range ? at(first.range[0]) : { line: 1, column: 1 };
    throw new SpaceError(
      file,
      pos.line,
      pos.column,
      '',
      `aliases expand to too many values (limit ${MAX_ALIAS_COUNT}); a search space should not need that many`,
    );
  }
  return { value, locator: yamlLocator(doc, aliasTargets, at), empty: doc.contents === null };
}

function yamlProblem(err: YAMLError, file: string, at: (offset: number) => Position): SpaceError {
  const pos = at(err.pos[0]);
  let message = err.message.split('\n')[0] as string;
  if (/call stack/i.test(message)) message = 'the document nests too deeply';
  // A tag yaml cannot resolve (`!!js/function`, `!custom`) is the same refusal as a known tag
  // outside the core schema, and is worded the same.
  const tag = err.code === 'TAG_RESOLVE_FAILED' ? /Unresolved tag: (\S+)/.exec(message)?.[1] : undefined;
  if (tag !== undefined) return new SpaceError(file, pos.line, pos.column, '', unsupportedTag(tag));
  return new SpaceError(file, pos.line, pos.column, '', `invalid YAML: ${message}`);
}

function unsupportedTag(tag: string): string {
  return `unsupported tag ${tag}; expected plain numbers, strings, booleans, lists and mappings`;
}

/** The text of a mapping key as `toJS` would make it (null keys become ''). */
function keyText(key: unknown): string {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return String(key);
}

interface Visit {
  readonly node: unknown;
  readonly path: Path;
}

/**
 * Call `onNode` on every node in document order, with its key path. Iterative: the
 * nesting depth is the input's to choose.
 */
function walk(doc: Document, onNode: (node: Node, path: Path) => void): void {
  const stack: Visit[] = [{ node: doc.contents, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop() as Visit;
    if (node === null || node === undefined || !(isMap(node) || isSeq(node) || isScalar(node) || isAlias(node))) continue;
    onNode(node, path);
    const children: Visit[] = [];
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = keyText(pair.key);
        children.push({ node: pair.key, path: [...path, key] });
        children.push({ node: pair.value, path: [...path, key] });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => children.push({ node: item, path: [...path, i] }));
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Visit);
  }
}

/**
 * Refuse keys that are not scalars, tags outside the core schema, and aliases that
 * point nowhere or into themselves. Returns each alias with the node it stands for.
 */
function checkNodes(doc: Document, file: string, at: (offset: number) => Position): Map<Alias, Node> {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  const fail = (node: Node, reason: string, path: Path = []): never => {
    const pos = at(node.range?.[0] ?? 0);
    throw new SpaceError(file, pos.line, pos.column, formatPath(path), reason);
  };
  walk(doc, (node, path) => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) fail(node, `unknown alias *${node.source}; expected an anchor &${node.source} defined before it`);
      else if (encloses(target, node)) fail(node, `alias *${node.source} refers to a collection that contains it`);
      else targets.set(node, target);
      return;
    }
    if (node.anchor) anchors.set(node.anchor, node);
    if (node.tag && !CORE_TAGS.has(node.tag)) fail(node, unsupportedTag(node.tag));
    if (isMap(node)) {
      const seen = new Map<string, Node>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (key !== null && !isScalar(key)) fail(key, 'expected a plain key (a name), got a list, a mapping or an alias');
        const text = keyText(key);
        const first = seen.get(text);
        if (first && key) {
          const what = path.length === 1 && path[0] === 'params' ? 'parameter' : 'key';
          const line = at(first.range?.[0] ?? 0).line;
          fail(key, `duplicate ${what} ${JSON.stringify(text)} (first defined at line ${line}); expected unique names`, [...path, text]);
        }
        if (key) seen.set(text, key);
      }
    }
  });
  return targets;
}

function encloses(outer: Node, inner: Node): boolean {
  const [a, b] = [outer.range, inner.range];
  return !!a && !!b && (isMap(outer) || isSeq(outer)) && a[0] <= b[0] && b[1] <= a[1];
}

/** Map key paths to positions, falling back to the deepest node that exists. */
function yamlLocator(doc: Document, aliasTargets: ReadonlyMap<Alias, Node>, at: (offset: number) => Position): Locator {
  // Key lookups are indexed per mapping: ranking thousands of schema errors by position
  // must not cost a scan of the mapping each.
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (isPair(p) && !index.has(keyText(p.key))) index.set(keyText(p.key), p as Pair);
      indexes.set(map, index);
    }
    return index.get(key);
  };
  return {
    locate(path: Path, anchor: Anchor): Position {
      let node: unknown = doc.contents;
      let keyNode: Node | null = null;
      let best: Node | null = isNodeWithRange(node) ? node : null;
      for (const seg of path) {
        if (isAlias(node)) node = aliasTargets.get(node) ?? null;
        if (isMap(node)) {
          const pair = pairOf(node, String(seg));
          if (!pair) break;
          keyNode = pair.key as Node;
          node = pair.value;
        } else if (isSeq(node)) {
          const item = node.items[Number(seg)];
          if (item === undefined) break;
          keyNode = null;
          node = item;
        } else {
          break;
        }
        if (isNodeWithRange(node)) best = isEmptyScalar(node) && keyNode ? keyNode : node;
        else best = keyNode ?? best;
      }
      const target = anchor === 'key' && keyNode && best !== null ? keyNode : best;
      const offset = target?.range?.[0];
      return offset === undefined ? { line: 1, column: 1 } : at(offset);
    },
  };
}

function isNodeWithRange(node: unknown): node is Node {
  return (isMap(node) || isSeq(node) || isScalar(node) || isAlias(node)) && !!node.range;
}

/** `key:` with nothing after it: point at the key rather than at the empty spot after the colon. */
function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && !!node.range && node.range[0] === node.range[1];
}
