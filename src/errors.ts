/**
 * Bad input from the user (a flag, a YAML file, a data file, a study name): the CLI prints
 * the message alone, on one or two lines, and exits with code 2. Each front end's error
 * (`SpaceError`, `DataError`, ...) extends it, so the CLI needs no list of them.
 */
export class InputError extends Error {
  override name = 'InputError';
  readonly exitCode = 2;
}

export function isInputError(err: unknown): err is InputError {
  return err instanceof InputError;
}
