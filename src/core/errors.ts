/**
 * Bad input from the user (a flag, a YAML file, a data file, a study name): the CLI prints
 * the message alone, on one or two lines, and exits with code 2. Errors of the other
 * layers mark themselves the same way (`exitCode = 2`: `DataError`, `StudyError`,
 * `BackendUnavailableError`) or are listed here (`SpaceError`), so the CLI needs no
 * knowledge of each layer.
 */
export class InputError extends Error {
  override name = 'InputError';
  readonly exitCode = 2;
}

export function isInputError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  if (err.name === 'SpaceError') return true;
  return (err as Error & { exitCode?: unknown }).exitCode === 2;
}
