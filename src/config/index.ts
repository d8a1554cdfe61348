/** The study configuration: the search-space YAML and object front ends, settings, defaults, the hyperparameter registry. */
export type * from '../core/search-space.js';
export type * from './settings.js';
export * from '../core/distributions.js';
export { SpaceError, formatPath, type Path } from './errors.js';
export { parseSpaceFile, parseSpaceText, type ParsedSpace } from './parse.js';
export { spaceFromObject, configurationsFromObject, type ParamInput, type SpaceInput } from './api.js';
export { describeDistribution } from './params.js';
export { parseByteSize } from './resolve.js';
export { schemaPath } from './schema.js';
export * from './defaults.js';
export {
  HYPERPARAM_NAMES,
  HYPERPARAMS,
  hyperparamDefault,
  hyperparamDefaults,
  type HyperparamName,
  type Hyperparams,
  type HyperparamSpec,
  resolveHyperparams,
} from './hyperparams.js';
