import type { Direction, Params, SearchSpace } from '../core/search-space.js';

export type ModelName = 'cnngru' | 'cnn2d' | 'cnn1d';
export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'native' | 'wasm' | 'cpu';

/** Inter-patient protocols a split can follow (`src/data/de-chazal.ts`). */
export const SPLIT_PROTOCOLS = ['de-chazal'] as const;
export type SplitProtocol = (typeof SPLIT_PROTOCOLS)[number];

export interface SplitSettings {
  /** Fraction for validation; with `test_groups` or a protocol, of the samples the test part leaves. */
  readonly val: number;
  readonly test: number;
  readonly by: 'stratified' | 'group';
  readonly seed: number;
  /**
   * `by: group` only: the groups (as `hpsearch data inspect` names them) that make up the
   * validation / test part; the fraction of that part is then not used. Absent in the
   * settings of a study that gave none (and in studies stored before the keys existed).
   */
  readonly val_groups?: readonly string[];
  readonly test_groups?: readonly string[];
  /** A published record split (implies `by: group`; the protocol's test records replace `test`). */
  readonly protocol?: SplitProtocol;
}

/**
 * Cross-validation of the objective: the part of the data that is not test is cut into
 * `folds` folds (by group or stratified, with `seed`), and a trial trains one model per fold,
 * validated on that fold; its value is the mean of the folds' objectives.
 */
export interface CvSettings {
  readonly folds: number;
  readonly by: 'stratified' | 'group';
  readonly seed: number;
}

/** How validation and test metrics are computed. */
export interface MetricsSettings {
  /**
   * Classes left out of the macro averages (recall_macro, precision_macro, f1_macro,
   * auroc_macro): a class too rare to have validation samples in every split. The class is
   * still trained on and still has its per-class figures.
   */
  readonly ignore_classes: readonly string[];
}

/** The online augmentations (`src/data/augment.ts`), the one list the YAML, the data layer and the schema test use. */
export const AUGMENT_NAMES = ['amplitude_scale', 'gaussian_noise', 'time_mask', 'baseline_wander', 'mixup'] as const;
export type AugmentName = (typeof AUGMENT_NAMES)[number];

/** Each is a probability or strength; 0 disables it. */
export type AugmentSettings = { readonly [K in AugmentName]: number };

export interface DataSettings {
  /** 'synthetic' or a path (resolved relative to the YAML file) to .h5 / .csv. */
  readonly source: string;
  /** Synthetic only: number of beats. */
  readonly n: number;
  /** Synthetic only. */
  readonly seed: number;
  /** Multi-label synthetic set ([N, L, C] signals, [N, K] multi-hot labels). */
  readonly multilabel: boolean;
  readonly split: SplitSettings;
  /** Cross-validation of the objective; absent = one train/validation split. */
  readonly cv?: CvSettings;
  /** Training samples drawn per epoch; null = size of the natural training set. */
  readonly epoch_size: number | null;
  /** Bytes; a dataset larger than this is read lazily from HDF5. */
  readonly memory_budget: number;
  readonly augment: AugmentSettings;
}

export interface SamplerSettings {
  readonly type: 'random' | 'tpe' | 'gp';
  readonly seed: number;
  readonly n_startup_trials: number;
  readonly n_ei_candidates: number;
  readonly multivariate: boolean;
  /** null = on when more than one worker runs. */
  readonly constant_liar: boolean | null;
}

export type PrunerSettings =
  | { readonly type: 'none' }
  | {
      readonly type: 'asha';
      readonly min_resource: number | 'auto';
      readonly reduction_factor: number;
      readonly min_early_stopping_rate: number;
      readonly bootstrap_count: number;
    }
  | { readonly type: 'median'; readonly n_startup_trials: number; readonly n_warmup_steps: number; readonly interval_steps: number };

export interface EarlyStoppingSettings {
  readonly monitor: string;
  readonly patience: number;
  readonly min_delta: number;
  readonly restore_best_weights: boolean;
}

export interface LrScheduleSettings {
  /** ReduceLROnPlateau; `factor` is taken from the `lr_factor` parameter when the space has one. */
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly min_lr: number;
}

/** Every setting of a study after defaults are applied: what is stored with the study. */
export interface StudySettings {
  readonly study: string;
  readonly model: ModelName;
  readonly objective: { readonly metric: string; readonly direction: Direction };
  readonly data: DataSettings;
  /** Absent in studies stored before the key existed: no class ignored. */
  readonly metrics?: MetricsSettings;
  readonly budget: { readonly trials: number; readonly epochs: number };
  readonly sampler: SamplerSettings;
  readonly pruner: PrunerSettings;
  readonly early_stopping: EarlyStoppingSettings;
  readonly lr_schedule: LrScheduleSettings;
  readonly workers: number;
  readonly backend: BackendName;
  /** Study seed: trial seeds derive from it and the trial number. */
  readonly seed: number;
  readonly max_retries: number;
  /** Seconds without a heartbeat after which a RUNNING trial is taken as dead. */
  readonly heartbeat_grace_s: number;
  /**
   * How many trials keep their best weights (the study's top by the objective), or 'all'.
   * Absent in the settings of studies created before it existed: read it with `keptModels`.
   */
  readonly keep_models: number | 'all';
  /** Fixed hyperparameters used when not in `params` (learning_rate, batch_size, ...). */
  readonly defaults: Params;
  readonly params: SearchSpace;
  readonly enqueue: readonly Params[];
}
