/**
 * From a schema-valid search-space document to `StudySettings`: defaults applied, the
 * checks that span several keys, the parameters and the enqueued configurations.
 */
import { basename, dirname, extname, resolve as resolvePath } from 'node:path';
import { metricDirection } from '../core/direction.js';
import { isDataFileName } from './data-source.js';
import {
  DEFAULT_BACKEND,
  DEFAULT_BUDGET,
  DEFAULT_DATA,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_HEARTBEAT_GRACE_S,
  DEFAULT_KEEP_MODELS,
  DEFAULT_LR_SCHEDULE,
  DEFAULT_MAX_RETRIES,
  DEFAULT_METRICS,
  DEFAULT_MODEL,
  DEFAULT_OBJECTIVE_METRIC,
  DEFAULT_PRUNERS,
  DEFAULT_PRUNER_TYPE,
  DEFAULT_SAMPLER,
  DEFAULT_SEED,
  DEFAULT_WORKERS,
} from './defaults.js';
import { checkHyperparameters, hyperparamDefaults } from './hyperparams.js';
import { buildSearchSpace, checkConfigurations, type RawConfiguration, type RawParams } from './params.js';
import type { Reporter } from './error-reporter.js';
import type {
  AugmentSettings,
  BackendName,
  CvSettings,
  MetricsSettings,
  DataSettings,
  EarlyStoppingSettings,
  LrScheduleSettings,
  ModelName,
  PrunerSettings,
  SamplerSettings,
  SplitSettings,
  StudySettings,
} from './settings.js';
import type { ChoiceValue, Direction, Params } from '../core/search-space.js';

/** A search-space document as the schema admits it: every key but `params` optional. */
export interface RawSpaceFile {
  readonly study?: string;
  readonly model?: ModelName;
  readonly objective?: { readonly metric?: string; readonly direction?: Direction };
  readonly data?: Partial<Omit<DataSettings, 'split' | 'augment' | 'memory_budget' | 'cv'>> & {
    readonly split?: Partial<Omit<SplitSettings, 'val_groups' | 'test_groups'>> & {
      readonly val_groups?: readonly (string | number)[];
      readonly test_groups?: readonly (string | number)[];
    };
    readonly cv?: Partial<CvSettings>;
    readonly augment?: Partial<AugmentSettings>;
    readonly memory_budget?: number | string;
  };
  readonly metrics?: Partial<MetricsSettings>;
  readonly budget?: { readonly trials?: number; readonly epochs?: number };
  readonly sampler?: Partial<SamplerSettings>;
  readonly pruner?: { readonly type?: PrunerSettings['type'] } & Readonly<Record<string, unknown>>;
  readonly early_stopping?: Partial<EarlyStoppingSettings>;
  readonly lr_schedule?: Partial<LrScheduleSettings>;
  readonly workers?: number;
  readonly backend?: BackendName;
  readonly seed?: number;
  readonly max_retries?: number;
  readonly heartbeat_grace_s?: number;
  readonly keep_models?: number | 'all';
  readonly defaults?: Readonly<Record<string, ChoiceValue>>;
  readonly params: RawParams;
  readonly enqueue?: readonly RawConfiguration[];
}

/** Apply defaults and the semantic checks; `fileName` names the study and anchors `data.source`. */
export function resolveSettings(raw: RawSpaceFile, fileName: string, report: Reporter): StudySettings {
  const metric = raw.objective?.metric ?? DEFAULT_OBJECTIVE_METRIC;
  const data = resolveData(raw.data ?? {}, fileName, report);
  const params = buildSearchSpace(raw.params, report, ['params']);
  checkHyperparameters(raw.defaults, params, report);
  const enqueue = checkConfigurations(params, raw.enqueue ?? [], report, ['enqueue']);
  const model = raw.model ?? DEFAULT_MODEL;
  // Every value a trial of this model falls back on, so that the stored settings show them.
  const defaults: Params = { ...hyperparamDefaults(model), ...(raw.defaults ?? {}) };
  return {
    study: raw.study ?? basename(fileName, extname(fileName)),
    model,
    objective: { metric, direction: raw.objective?.direction ?? metricDirection(metric) },
    data,
    metrics: { ignore_classes: [...(raw.metrics?.ignore_classes ?? DEFAULT_METRICS.ignore_classes)] },
    budget: { ...DEFAULT_BUDGET, ...raw.budget },
    sampler: { ...DEFAULT_SAMPLER, ...raw.sampler },
    pruner: resolvePruner(raw.pruner),
    early_stopping: { ...DEFAULT_EARLY_STOPPING, ...raw.early_stopping },
    lr_schedule: { ...DEFAULT_LR_SCHEDULE, ...raw.lr_schedule },
    workers: raw.workers ?? DEFAULT_WORKERS,
    backend: raw.backend ?? DEFAULT_BACKEND,
    seed: raw.seed ?? DEFAULT_SEED,
    max_retries: raw.max_retries ?? DEFAULT_MAX_RETRIES,
    heartbeat_grace_s: raw.heartbeat_grace_s ?? DEFAULT_HEARTBEAT_GRACE_S,
    keep_models: raw.keep_models ?? DEFAULT_KEEP_MODELS,
    defaults,
    params,
    enqueue,
  };
}

/**
 * The split: fractions, or group lists and protocols (`by: group` only), each part given
 * one way. A fraction that a list or protocol replaces is left at its default and not used.
 */
