/**
 * The values a trial's named hyperparameters may take, checked where they are written:
 * `defaults:` and the `params:` that tune them. The schema cannot know them (a parameter
 * is any name), and a trial reads them only when it starts, so without this check a typo
 * such as `dataset: smoat` would silently train with SMOTE, and `dropout: 1.5` would fail
 * every trial, one by one, after the study was stored.
 *
 * Only the YAML front end applies these rules: the library API tunes any objective, whose
 * parameter names mean nothing to hpsearch.
 */
import type { Path } from './errors.js';
import { describeDistribution } from './params.js';
import { describeValue, didYouMean, formatNumber, listValues, type Reporter } from './report.js';
import type { ChoiceValue, Params, SearchSpace } from '../core/search-space.js';

type Rule =
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

/** Balancing modes of `dataset` (see `src/worker/task.ts`) and optimizers of `src/train/optimizers.ts`. */
export const HYPERPARAM_RULES: Readonly<Record<string, Rule>> = {
  dataset: { kind: 'choice', values: ['smote', 'oversampled', 'none'] },
  optimizer: { kind: 'choice', values: ['adam', 'adamw'] },
  learning_rate: { kind: 'number', integer: false, min: 0, minExclusive: true },
  weight_decay: { kind: 'number', integer: false, min: 0 },
  clip_norm: { kind: 'number', integer: false, min: 0 },
  // ReduceLROnPlateau multiplies the learning rate by the factor: it must shrink it.
  lr_factor: { kind: 'number', integer: false, min: 0, minExclusive: true, max: 1, maxExclusive: true },
  dropout: { kind: 'number', integer: false, min: 0, max: 1, maxExclusive: true },
  batch_size: { kind: 'number', integer: true, min: 1 },
  hidden: { kind: 'number', integer: true, min: 1 },
  gru_hidden: { kind: 'number', integer: true, min: 1 },
  num_layers: { kind: 'number', integer: true, min: 1 },
  num_blocks: { kind: 'number', integer: true, min: 0 },
};

function expected(rule: Rule): string {
  if (rule.kind === 'choice') return `one of ${listValues(rule.values)}`;
  const noun = rule.integer ? 'an integer' : 'a number';
  const lower = `${rule.minExclusive ? '>' : '>='} ${formatNumber(rule.min)}`;
  const upper = rule.max === undefined ? '' : ` and ${rule.maxExclusive ? '<' : '<='} ${formatNumber(rule.max)}`;
  return `${noun} ${lower}${upper}`;
}

function allows(rule: Rule, value: ChoiceValue): boolean {
  if (rule.kind === 'choice') return typeof value === 'string' && rule.values.includes(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (rule.integer && !Number.isInteger(value)) return false;
  if (rule.minExclusive ? value <= rule.min : value < rule.min) return false;
  if (rule.max !== undefined && (rule.maxExclusive ? value >= rule.max : value > rule.max)) return false;
  return true;
}

function checkValue(name: string, value: ChoiceValue, report: Reporter, path: Path): void {
  const rule = HYPERPARAM_RULES[name];
  if (rule === undefined || allows(rule, value)) return;
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
    const rule = HYPERPARAM_RULES[name];
    if (rule === undefined) continue;
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
    if (rule.integer && d.type === 'float') report.fail(['params', name, 'type'], `${name} takes ${expected(rule)}; expected type: int, got type: float`);
  }
}
