/**
 * The hyperparameters hpsearch itself reads, each named once: the values it may take, its
 * default and, for the architecture ones, a default per model (a model left out of that
 * mapping does not read the name). Every reader goes through this table:
 *
 *  - `resolveSettings` (`src/config/resolve.ts`) merges `hyperparamDefaults(model)` under a
 *    YAML file's `defaults:` block, so the stored study settings show every value a trial
 *    can fall back on;
 *  - `resolveHyperparams` turns one trial's params (then the study's defaults, then this
 *    table) into the typed `Hyperparams` the models (`src/models/index.ts`) and the
 *    optimiser (`src/train/optimizers.ts`) read;
 *  - `checkHyperparameters` refuses, when a YAML file is read, a value that a trial would
 *    refuse when it starts: without it a typo such as `dataset: smoat` would silently train
 *    with SMOTE, and `dropout: 1.5` would fail every trial, one by one, after the study was
 *    stored. Only the YAML front end applies it: the library API tunes any objective, whose
 *    parameter names mean nothing to hpsearch.
 *
 * `docs/searchspace.md` lists the same table; `test/config/hyperparams.test.ts` checks that
 * the two agree.
 */
import type { Path } from './errors.js';
import { describeDistribution } from './params.js';
import { describeValue, didYouMean, formatNumber, listValues, type Reporter } from './error-reporter.js';
import type { ModelName } from './settings.js';
import type { ChoiceValue, ParamValue, Params, SearchSpace } from '../core/search-space.js';

export type HyperparamRule =
  | { readonly kind: 'choice'; readonly values: readonly string[] }
  | {
      readonly kind: 'number';
      readonly integer: boolean;
      readonly min: number;
      /** `min` itself is not allowed. */
      readonly minExclusive?: boolean;
      readonly max?: number;
      /** `max` itself is not allowed. */
      readonly maxExclusive?: boolean;
    };

/** Per model: the models that read the name, each with its default. */
export type PerModelDefault = Readonly<Partial<Record<ModelName, number>>>;

export interface HyperparamSpec {
  readonly rule: HyperparamRule;
  /** One value for every model (read by the trainer or the data layer), or one per model. */
  readonly default: ChoiceValue | PerModelDefault;
}

const OPTIMIZERS = ['adam', 'adamw'] as const;
/** How the training split is balanced (`src/data/oversample.ts`, `src/data/smote.ts`). */
export const BALANCING_MODES = ['smote', 'oversampled', 'none'] as const;
export type BalancingMode = (typeof BALANCING_MODES)[number];

/**
 * The per-model values are the best configuration of the original CNN-GRU / 2D-CNN study
 * (the `enqueue` entries of `searchspaces/cnngru.yaml` and `searchspaces/cnn2d.yaml`) and
 * the `cnn1d` notebook's topology (`src/models/cnn1d.ts`: Dense(128), base dropout 0.3).
 * The others are the same for every model.
 */
export const HYPERPARAMS = {
  learning_rate: { rule: { kind: 'number', integer: false, min: 0, minExclusive: true }, default: 1e-3 },
  batch_size: { rule: { kind: 'number', integer: true, min: 1 }, default: 32 },
  hidden: { rule: { kind: 'number', integer: true, min: 1 }, default: { cnngru: 64, cnn2d: 128, cnn1d: 128 } },
  gru_hidden: { rule: { kind: 'number', integer: true, min: 1 }, default: { cnngru: 256 } },
  num_layers: { rule: { kind: 'number', integer: true, min: 1 }, default: { cnngru: 2, cnn2d: 3 } },
  num_blocks: { rule: { kind: 'number', integer: true, min: 0 }, default: { cnngru: 5, cnn2d: 1 } },
  dropout: { rule: { kind: 'number', integer: false, min: 0, max: 1, maxExclusive: true }, default: { cnngru: 0.4, cnn2d: 0.3, cnn1d: 0.3 } },
  optimizer: { rule: { kind: 'choice', values: OPTIMIZERS }, default: 'adam' },
  weight_decay: { rule: { kind: 'number', integer: false, min: 0 }, default: 1e-4 },
  dataset: { rule: { kind: 'choice', values: BALANCING_MODES }, default: 'smote' },
  // ReduceLROnPlateau multiplies the learning rate by the factor: it must shrink it.
  lr_factor: { rule: { kind: 'number', integer: false, min: 0, minExclusive: true, max: 1, maxExclusive: true }, default: 0.2 },
  clip_norm: { rule: { kind: 'number', integer: false, min: 0 }, default: 1.0 },
} as const satisfies Readonly<Record<string, HyperparamSpec>>;

