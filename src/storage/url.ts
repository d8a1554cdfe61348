import { InputError } from '../core/errors.js';

/**
 * Where a study lives, from what the user typed (`--storage`, `--db`, `HPSEARCH_STORAGE`,
 * the library's `storage` option), in one place:
 *  - `postgresql://user:pass@host:port/db` (or `postgres://`): a PostgreSQL server;
 *  - `sqlite:///abs/path/trials.db` (four slashes in all: `sqlite:////abs/...`) and
 *    `sqlite:///relative/trials.db`, as SQLAlchemy (and so Optuna) reads them: the path is
 *    what follows the third slash; `sqlite:///:memory:` is an in-memory database;
 *  - anything else is a path to an SQLite file (or ':memory:').
 */
export type StorageLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgresql'; readonly url: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** Parses a storage URL or path; `source` names where it came from, for the message (exit 2). */
export function parseStorageUrl(text: string, source = '--storage'): StorageLocation {
  if (text.trim() === '') throw new InputError(`${source}: empty storage; give a path to an SQLite file or a postgresql:// URL`);
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', path: text };
  if (scheme === 'sqlite') {
    if (!text.startsWith('sqlite:///') || text.length === 'sqlite:///'.length) {
      throw new InputError(`${source}: ${text}: an SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db`);
    }
    return { kind: 'sqlite', path: text.slice('sqlite:///'.length) };
  }
  if (scheme === 'postgresql' || scheme === 'postgres') {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw new InputError(`${source}: ${maskPassword(text)} is not a valid URL; expected postgresql://user:password@host:port/database`);
    }
    if (u.hostname === '' && !u.searchParams.has('host')) throw new InputError(`${source}: ${maskPassword(text)} names no host; expected postgresql://user:password@host:port/database`);
    if (u.pathname.replace(/^\//, '') === '') throw new InputError(`${source}: ${maskPassword(text)} names no database; expected postgresql://user:password@host:port/database`);
    if (u.port !== '' && !(Number(u.port) > 0 && Number(u.port) < 65536)) throw new InputError(`${source}: ${maskPassword(text)}: port ${u.port} is out of range`);
    return { kind: 'postgresql', url: text };
  }
  throw new InputError(`${source}: ${maskPassword(text)}: unknown storage scheme "${scheme}://"; use postgresql://, sqlite:/// or a file path`);
}

/** How a storage is named in messages: the path, or the URL with its password masked. */
export function storageLabel(location: StorageLocation): string {
  return location.kind === 'sqlite' ? location.path : maskPassword(location.url);
}

/** `scheme://user:***@host...`: the password of a URL never reaches the terminal or a log. */
export function maskPassword(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@]*):([^@]*)@/, '$1:***@');
}
