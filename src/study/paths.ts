import { createHash } from 'node:crypto';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseStorageUrl } from '../storage/url.js';

/**
 * This machine's working folder: `HPSEARCH_WORK_DIR` when set, else `.hpsearch` beside the
 * SQLite file, or under the current folder for a server storage (`dbPath` is the storage
 * as given: an SQLite path or a URL). It holds what a machine keeps for itself, never
 * shared: `studies/<study>/`, the cache of the checkpoints stored in the study's storage,
 * and `cache/`, data shared by studies (SMOTE tables, imports, data fingerprints). Machines
 * sharing one study each have their own (docs/storage.md, "Several machines").
 * A study name becomes a folder name only after sanitising (anything but letters, digits,
 * dot, dash and underscore is replaced, and a short hash of the real name keeps two
 * sanitised names apart), so no name can point outside the folder.
 */
export function hpsearchDir(dbPath: string): string {
  const own = process.env.HPSEARCH_WORK_DIR;
  if (own !== undefined && own !== '') return resolve(own);
  const location = parseStorageUrl(dbPath);
  if (location.kind !== 'sqlite' || location.path === ':memory:') return join(process.cwd(), '.hpsearch');
  return join(dirname(resolve(location.path)), '.hpsearch');
}

export function safeFolderName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80);
  if (clean === name && clean.length > 0) return clean;
  return `${clean || 'study'}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

export function studyDir(dbPath: string, study: string): string {
  return join(hpsearchDir(dbPath), 'studies', safeFolderName(study));
}

/**
 * The checkpoint folder of one study as created in one database: the study folder plus the
 * moment of creation. Why not the study folder itself: a study name is not unique beyond
 * its database, so a new `trials.db` (or a second one in the same folder) with a study of
 * the same name must never resume from another study's checkpoints, whose configurations
 * and seeds may well be the same.
 */
export function checkpointRootOf(dbPath: string, study: { readonly name: string; readonly createdAt: Date }): string {
  const stamp = study.createdAt.toISOString().replace(/[-:.]/g, '');
  return join(studyDir(dbPath, study.name), `created-${stamp}`);
}

export function cacheDir(dbPath: string): string {
  return join(hpsearchDir(dbPath), 'cache');
}

/** The longest study name, as `study.maxLength` in schema/searchspace.schema.json. */
export const MAX_STUDY_NAME_LENGTH = 200;

/**
 * Why `name` cannot name a study, or null when it can. Any printable text is a name (its
 * folder is `safeFolderName(name)`, so slashes, dots and Unicode are harmless); refused are
 * empty or blank names, names longer than the schema allows, and control characters (NUL,
 * newlines, terminal escapes) and line separators, which would corrupt tables, CSV output
 * and the terminal.
 */
export function studyNameProblem(name: string): string | null {
  if (name.trim().length === 0) return 'a study name cannot be empty or blank';
  const length = [...name].length;
  if (length > MAX_STUDY_NAME_LENGTH) return `a study name has at most ${MAX_STUDY_NAME_LENGTH} characters, this one has ${length}`;
  const bad = /[\p{Cc}\p{Zl}\p{Zp}]/u.exec(name);
  if (bad) return `a study name cannot contain control characters (found U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at position ${bad.index + 1})`;
  return null;
}

/** A folder hpsearch must write to (checkpoints, data cache) and cannot. Exit code 1. */
export class FolderNotWritableError extends Error {
  override name = 'FolderNotWritableError';

  constructor(
    /** What the folder is for, e.g. "checkpoint folder". */
    readonly role: string,
    readonly folder: string,
    /** The errno code, e.g. ENOTDIR. */
    readonly code: string | undefined,
    why: string,
  ) {
    super(`cannot write to the ${role} ${folder}: ${why}`);
  }
}

function explain(err: NodeJS.ErrnoException): string {
  const code = err.code ?? 'error';
  switch (err.code) {
    case 'EEXIST':
      return `a file is in the way, not a folder (${code})`;
    case 'ENOTDIR':
      return `a file is in the way of the path, not a folder (${code})`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied (${code})`;
    case 'EROFS':
      return `read-only file system (${code})`;
    case 'ENOSPC':
      return `no space left on the device (${code})`;
    case 'EDQUOT':
      return `disk quota exceeded (${code})`;
    default:
      return err.message;
  }
}

/**
 * Creates `folder` if needed and proves it takes a file, by writing and removing a probe
 * (mode bits alone prove nothing: root ignores them, and a read-only mount or a file in
 * the way only shows on a real write). Throws FolderNotWritableError.
 */
export function ensureWritableFolder(folder: string, role: string): void {
  const probe = join(folder, `.hpsearch-write-probe-${process.pid}`);
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new FolderNotWritableError(role, folder, e.code, explain(e));
  }
}

/** ensureWritableFolder as a check: the error, or null when the folder is writable. */
export function folderProblem(folder: string, role: string): FolderNotWritableError | null {
  try {
    ensureWritableFolder(folder, role);
    return null;
  } catch (err) {
    if (err instanceof FolderNotWritableError) return err;
    throw err;
  }
}
