/**
 * Errors raised by storage. The CLI maps `StudyError` (a study name that does or does not
 * exist) to exit code 2, since it is bad input rather than a runtime failure; the others
 * are runtime failures (exit 1) or programming errors.
 */

/** Base class, so callers can tell storage failures from everything else. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type StudyErrorKind = 'exists' | 'missing';

/** A study name (or id) that the user gave and that does not fit the database. Exit code 2. */
export class StudyError extends StorageError {
  /** The CLI exit code this error maps to (bad input). */
  readonly exitCode = 2;

  constructor(
    readonly kind: StudyErrorKind,
    /** The study name, or `#id` when only the id was known. */
    readonly study: string,
    message: string,
  ) {
    super(message);
  }
}

export class StudyExistsError extends StudyError {
  constructor(name: string) {
    super('exists', name, `study "${name}" already exists in this database`);
  }
}

export class StudyNotFoundError extends StudyError {
  constructor(nameOrId: string | number) {
    const label = typeof nameOrId === 'number' ? `#${nameOrId}` : nameOrId;
    const message = typeof nameOrId === 'number' ? `no study with id ${nameOrId}` : `no study named "${nameOrId}"`;
    super('missing', label, message);
  }
}

export class TrialNotFoundError extends StorageError {
  constructor(readonly trialId: number) {
    super(`no trial with id ${trialId}`);
  }
}

/** A write that the trial's current state forbids (finishing a trial twice, reporting to a finished one). */
export class TrialStateError extends StorageError {
  constructor(
    readonly trialId: number,
    readonly number: number,
    readonly state: string,
    action: string,
  ) {
    super(`cannot ${action} trial ${number} (id ${trialId}): it is ${state}`);
  }
}

/**
 * A leased write to a trial that is no longer RUNNING under that lease: another process took
 * it over (reclaimTrial), or it was released or finished meanwhile. Nothing was written; the
 * writer must stop the trial without any further write (types.ts, "Ownership of RUNNING
 * trials"). A TrialStateError, so every refused write to a finished trial still is one.
 */
export class LeaseLostError extends TrialStateError {
  constructor(
    trialId: number,
    number: number,
    state: string,
    action: string,
    /** The trial's owner now (null when it has none: WAITING or finished without one). */
    readonly holder: { readonly host: string | null; readonly pid: number | null; readonly retries: number },
  ) {
    super(trialId, number, state, action);
    this.message = `cannot ${action} trial ${number} (id ${trialId}): this process no longer holds it (now ${state}${holder.host !== null ? ` under ${holder.host}:${holder.pid}, retry ${holder.retries}` : ''})`;
  }
}

/** The database stayed locked by other writers for longer than the retry budget. */
export class StorageBusyError extends StorageError {}

/** The file's schema is newer than this hpsearch knows (written by a later version). */
export class SchemaVersionError extends StorageError {}

/**
 * The database file cannot take a write: the disk (or `PRAGMA max_page_count`) is full,
 * or the operating system reported an I/O error. Nothing of the failed transaction is
 * stored (SQLite rolls it back), but no later write can be trusted to succeed either, so
 * a run that meets one stops instead of marking trials failed. Exit code 1.
 */
export class DatabaseFileError extends StorageError {
  constructor(
    /** SQLite's extended result code, e.g. SQLITE_FULL or SQLITE_IOERR_WRITE. */
    readonly code: string,
    /** The database file. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(code === 'SQLITE_FULL' ? `database or disk is full: ${path}` : `disk I/O error (${code}): ${path}`, options);
  }
}

/**
 * The database server could not be reached (refused, unreachable, restarting) at opening,
 * or stayed out of reach for longer than the outage limit while a study ran. Nothing of
 * the failed call was stored, or it was detected as stored; a later run continues. The
 * message names the storage URL with its password masked. Exit code 1.
 */
export class StorageUnavailableError extends StorageError {}

/**
 * The server was reached but refuses the URL's credentials or has no such database: the
 * user's input, so exit code 2. The message names the URL with its password masked.
 */
export class StorageAccessError extends StorageError {
  readonly exitCode = 2;
}
