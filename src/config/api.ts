/**
 * The object front end, for the library API (`createStudy({ space: {...} })`): the same
 * schema and the same rules as the YAML files, with errors naming key paths
 * (`space.x.low: ...`) instead of line:column.
 */
import { SpaceError } from './errors.js';
import { buildSearchSpace, checkConfigurations, type RawConfiguration, type RawParam, type RawParams } from './params.js';
import { NO_POSITION, Reporter } from './error-reporter.js';
import { checkShape } from './schema.js';
import type { Params, SearchSpace } from '../core/search-space.js';

/** A parameter as the library API takes it: the same shape as a YAML `params` entry. */
export type ParamInput = RawParam;

/** `{ x: { type: 'float', low: -5, high: 10 }, k: { type: 'categorical', choices: ['a', 'b'] } }` */
export type SpaceInput = Readonly<Record<string, ParamInput>>;

/**
 * Validate a space given as an object and return it as a `SearchSpace` (sorted so that
 * conditions come first). Takes `unknown` because JavaScript callers can pass anything;
 * `SpaceInput` is the shape it accepts. Throws `SpaceError` with line/column 0.
 */
export function spaceFromObject(obj: unknown, where = 'space'): SearchSpace {
  const report = new Reporter('', NO_POSITION, where);
  requirePlainObject(obj, report);
  checkShape('params', obj, report);
  return buildSearchSpace(obj as RawParams, report, []);
}

/**
 * Validate configurations to enqueue against a space (as `enqueue:` in YAML): known
 * parameters only, values inside their ranges, every active parameter present.
 */
export function configurationsFromObject(space: SearchSpace, configs: unknown, where = 'enqueue'): Params[] {
  const report = new Reporter('', NO_POSITION, where);
  checkShape('enqueue', configs, report);
  return checkConfigurations(space, configs as readonly RawConfiguration[], report, []);
}

/** A Map or class instance would pass as an object with no parameters; say so instead. */
function requirePlainObject(obj: unknown, report: Reporter): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return; // the schema words this one
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    report.fail([], 'expected a plain object of parameters ({ name: { type, ... } })');
  }
}

export { SpaceError };
