/**
 * The search-space model shared by the parser, the samplers, the storage and the study.
 *
 * A distribution mirrors Optuna's `FloatDistribution`, `IntDistribution` and
 * `CategoricalDistribution`. Values are stored in their *internal* representation
 * (a float for numbers, the choice index for categoricals) exactly as Optuna's RDB
 * storage does, so that the sampler never has to compare strings.
 */
export type ChoiceValue = number | string | boolean;
export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

export interface FloatDistribution {
  readonly type: 'float';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** Grid spacing, or null for a continuous range. `log` and `step` are exclusive. */
  readonly step: number | null;
}

export interface IntDistribution {
  readonly type: 'int';
  readonly low: number;
  readonly high: number;
  readonly log: boolean;
  /** Always set for integers; 1 unless the YAML says otherwise. */
  readonly step: number;
}

export interface CategoricalDistribution {
  readonly type: 'categorical';
  readonly choices: readonly ChoiceValue[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

/**
 * A parameter is active only when every named parameter is active and holds one of
 * the listed values (`when: {optimizer: adamw}` or `when: {optimizer: [adamw, sgd]}`).
 */
export type Condition = Readonly<Record<string, readonly ChoiceValue[]>>;

export interface ParamSpec {
  readonly name: string;
  readonly distribution: Distribution;
  readonly when?: Condition;
}

/**
 * An ordered list of parameters: every parameter comes after the parameters its
 * `when` names (the parser sorts them topologically), so a sampler can walk it once.
 */
export type SearchSpace = readonly ParamSpec[];

export type Direction = 'minimize' | 'maximize';
