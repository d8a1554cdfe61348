/**
 * The parameter rules JSON Schema cannot express, shared by the YAML front end
 * (`parse.ts`) and the object front end (`api.ts`): ranges, `log`, `step`, `when`
 * references and cycles, the topological order, and the checks of enqueued
 * configurations. Both front ends run the schema first, so the shapes here are known;
 * only the `Reporter` differs (file positions or bare key paths).
 */
import { conditionHolds, contains } from '../core/distributions.js';
import type { Path } from './errors.js';
import { describeValue, didYouMean, formatNumber, listValues, type Reporter } from './error-reporter.js';
import type { ChoiceValue, Condition, Distribution, ParamSpec, ParamValue, Params, SearchSpace } from '../core/search-space.js';

/** One parameter as written (already checked against the schema). */
export type RawParam =
  | {
      readonly type: 'float' | 'int';
      readonly low: number;
      readonly high: number;
      readonly log?: boolean;
      readonly step?: number;
      readonly when?: RawCondition;
    }
  | { readonly type: 'categorical'; readonly choices: readonly ChoiceValue[]; readonly when?: RawCondition };

export type RawCondition = Readonly<Record<string, ChoiceValue | readonly ChoiceValue[]>>;
export type RawParams = Readonly<Record<string, RawParam>>;
export type RawConfiguration = Readonly<Record<string, ChoiceValue>>;

/** Relative tolerance of "step divides high - low". */
const STEP_TOLERANCE = 1e-9;

/**
 * Build the search space from `raw` (found at `base` in the document), sorted so that
 * every parameter comes after the ones its `when` names.
 */
export function buildSearchSpace(raw: RawParams, report: Reporter, base: Path): SearchSpace {
  const names = Object.keys(raw);
  const dists = new Map<string, Distribution>();
  for (const name of names) {
    // `name in params` is how conditions are tested; an inherited name would always hold.
    if (name in Object.prototype) report.fail([...base, name], `"${name}" is a reserved name; choose another`, 'key');
    dists.set(name, buildDistribution(raw[name] as RawParam, report, [...base, name]));
  }
  const conditions = new Map<string, Condition>();
  for (const name of names) {
    const when = (raw[name] as RawParam).when;
    if (when !== undefined) conditions.set(name, buildCondition(name, when, dists, report, [...base, name, 'when']));
  }
  const order = sortByConditions(names, conditions, report, base);
  return order.map((name): ParamSpec => {
    const when = conditions.get(name);
    const distribution = dists.get(name) as Distribution;
    return when === undefined ? { name, distribution } : { name, distribution, when };
  });
}

function buildDistribution(raw: RawParam, report: Reporter, path: Path): Distribution {
  if (raw.type === 'categorical') return { type: 'categorical', choices: [...raw.choices] };
  const { type, low, high } = raw;
  const log = raw.log ?? false;
  if (type === 'int') {
    // Beyond 2^53 integers are no longer exact, and a sampled value could not be stored as given.
    for (const key of ['low', 'high'] as const) {
      if (!Number.isSafeInteger(raw[key])) {
        report.fail([...path, key], `expected an integer within ±${Number.MAX_SAFE_INTEGER}, got ${formatNumber(raw[key])}`);
      }
    }
  }
  if (low > high) {
    report.fail([...path, 'high'], `empty range: expected high >= low (${formatNumber(low)}), got ${formatNumber(high)}`);
  }
  if (log && low <= 0) {
    report.fail([...path, 'low'], `expected low > 0 because log is true, got ${formatNumber(low)}`);
  }
  const step = raw.step;
  if (step !== undefined) {
    // Integers always have a step of 1, so an explicit `step: 1` is harmless with `log`.
    if (log && !(type === 'int' && step === 1)) {
      report.fail([...path, 'step'], 'step cannot be combined with log: true; expected one or the other');
    }
    const span = high - low;
    const k = span / step;
    if (Math.abs(k - Math.round(k)) > STEP_TOLERANCE * Math.max(1, Math.abs(k))) {
      report.fail(
        [...path, 'step'],
        `expected a step that divides high - low (${formatNumber(span)}), got ${formatNumber(step)}`,
      );
    }
  }
  if (type === 'int') return { type, low, high, log, step: step ?? 1 };
  return { type, low, high, log, step: step ?? null };
}

function buildCondition(
  name: string,
  when: RawCondition,
  dists: ReadonlyMap<string, Distribution>,
  report: Reporter,
  path: Path,
): Condition {
  const out: Record<string, readonly ChoiceValue[]> = {};
  for (const [ref, value] of Object.entries(when)) {
    const refPath = [...path, ref];
    if (ref === name) report.fail(refPath, `conditional cycle ${name} -> ${name}: a parameter cannot depend on itself`, 'key');
    const dist = dists.get(ref);
    if (dist === undefined) {
      const known = [...dists.keys()].filter((n) => n !== name);
      const expected = known.length === 0 ? 'the space has no other parameter' : `expected one of: ${known.join(', ')}`;
      report.fail(refPath, `unknown parameter "${ref}"${didYouMean(ref, known)}; ${expected}`, 'key');
    }
    if (dist.type !== 'categorical') {
      report.fail(refPath, `"${ref}" is ${dist.type === 'int' ? 'an int' : 'a float'} parameter; when can only name categorical parameters`, 'key');
    }
    const values = isList(value) ? value : [value];
    values.forEach((v, i) => {
      if (!dist.choices.some((c) => c === v)) {
        const at = isList(value) ? [...refPath, i] : refPath;
        report.fail(at, `expected one of the choices of ${ref} (${listValues(dist.choices)}), got ${describeValue(v)}`);
      }
    });
    out[ref] = [...values];
  }
  return out;
}

