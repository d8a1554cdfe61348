/**
 * Bad-input errors of the data layer.
 *
 * Every malformed or missing data file surfaces as a `DataError` that names the file and the
 * place in it (an HDF5 dataset path, or `line:column` of a CSV), so that the CLI can print one
 * line and exit with code 2 (README.md, "Commands": exit code 2 is bad input, a missing or
 * malformed data file among it).
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  /** Exit code the CLI uses for bad input. */
  readonly exitCode = 2;
  /** The data file concerned (path as given by the user). */
  readonly file: string;
  /** Where in the file: an HDF5 dataset path (`/X`), a CSV `line` or `line:column`, or null. */
  readonly location: string | null;
  /** What was wrong, without the file and location prefix. */
  readonly detail: string;

  constructor(file: string, location: string | null, detail: string, options?: { cause?: unknown }) {
    // `file:12:5: ...` for text positions (like compilers), `file: /X: ...` for dataset paths.
    const where = location === null ? '' : /^\d/.test(location) ? `:${location}` : `: ${location}`;
    super(`${file}${where}: ${detail}`, options);
    this.file = file;
    this.location = location;
    this.detail = detail;
  }
}
