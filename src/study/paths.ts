import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';

/**
 * Where a study keeps its files: `<db folder>/.hpsearch/<study>/` for checkpoints and
 * `<db folder>/.hpsearch/cache/` for data shared by studies (SMOTE tables, imports).
 * A study name becomes a folder name only after sanitising (anything but letters, digits,
 * dot, dash and underscore is replaced, and a short hash of the real name keeps two
 * sanitised names apart), so no name can point outside the folder.
 */
export function hpsearchDir(dbPath: string): string {
  return join(dbPath === ':memory:' ? process.cwd() : dirname(resolve(dbPath)), '.hpsearch');
}

export function safeFolderName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 80);
  if (clean === name && clean.length > 0) return clean;
  return `${clean || 'study'}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

export function studyDir(dbPath: string, study: string): string {
  return join(hpsearchDir(dbPath), 'studies', safeFolderName(study));
}

export function cacheDir(dbPath: string): string {
  return join(hpsearchDir(dbPath), 'cache');
}
