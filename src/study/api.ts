import type { Direction, Params } from '../core/search-space.js';
import type { PrunerSettings, SamplerSettings } from '../config/settings.js';
import type { SamplerConfig } from '../samplers/index.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import { openStorageAt } from '../storage/open.js';
import { StudyExistsError, StudyNotFoundError } from '../storage/errors.js';
import { spaceFromObject, configurationsFromObject, type SpaceInput } from '../config/api.js';
import { DEFAULT_PRUNERS, DEFAULT_SAMPLER, DEFAULT_SEED } from '../config/defaults.js';
import { SpaceError } from '../config/errors.js';
import { distributionsOf } from '../core/distributions.js';
import { Study, type StudyConfig } from './study.js';

/** What `createStudy` accepts as a sampler: the settings `createSampler` takes (`src/samplers/index.ts`). */
export type SamplerOption = SamplerConfig;
export type PrunerOption =
  | { readonly type: 'none' }
  | ({ readonly type: 'asha' } & Partial<Omit<Extract<PrunerSettings, { type: 'asha' }>, 'type'>>)
  | ({ readonly type: 'median' } & Partial<Omit<Extract<PrunerSettings, { type: 'median' }>, 'type'>>);

export interface CreateStudyOptions {
  /**
   * A storage URL (`postgresql://user:pass@host:port/db`, `sqlite:///path.db`), a path to
   * an SQLite file, ':memory:', or an open storage.
   */
  readonly storage: string | Storage;
  readonly name: string;
  readonly direction?: Direction;
  /** Name of the objective, for display (default 'value'). */
  readonly metric?: string;
  readonly space: SpaceInput;
  readonly sampler?: SamplerOption;
  readonly pruner?: PrunerOption;
  /** Study seed: trial seeds derive from it. */
  readonly seed?: number;
  /** Objectives expected to run at once (turns the TPE constant liar on when above 1). */
  readonly workers?: number;
  /** Configurations to try first. */
  readonly enqueue?: readonly Params[];
  /** Open the study when one of that name exists instead of failing (Optuna's load_if_exists). */
  readonly loadIfExists?: boolean;
}

export interface LoadStudyOptions {
  readonly storage: string | Storage;
  readonly name: string;
}

function openStorage(storage: string | Storage): Promise<Storage> {
  return typeof storage === 'string' ? openStorageAt(storage) : Promise.resolve(storage);
}

/** The settings stored with an API-created study; `configFromSettings` reads them back. */
interface ApiStudySettings {
  readonly kind: 'api';
  readonly params: StudyConfig['space'];
  readonly sampler: SamplerSettings;
  readonly pruner: PrunerSettings;
  readonly seed: number;
  readonly workers: number;
}

/**
 * The ask/tell configuration of a stored study, whether it was created from YAML (a full
 * `StudySettings`) or through the API.
 */
export function configFromRecord(record: StudyRecord): StudyConfig {
  const s = record.settings as Partial<ApiStudySettings> & { workers?: number };
  if (!s || !Array.isArray(s.params) || !s.sampler || !s.pruner) {
    throw new Error(`study "${record.name}" has no usable settings stored`);
  }
  return {
    direction: record.direction,
    metric: record.metric,
    space: s.params,
    sampler: s.sampler,
    pruner: s.pruner,
    seed: s.seed ?? DEFAULT_SEED,
    workers: s.workers ?? 1,
  };
}

/** Creates a study (Optuna's `create_study`); throws when the name is taken unless `loadIfExists`. */
export async function createStudy(options: CreateStudyOptions): Promise<Study> {
  const space = spaceFromObject(options.space, 'space');
  const enqueue = options.enqueue ? configurationsFromObject(space, options.enqueue, 'enqueue') : [];
  const sampler: SamplerSettings = { ...DEFAULT_SAMPLER, seed: DEFAULT_SEED, ...(options.sampler ?? {}) };
  const prunerType = options.pruner?.type ?? 'none';
  const pruner = { ...DEFAULT_PRUNERS[prunerType], ...(options.pruner ?? {}) } as PrunerSettings;
  if (options.direction !== undefined && options.direction !== 'minimize' && options.direction !== 'maximize') {
    throw new SpaceError('', 0, 0, 'direction', `expected "minimize" or "maximize", got ${JSON.stringify(options.direction)}`);
  }
  const settings: ApiStudySettings = {
    kind: 'api',
    params: space,
    sampler,
    pruner,
    seed: options.seed ?? DEFAULT_SEED,
    workers: options.workers ?? 1,
  };
  const storage = await openStorage(options.storage);
  let record: StudyRecord;
  try {
    record = await storage.createStudy({
      name: options.name,
      direction: options.direction ?? 'minimize',
      metric: options.metric ?? 'value',
      yaml: null,
      settings,
      enqueue: enqueue.map((params) => ({ params, distributions: distributionsOf(space, params) })),
    });
  } catch (err) {
    if (err instanceof StudyExistsError && options.loadIfExists) return loadStudy({ storage, name: options.name });
    throw err;
  }
  return new Study(storage, record, configFromRecord(record));
}

/** Opens a stored study with the space and settings it was created with. */
export async function loadStudy(options: LoadStudyOptions): Promise<Study> {
  const storage = await openStorage(options.storage);
  const record = await storage.getStudy(options.name);
  if (!record) throw new StudyNotFoundError(options.name);
  const study = new Study(storage, record, configFromRecord(record));
  await study.refresh();
  return study;
}
