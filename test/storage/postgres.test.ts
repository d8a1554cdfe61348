import { after } from 'node:test';
import { PostgresStorage, type PostgresStorageOptions } from '../../src/storage/index.js';
import { freshDatabase } from '../helpers/postgres.js';
import { storageConformance } from './conformance.js';

const opened: PostgresStorage[] = [];
after(async () => {
  for (const s of opened) await s.close();
});

/** A PostgresStorage on `url`, closed when the file ends. */
export async function openPg(url: string, options?: PostgresStorageOptions): Promise<PostgresStorage> {
  const s = await PostgresStorage.open(url, options);
  opened.push(s);
  return s;
}

storageConformance({
  name: 'PostgreSQL',
  async database() {
    const url = await freshDatabase();
    return { open: () => openPg(url) };
  },
  async open() {
    return openPg(await freshDatabase());
  },
});
