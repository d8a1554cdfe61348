import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Storage, StudyRecord } from '../storage/types.js';
import { SqliteStorage } from '../storage/sqlite.js';
import { InputError } from '../errors.js';
import type { OutputFormat } from './format.js';

export interface GlobalArgs {
  readonly db: string;
  readonly verbose: boolean;
}

export interface FormatArgs {
  readonly format: OutputFormat;
}

/** Opens an existing database; read-only commands never create one by accident. */
export function openExistingDb(path: string): Storage {
  if (path !== ':memory:' && !existsSync(path)) {
    throw new InputError(`${path}: no such database (run a study first, or pass --db PATH)`);
  }
  return SqliteStorage.open(path);
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

/** Runs a command body, always closing the storage it opened. */
export async function withStorage<T>(storage: Storage, body: (s: Storage) => Promise<T>): Promise<T> {
  try {
    return await body(storage);
  } finally {
    await storage.close();
  }
}
