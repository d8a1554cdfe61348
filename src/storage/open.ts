import { PostgresStorage, type PostgresStorageOptions } from './postgres/storage.js';
import { SqliteStorage, type SqliteStorageOptions } from './sqlite/storage.js';
import type { Storage } from './types.js';
import { parseStorageUrl, type StorageLocation } from './url.js';

export interface OpenStorageOptions {
  readonly sqlite?: SqliteStorageOptions;
  readonly postgres?: PostgresStorageOptions;
}

/**
 * Opens the storage a URL or path names (url.ts), creating its schema if needed: an SQLite
 * file, or a PostgreSQL database on its server.
 */
export async function openStorageAt(where: string | StorageLocation, options: OpenStorageOptions = {}): Promise<Storage> {
  const location = typeof where === 'string' ? parseStorageUrl(where, 'storage') : where;
  if (location.kind === 'postgresql') return PostgresStorage.open(location.url, options.postgres);
  return SqliteStorage.open(location.path, options.sqlite);
}
