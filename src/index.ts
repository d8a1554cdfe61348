/**
 * hpsearch's library API (README "Library API"): studies driven by ask/tell or
 * `optimize`, on an SQLite file, ':memory:' or a PostgreSQL server (a storage URL).
 */
export { createStudy, loadStudy, type CreateStudyOptions, type LoadStudyOptions, type SamplerOption, type PrunerOption } from './study/api.js';
export { Study, TrialPruned, type AskedTrial, type BestTrial, type Objective, type OptimizeOptions, type StudyConfig, type TellResult } from './study/study.js';
export type { FrozenTrial, IntermediateValue, Metrics, TrialState } from './core/trial.js';
export type { Sampler, SampleContext } from './samplers/base.js';
export type { Pruner, PruneContext } from './pruners/base.js';
export { RandomSampler, TPESampler } from './samplers/index.js';
export { SuccessiveHalvingPruner, MedianPruner, NopPruner } from './pruners/index.js';
export type { Storage, StudyRecord, LeaderboardRow } from './storage/types.js';
export { SqliteStorage } from './storage/sqlite/storage.js';
export { PostgresStorage } from './storage/postgres/storage.js';
export { parseSpaceFile, parseSpaceText, spaceFromObject, SpaceError } from './config/index.js';
export type { Distribution, Direction, ParamSpec, Params, ParamValue, SearchSpace } from './core/search-space.js';
export type { StudySettings } from './config/settings.js';
export { InputError } from './core/errors.js';
