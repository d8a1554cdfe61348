import { resolve } from 'node:path';
import type { Storage, StudyRecord } from '../storage/types.js';
import { SqliteStorage } from '../storage/sqlite/storage.js';
import { InputError } from '../core/errors.js';
import { checkDbFile } from './db-file.js';
import type { OutputFormat } from '../report/table.js';

export interface GlobalArgs {
  readonly db: string;
  readonly verbose: boolean;
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
  if (state === 'absent') throw new InputError(`${path}: no such database (run a study first, or pass --db PATH)`);
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
