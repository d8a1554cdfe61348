/**
 * Every default of a search-space file, in one place, except those of the hyperparameters a
 * trial reads (the `defaults:` block), which `src/config/hyperparams.ts` keeps with their rules
 * and per-model values.
 *
 * `schema/searchspace.schema.json` repeats these values as `default` annotations for
 * editors; `test/config/schema.test.ts` checks that the two never drift apart.
 */
import type {
  BackendName,
  DataSettings,
  EarlyStoppingSettings,
  LrScheduleSettings,
  MetricsSettings,
  ModelName,
  PrunerSettings,
  SamplerSettings,
} from './settings.js';
import type { Direction } from '../core/search-space.js';

/** Metrics a study can optimise; all are measured on the validation split. */
export const OBJECTIVE_METRICS = [
  'val_loss',
  'loss',
  'accuracy',
  'recall_macro',
  'precision_macro',
  'f1_macro',
  'balanced_accuracy',
  'auroc_macro',
  'f1_micro',
] as const;
export type ObjectiveMetric = (typeof OBJECTIVE_METRICS)[number];

export const MODELS = ['cnngru', 'cnn2d', 'cnn1d'] as const satisfies readonly ModelName[];
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const satisfies readonly BackendName[];
export const DIRECTIONS = ['minimize', 'maximize'] as const satisfies readonly Direction[];
export const SAMPLER_TYPES = ['random', 'tpe', 'gp'] as const satisfies readonly SamplerSettings['type'][];
export const PRUNER_TYPES = ['asha', 'median', 'none'] as const satisfies readonly PrunerSettings['type'][];
export const PARAM_TYPES = ['float', 'int', 'categorical'] as const;

/** A search-space file larger than this is refused before it is parsed. */
export const MAX_SPACE_BYTES = 1024 * 1024;
/**
 * Upper bound on alias expansions (yaml's `maxAliasCount`: uses of an anchor times the
 * aliases nested inside it): anchors reused for shared choice lists are fine, a
 * "billion laughs" document, whose expansions grow exponentially, is not.
 */
export const MAX_ALIAS_COUNT = 1000;


export const DEFAULT_MODEL: ModelName = 'cnngru';
export const DEFAULT_OBJECTIVE_METRIC: ObjectiveMetric = 'recall_macro';

/** 1 GiB, the default in-memory limit for a data set. */
export const DEFAULT_MEMORY_BUDGET = 1024 ** 3;

export const DEFAULT_DATA: DataSettings = {
  source: 'synthetic',
  n: 6000,
  seed: 7,
  multilabel: false,
  split: { val: 0.15, test: 0.15, by: 'stratified', seed: 0 },
  epoch_size: null,
  memory_budget: DEFAULT_MEMORY_BUDGET,
  augment: { amplitude_scale: 0, gaussian_noise: 0, time_mask: 0, baseline_wander: 0, mixup: 0 },
};

export const DEFAULT_METRICS: MetricsSettings = { ignore_classes: [] };

export const DEFAULT_BUDGET = { trials: 20, epochs: 10 } as const;

export const DEFAULT_SAMPLER: SamplerSettings = {
  type: 'tpe',
  seed: 42,
  n_startup_trials: 10,
  n_ei_candidates: 24,
  multivariate: true,
  constant_liar: null,
};

export const DEFAULT_PRUNER_TYPE: PrunerSettings['type'] = 'asha';

/** Defaults of each pruner type; a `pruner:` block only overrides the keys it names. */
export const DEFAULT_PRUNERS: {
  readonly [K in PrunerSettings['type']]: Extract<PrunerSettings, { type: K }>;
} = {
  // First rung after epoch 3: on real beats the objective at epoch 1 ranks configurations
  // against their final value (Spearman rho -0.13 over 12 configurations; epoch 2: 0.36, epoch 3: 0.47);
  // docs/algorithms.md, "Pruning on real beats".
  asha: { type: 'asha', min_resource: 3, reduction_factor: 3, min_early_stopping_rate: 0, bootstrap_count: 0 },
  median: { type: 'median', n_startup_trials: 5, n_warmup_steps: 0, interval_steps: 1 },
  none: { type: 'none' },
};

export const DEFAULT_EARLY_STOPPING: EarlyStoppingSettings = {
  monitor: 'val_loss',
  patience: 5,
  min_delta: 0,
  restore_best_weights: true,
};

export const DEFAULT_LR_SCHEDULE: LrScheduleSettings = {
  monitor: 'val_loss',
  factor: 0.1,
  patience: 2,
  min_lr: 1e-6,
};

export const DEFAULT_WORKERS = 2;
export const DEFAULT_BACKEND: BackendName = 'auto';
export const DEFAULT_SEED = 0;
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_HEARTBEAT_GRACE_S = 60;
/** Trials whose best weights a study keeps (the top of the leaderboard); `'all'` keeps every one. */
export const DEFAULT_KEEP_MODELS = 5;

/** A study's `keep_models`; studies stored before the key existed keep the default. */
export function keepModelsOf(settings: { readonly keep_models?: number | 'all' } | null | undefined): number | 'all' {
  return settings?.keep_models ?? DEFAULT_KEEP_MODELS;
}

// Frozen so that no caller can change a default for every later parse by accident.
for (const value of [
  DEFAULT_DATA,
  DEFAULT_METRICS,
  DEFAULT_BUDGET,
  DEFAULT_SAMPLER,
  DEFAULT_PRUNERS,
  DEFAULT_EARLY_STOPPING,
  DEFAULT_LR_SCHEDULE,
]) {
  deepFreeze(value);
}

function deepFreeze(value: object): void {
  for (const v of Object.values(value)) if (v !== null && typeof v === 'object') deepFreeze(v as object);
  Object.freeze(value);
}