function resolveSplit(raw: NonNullable<NonNullable<RawSpaceFile['data']>['split']>, cv: boolean, report: Reporter): SplitSettings {
  const at = (key: string): (string | number)[] => ['data', 'split', key];
  const names = (key: 'val_groups' | 'test_groups'): string[] | undefined => raw[key]?.map(String);
  const val_groups = names('val_groups');
  const test_groups = names('test_groups');
  const protocol = raw.protocol;
  if (protocol !== undefined) {
    if (raw.by === 'stratified') report.fail(at('by'), `the ${protocol} protocol splits by record: remove by: stratified (it implies by: group)`);
    if (raw.test !== undefined) report.fail(at('test'), `the ${protocol} protocol's test part is its DS2 records: remove test`);
    if (test_groups !== undefined) report.fail(at('test_groups'), `the ${protocol} protocol's test part is its DS2 records: remove test_groups`);
  }
  const by = protocol !== undefined ? 'group' : (raw.by ?? DEFAULT_DATA.split.by);
  for (const [key, list, fraction] of [['val_groups', val_groups, 'val'], ['test_groups', test_groups, 'test']] as const) {
    if (list === undefined) continue;
    if (by !== 'group') report.fail(at(key), `${key} names groups: it needs by: group`);
    if (raw[fraction] !== undefined) report.fail(at(fraction), `the ${fraction === 'val' ? 'validation' : 'test'} part is given twice: by ${key} and by the fraction ${fraction}; keep one`);
  }
  if (cv && (val_groups !== undefined || raw.val !== undefined)) {
    report.fail(at(val_groups !== undefined ? 'val_groups' : 'val'), 'with data.cv every fold validates in turn: remove the validation part of the split');
  }
  test_groups?.forEach((g) => {
    const i = val_groups?.indexOf(g) ?? -1;
    if (i >= 0) report.fail([...at('val_groups'), i], `group ${JSON.stringify(g)} is in val_groups and in test_groups`);
  });
  const split: SplitSettings = {
    val: raw.val ?? DEFAULT_DATA.split.val,
    test: raw.test ?? DEFAULT_DATA.split.test,
    by,
    seed: raw.seed ?? DEFAULT_DATA.split.seed,
    ...(val_groups !== undefined ? { val_groups } : {}),
    ...(test_groups !== undefined ? { test_groups } : {}),
    ...(protocol !== undefined ? { protocol } : {}),
  };
  // Only the fractions that apply must leave data to train on.
  const val = val_groups !== undefined || cv ? 0 : split.val;
  const test = test_groups !== undefined || protocol !== undefined ? 0 : split.test;
  if (val + test >= 1) {
    report.fail(
      at(raw.test !== undefined ? 'test' : 'val'),
      `expected val + test < 1 so that data is left to train on, got ${split.val} + ${split.test}`,
    );
  }
  return split;
}

function resolveData(raw: NonNullable<RawSpaceFile['data']>, fileName: string, report: Reporter): DataSettings {
  const split = resolveSplit(raw.split ?? {}, raw.cv !== undefined, report);
  // The folds follow the split's grouping and seed unless told otherwise.
  const cv: CvSettings | undefined = raw.cv === undefined ? undefined : { folds: raw.cv.folds!, by: raw.cv.by ?? split.by, seed: raw.cv.seed ?? split.seed };
  let source = raw.source ?? DEFAULT_DATA.source;
  if (source !== 'synthetic') {
    if (!isDataFileName(source)) {
      report.fail(['data', 'source'], `expected "synthetic" or the path of an .h5/.hdf5 or .csv file, got ${JSON.stringify(source)}`);
    }
    // Relative to the YAML file, so a space runs the same from any working directory.
    source = resolvePath(dirname(fileName), source);
  }
  const memory_budget =
    raw.memory_budget === undefined ? DEFAULT_DATA.memory_budget : parseByteSize(raw.memory_budget, report);
  return {
    source,
    n: raw.n ?? DEFAULT_DATA.n,
    seed: raw.seed ?? DEFAULT_DATA.seed,
    multilabel: raw.multilabel ?? DEFAULT_DATA.multilabel,
    split,
    ...(cv !== undefined ? { cv } : {}),
    epoch_size: raw.epoch_size ?? DEFAULT_DATA.epoch_size,
    memory_budget,
    augment: { ...DEFAULT_DATA.augment, ...raw.augment },
  };
}

const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Bytes from a number or a string such as "512MB" or "1GiB" (the schema has checked the
 * spelling). KB/MB/GB/TB are powers of 1000, KiB/MiB/GiB/TiB powers of 1024.
 */
export function parseByteSize(value: number | string, report?: Reporter): number {
  let bytes = value;
  if (typeof value === 'string') {
    const m = /^([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)$/i.exec(value.trim());
    const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
    bytes = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  }
  if (!Number.isSafeInteger(bytes) || (bytes as number) < 1) {
    const reason = `expected a positive size in bytes (at most ${Number.MAX_SAFE_INTEGER}), or a string such as "512MB" or "1GiB", got ${JSON.stringify(value)}`;
    if (report) report.fail(['data', 'memory_budget'], reason);
    throw new RangeError(reason);
  }
  return bytes as number;
}

function resolvePruner(raw: RawSpaceFile['pruner']): PrunerSettings {
  // The schema admits only the keys of the chosen type, so a spread cannot mix types.
  const type = raw?.type ?? DEFAULT_PRUNER_TYPE;
  return { ...DEFAULT_PRUNERS[type], ...raw, type } as PrunerSettings;
}