export type HyperparamName = keyof typeof HYPERPARAMS;
export const HYPERPARAM_NAMES = Object.keys(HYPERPARAMS) as readonly HyperparamName[];

/** One trial's hyperparameters, every one resolved and checked. */
export interface Hyperparams {
  readonly model: ModelName;
  readonly learningRate: number;
  readonly batchSize: number;
  /** Conv width (cnngru, cnn2d) and the width of the dense layers after the GRU / flatten; cnn1d: its Dense width. */
  readonly hidden: number;
  /** GRU units per layer; 0 for a model without a GRU. */
  readonly gruHidden: number;
  /** GRU layers (cnngru), or dense layers including the output layer (cnn2d); 0 for cnn1d. */
  readonly numLayers: number;
  /** Residual blocks (cnngru, cnn2d); 0 for cnn1d. */
  readonly numBlocks: number;
  /** Dropout between GRU layers (cnngru), after each hidden dense layer (cnn2d), base rate (cnn1d). */
  readonly dropout: number;
  readonly optimizer: (typeof OPTIMIZERS)[number];
  /** AdamW's decoupled λ; 0 with `adam`, which ignores a `weight_decay` value (the search spaces make it conditional on adamw). */
  readonly weightDecay: number;
  /** Balancing of the training split. */
  readonly dataset: BalancingMode;
  readonly lrFactor: number;
  /** Global-norm gradient clipping threshold; 0 = off. */
  readonly clipNorm: number;
}

/** The default of `name` for `model`, or undefined when that model does not read it. */
export function hyperparamDefault(name: HyperparamName, model: ModelName): ChoiceValue | undefined {
  const d: ChoiceValue | PerModelDefault = HYPERPARAMS[name].default;
  return typeof d === 'object' ? d[model] : d;
}

/** Every hyperparameter `model` reads, with its default: what a study falls back on. */
export function hyperparamDefaults(model: ModelName): Params {
  const out: Params = {};
  for (const name of HYPERPARAM_NAMES) {
    const d = hyperparamDefault(name, model);
    if (d !== undefined) out[name] = d;
  }
  return out;
}

/**
 * `params`, then the study's `defaults`, then the table, for every name `model` reads.
 * A value the rules refuse throws (`parameter dropout must be < 1, got 1`).
 */
export function resolveHyperparams(model: ModelName, params: Params, defaults?: Params): Hyperparams {
  const number = (name: HyperparamName): number => {
    const fallback = hyperparamDefault(name, model);
    return fallback === undefined ? 0 : (checked(name, lookupParam(name, params, defaults) ?? fallback) as number);
  };
  return {
    model,
    ...optimizerHyperparams(params, defaults),
    batchSize: number('batch_size'),
    hidden: number('hidden'),
    gruHidden: number('gru_hidden'),
    numLayers: number('num_layers'),
    numBlocks: number('num_blocks'),
    dropout: number('dropout'),
    dataset: checked('dataset', lookupParam('dataset', params, defaults) ?? HYPERPARAMS.dataset.default) as Hyperparams['dataset'],
    lrFactor: number('lr_factor'),
    clipNorm: number('clip_norm'),
  };
}

/** The part of `resolveHyperparams` the optimiser reads; no model has its own defaults for it. */
export function optimizerHyperparams(params: Params, defaults?: Params): Pick<Hyperparams, 'optimizer' | 'learningRate' | 'weightDecay'> {
  const read = (name: 'optimizer' | 'learning_rate' | 'weight_decay'): ParamValue =>
    checked(name, lookupParam(name, params, defaults) ?? HYPERPARAMS[name].default);
  const optimizer = read('optimizer') as Hyperparams['optimizer'];
  return {
    optimizer,
    learningRate: read('learning_rate') as number,
    weightDecay: optimizer === 'adamw' ? (read('weight_decay') as number) : 0,
  };
}

