import { resolve } from 'node:path';
import type { Storage, StudyRecord } from '../storage/types.js';
import { SqliteStorage } from '../storage/sqlite/storage.js';
import { openStorageAt } from '../storage/open.js';
import { parseStorageUrl, storageLabel, type StorageLocation } from '../storage/url.js';
import { InputError } from '../core/errors.js';
import { checkDbFile } from './db-file.js';
import type { OutputFormat } from '../report/table.js';

export interface GlobalArgs {
  /** `--db PATH`: the SQLite shorthand of --storage. */
  readonly db?: string;
  /** `--storage URL`: postgresql://…, sqlite:///…, or a path. */
  readonly storage?: string;
  readonly verbose: boolean;
}

/** The SQLite file of a command given neither --storage, --db nor HPSEARCH_STORAGE. */
export const DEFAULT_DB = './trials.db';

/** The storage a command works on, as the user named it. */
export interface StorageTarget {
  readonly location: StorageLocation;
  /** The path or URL, for the study's local folder (src/study/paths.ts). */
  readonly ref: string;
  /** How messages name it: the path, or the URL with its password masked. */
  readonly label: string;
  /** The flag that gives it again (for the "continue with" hint), password masked; '' for the default. */
  readonly flag: string;
}

/**
 * `--storage URL`, else `--db PATH`, else `HPSEARCH_STORAGE`, else ./trials.db (README
 * "Commands"). Both flags at once is an error: they name the same thing.
 */
export function storageTarget(argv: Pick<GlobalArgs, 'db' | 'storage'>, env: NodeJS.ProcessEnv = process.env): StorageTarget {
  if (argv.storage !== undefined && argv.db !== undefined) {
    throw new InputError('--storage and --db both name the storage; give one (--db PATH is the SQLite shorthand of --storage)');
  }
  const [text, source, flag] =
    argv.storage !== undefined
      ? [argv.storage, '--storage', '--storage']
      : argv.db !== undefined
        ? [argv.db, '--db', '--db']
        : env.HPSEARCH_STORAGE
          ? [env.HPSEARCH_STORAGE, 'HPSEARCH_STORAGE', '']
          : [DEFAULT_DB, '--db', ''];
  // --db is a path, whatever it looks like.
  return targetAt(source === '--db' ? { kind: 'sqlite', path: text } : parseStorageUrl(text, source), flag);
}

/** The target of a parsed location; `flag` gives it again in hints ('' for none). */
export function targetAt(location: StorageLocation, flag = '--storage'): StorageTarget {
  const label = storageLabel(location);
  const ref = location.kind === 'sqlite' ? location.path : location.url;
  return { location, ref, label, flag: flag === '' ? '' : `${flag} ${location.kind === 'sqlite' ? location.path : label}` };
}

/**
 * Opens the storage of a command that reads. An SQLite file must exist and be an hpsearch
 * database (openExistingDb); a server storage is connected to (its schema created if new).
 */
export async function openExisting(target: StorageTarget): Promise<Storage> {
  return target.location.kind === 'sqlite' ? openExistingDb(target.location.path) : openStorageAt(target.location);
}

/** Opens (creating if needed) the storage of a command that writes. */
export async function openForWrite(target: StorageTarget): Promise<Storage> {
  return target.location.kind === 'sqlite' ? openDb(target.location.path) : openStorageAt(target.location);
}

export interface FormatArgs {
  readonly format: OutputFormat;
}

/**
 * Opens an existing database; commands that read never create one by accident, nor write to
 * a file that is not an hpsearch database (`checkDbFile`). A zero-byte file is SQLite's empty
 * database: it is read as one (in memory), so that reading does not write a schema into it.
 */
export function openExistingDb(path: string): Storage {
  const state = checkDbFile(path);
  if (state === 'absent') throw new InputError(`${path}: no such database (run a study first, or pass --db PATH or --storage URL)`);
  return SqliteStorage.open(state === 'empty' ? ':memory:' : path);
}

export function openDb(path: string): Storage {
  return SqliteStorage.open(path === ':memory:' ? path : resolve(path));
}

/**
 * The study a command works on: the one named, else the only one, else the newest (with a
 * note on stderr, as a user who just ran one study expects `leaderboard` to show it).
 */
export async function pickStudy(storage: Storage, name: string | undefined, db: string): Promise<StudyRecord> {
  if (name !== undefined) {
    const study = await storage.getStudy(name);
    if (!study) {
      const names = (await storage.listStudies()).map((s) => s.name);
      throw new InputError(`${db}: no study named "${name}"${names.length ? ` (studies: ${names.join(', ')})` : ''}`);
    }
    return study;
  }
  const all = await storage.listStudies();
  if (all.length === 0) throw new InputError(`${db}: the database holds no study yet`);
  const newest = [...all].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!;
  if (all.length > 1) process.stderr.write(`showing study "${newest.name}" (the newest of ${all.length}; choose one with --study)\n`);
  return (await storage.getStudy(newest.name))!;
}

/**
 * A numeric flag's value as the user typed it, for messages: yargs has already turned
 * `--trials ten` into NaN, which would say nothing about what was wrong.
 */
export function typedValue(flag: string, value: number, argv: readonly string[] = process.argv): string {
  if (!Number.isNaN(value)) return String(value);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === `--${flag}`) return JSON.stringify(argv[i + 1] ?? '');
    if (a.startsWith(`--${flag}=`)) return JSON.stringify(a.slice(flag.length + 3));
  }
  return 'a value that is not a number';
}

/** A flag that counts something (trials, epochs, workers, beats): a positive exact integer, when given. */
export function positiveIntFlag(flag: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) {
    throw new InputError(`--${flag}: expected a positive integer${v > Number.MAX_SAFE_INTEGER ? ` (at most ${Number.MAX_SAFE_INTEGER})` : ''}, got ${typedValue(flag, v)}`);
  }
}

/** The `<number>` argument of `trial` and `rerun`, read as typed: digits only. */
export function trialNumber(typed: string | number): number {
  const text = String(typed);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new InputError(`<number>: expected a trial number (0, 1, 2, ...), got ${JSON.stringify(text)}`);
  return Number(text);
}

/** Runs a command body, always closing the storage it opened. */
export async function withStorage<T>(storage: Storage, body: (s: Storage) => Promise<T>): Promise<T> {
  try {
    return await body(storage);
  } finally {
    await storage.close();
  }
}
