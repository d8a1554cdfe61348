import { DatabaseFileError } from '../errors.js';

/**
 * The DatabaseFileError an SQLite error stands for (SQLITE_FULL, SQLITE_IOERR_*), or null
 * for any other error. better-sqlite3 puts the extended result code on `code`.
 */
export function databaseFileError(err: unknown, path: string): DatabaseFileError | null {
  if (err instanceof DatabaseFileError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (code === 'SQLITE_FULL' || (typeof code === 'string' && code.startsWith('SQLITE_IOERR'))) {
    return new DatabaseFileError(code, path, { cause: err });
  }
  return null;
}