/** The value of `name` from params, then defaults; undefined when neither has it. */
export function lookupParam(name: string, params: Params, defaults: Params | undefined): ParamValue | undefined {
  if (Object.prototype.hasOwnProperty.call(params, name)) return params[name];
  if (defaults != null && Object.prototype.hasOwnProperty.call(defaults, name)) return defaults[name];
  return undefined;
}

/** `value` as a trial uses it (choices case-insensitively), or an Error naming the rule it breaks. */
function checked(name: HyperparamName, value: ParamValue): ParamValue {
  const rule: HyperparamRule = HYPERPARAMS[name].rule;
  const v = rule.kind === 'choice' && typeof value === 'string' ? value.toLowerCase() : value;
  const reason = violation(rule, v);
  if (reason !== null) throw new Error(`parameter ${name} must be ${reason}, got ${JSON.stringify(value)}`);
  return v;
}

/** What `value` fails to be under `rule` ("an integer", "< 1"), or null when it is allowed. */
function violation(rule: HyperparamRule, value: ChoiceValue): string | null {
  if (rule.kind === 'choice') {
    if (typeof value === 'string' && rule.values.includes(value)) return null;
    return `${rule.values.slice(0, -1).join(', ')} or ${rule.values[rule.values.length - 1]}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'a finite number';
  if (rule.integer && !Number.isInteger(value)) return 'an integer';
  if (rule.minExclusive ? value <= rule.min : value < rule.min) return `${rule.minExclusive ? '>' : '>='} ${rule.min}`;
  if (rule.max !== undefined && (rule.maxExclusive ? value >= rule.max : value > rule.max)) return `${rule.maxExclusive ? '<' : '<='} ${rule.max}`;
  return null;
}

function isHyperparam(name: string): name is HyperparamName {
  return Object.prototype.hasOwnProperty.call(HYPERPARAMS, name);
}

function expected(rule: HyperparamRule): string {
  if (rule.kind === 'choice') return `one of ${listValues(rule.values)}`;
  const noun = rule.integer ? 'an integer' : 'a number';
  const lower = `${rule.minExclusive ? '>' : '>='} ${formatNumber(rule.min)}`;
  const upper = rule.max === undefined ? '' : ` and ${rule.maxExclusive ? '<' : '<='} ${formatNumber(rule.max)}`;
  return `${noun} ${lower}${upper}`;
}

function checkValue(name: string, value: ChoiceValue, report: Reporter, path: Path): void {
  if (!isHyperparam(name)) return;
  const rule: HyperparamRule = HYPERPARAMS[name].rule;
  if (violation(rule, value) === null) return;
  const hint = rule.kind === 'choice' && typeof value === 'string' ? didYouMean(value, rule.values) : '';
  report.fail(path, `expected ${expected(rule)}, got ${describeValue(value)}${hint}`);
}

/**
 * `defaults` as written (before the built-in values are merged in) and the parameters of the
 * space: every value a trial could receive for a known hyperparameter must be allowed.
 */
export function checkHyperparameters(defaults: Params | undefined, space: SearchSpace, report: Reporter): void {
  for (const [name, value] of Object.entries(defaults ?? {})) checkValue(name, value, report, ['defaults', name]);
  for (const { name, distribution: d } of space) {
    if (!isHyperparam(name)) continue;
    const rule: HyperparamRule = HYPERPARAMS[name].rule;
    if (d.type === 'categorical') {
      d.choices.forEach((choice, i) => checkValue(name, choice, report, ['params', name, 'choices', i]));
      continue;
    }
    if (rule.kind === 'choice') {
      report.fail(['params', name, 'type'], `${name} takes ${expected(rule)}; expected type: categorical, got ${describeDistribution(d)}`);
    }
    // A range is allowed when both ends are (the rules are intervals).
    checkValue(name, d.low, report, ['params', name, 'low']);
    checkValue(name, d.high, report, ['params', name, 'high']);
    if (rule.kind === 'number' && rule.integer && d.type === 'float') {
      report.fail(['params', name, 'type'], `${name} takes ${expected(rule)}; expected type: int, got type: float`);
    }
  }
}

// Frozen so that no caller can change a default for every later trial by accident.
for (const spec of Object.values(HYPERPARAMS)) {
  Object.freeze(spec.default);
  Object.freeze(spec.rule);
  Object.freeze(spec);
}
Object.freeze(HYPERPARAMS);