function isList(v: ChoiceValue | readonly ChoiceValue[]): v is readonly ChoiceValue[] {
  return Array.isArray(v);
}

/**
 * A stable topological order: among the parameters whose conditions are placed, the
 * one earliest in the file goes next, so a space without `when` keeps file order.
 * Throws on a cycle, at the `when` entry that closes it.
 */
function sortByConditions(
  names: readonly string[],
  conditions: ReadonlyMap<string, Condition>,
  report: Reporter,
  base: Path,
): string[] {
  const index = new Map(names.map((n, i) => [n, i]));
  const deps = names.map((n) => Object.keys(conditions.get(n) ?? {}).map((d) => index.get(d) as number));
  findCycle(names, deps, report, base);
  const dependents: number[][] = names.map(() => []);
  const waiting = deps.map((d) => d.length);
  deps.forEach((ds, i) => ds.forEach((d) => (dependents[d] as number[]).push(i)));
  const ready = new MinHeap();
  waiting.forEach((w, i) => w === 0 && ready.push(i));
  const order: string[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    order.push(names[i] as string);
    for (const j of dependents[i] as number[]) {
      waiting[j] = (waiting[j] as number) - 1;
      if (waiting[j] === 0) ready.push(j);
    }
  }
  return order;
}

/** Depth-first search in file order, iterative so that a long `when` chain cannot overflow the stack. */
function findCycle(names: readonly string[], deps: readonly (readonly number[])[], report: Reporter, base: Path): void {
  const state = new Uint8Array(names.length); // 0 new, 1 on the stack, 2 done
  for (let start = 0; start < names.length; start++) {
    if (state[start] !== 0) continue;
    const stack: { node: number; next: number }[] = [{ node: start, next: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: number; next: number };
      const ds = deps[top.node] as readonly number[];
      if (top.next >= ds.length) {
        state[top.node] = 2;
        stack.pop();
        continue;
      }
      const d = ds[top.next++] as number;
      if (state[d] === 1) {
        const from = stack.findIndex((f) => f.node === d);
        const loop = [...stack.slice(from).map((f) => names[f.node] as string), names[d] as string];
        const at = names[top.node] as string;
        report.fail(
          [...base, at, 'when', names[d] as string],
          `conditional cycle ${loop.join(' -> ')}: each parameter's when names the next`,
          'key',
        );
      }
      if (state[d] === 0) {
        state[d] = 1;
        stack.push({ node: d, next: 0 });
      }
    }
  }
}

/** Binary min-heap of indices: keeps the topological sort O(n log n) on hostile inputs. */
class MinHeap {
  private readonly items: number[] = [];
  get size(): number {
    return this.items.length;
  }
  push(v: number): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as number) <= v) break;
      a[i] = a[p] as number;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.items;
    const top = a[0] as number;
    const last = a.pop() as number;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && (a[r] as number) < (a[l] as number) ? r : l;
        if ((a[c] as number) >= last) break;
        a[i] = a[c] as number;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

/** "a float in [0.1, 0.4]", "an integer in [2, 4] in steps of 2", "one of 16, 32". */
export function describeDistribution(dist: Distribution): string {
  if (dist.type === 'categorical') return `one of ${listValues(dist.choices)}`;
  const noun = dist.type === 'int' ? 'an integer' : 'a number';
  let text = `${noun} in [${formatNumber(dist.low)}, ${formatNumber(dist.high)}]`;
  if (dist.log) text += ' (log scale)';
  if (dist.step !== null && !(dist.type === 'int' && dist.step === 1)) text += ` in steps of ${formatNumber(dist.step)}`;
  return text;
}

/**
 * Check enqueued configurations against the space: every key a parameter, every value
 * inside its distribution, every parameter active under the configuration present and
 * no inactive one given. Returns the configurations in space order.
 */
export function checkConfigurations(
  space: SearchSpace,
  configs: readonly RawConfiguration[],
  report: Reporter,
  base: Path,
): Params[] {
  const byName = new Map(space.map((p) => [p.name, p]));
  return configs.map((config, i) => {
    const path = [...base, i];
    for (const key of Object.keys(config)) {
      if (!byName.has(key)) {
        const known = [...byName.keys()];
        const expected = known.length === 0 ? 'the space has no parameters' : `expected one of: ${known.join(', ')}`;
        report.fail([...path, key], `unknown parameter "${key}"${didYouMean(key, known)}; ${expected}`, 'key');
      }
    }
    const chosen: Record<string, ParamValue> = {};
    for (const spec of space) {
      const given = Object.hasOwn(config, spec.name);
      if (!conditionHolds(spec.when, chosen)) {
        if (given) {
          report.fail(
            [...path, spec.name],
            `"${spec.name}" is inactive in this configuration (it needs ${describeCondition(spec.when)}); remove it`,
            'key',
          );
        }
        continue;
      }
      if (!given) report.fail(path, `missing parameter "${spec.name}": expected ${describeDistribution(spec.distribution)}`, 'key');
      const value = config[spec.name] as ChoiceValue;
      if (!contains(spec.distribution, value)) {
        report.fail([...path, spec.name], `expected ${describeDistribution(spec.distribution)}, got ${describeValue(value)}`);
      }
      chosen[spec.name] = value;
    }
    return chosen;
  });
}

function describeCondition(when: Condition | undefined): string {
  return Object.entries(when ?? {})
    .map(([name, values]) => (values.length === 1 ? `${name} = ${listValues(values)}` : `${name} in [${listValues(values)}]`))
    .join(' and ');
}
