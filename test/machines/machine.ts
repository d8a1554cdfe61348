/**
 * "Machines" on one host for the several-machines suite: a machine is a process group with
 * its own hostname (a UTS namespace: `unshare -u`, so its trials' owner host differs from
 * every other machine's), its own empty working folder (HPSEARCH_WORK_DIR: its checkpoint
 * and data caches) and its own epoch log, sharing nothing with the others but the storage.
 * The storage is a parameter (SharedStorage): the flags every machine passes to reach it,
 * and a way for the test to open it and watch the study.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStorage, SqliteStorage, type Storage } from '../../src/storage/index.js';
import { dbFingerprint } from '../reliability/fixtures.js';
import { CLI } from '../cli/helpers.js';
import type { RunEvent } from '../reliability/cli-process.js';

/** The storage the machines share. */
export interface SharedStorage {
  readonly label: string;
  /** What `hpsearch run` needs on every machine to reach it. */
  readonly flags: readonly string[];
  /** Opens it in the test process, to watch and check the study (closed by the caller). */
  open(): Promise<Storage>;
  /**
   * Whether `machine` holds no lock on it now: a machine frozen with SIGSTOP inside a write
   * transaction would stall every other machine, so a test freezes one only outside.
   */
  unlocked(machine: string): Promise<boolean>;
  /** Everything stored, as one comparable value: equal before and after means nothing was written. */
  snapshot(): Promise<string>;
}

export function sqliteStorage(path: string): SharedStorage {
  return {
    label: `sqlite ${path}`,
    flags: ['--db', path],
    open: async () => SqliteStorage.open(path),
    snapshot: async () => JSON.stringify(dbFingerprint(path)),
    unlocked: async () => {
      const db = new Database(path, { timeout: 0 });
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
        return true;
      } catch {
        return false;
      } finally {
        db.close();
      }
    },
  };
}

/**
 * A PostgreSQL database as the shared storage. Each machine's connections carry its name
 * (PGAPPNAME, set by MachineRun), so pg_stat_activity tells whether it is inside a
 * transaction or a statement, i.e. may hold locks.
 */
export function postgresStorage(url: string): SharedStorage {
  const query = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    label: `postgresql ${url}`,
    flags: ['--storage', url],
    open: () => PostgresStorage.open(url),
    snapshot: async () => {
      const tables = (await query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).map((r) => r.t);
      const dump: Record<string, unknown> = {};
      for (const t of tables) dump[t] = await query(`SELECT to_jsonb(x)::text AS row FROM ${t} x ORDER BY 1`);
      return JSON.stringify(dump);
    },
    unlocked: async (machine) =>
      (
        await query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = $1 AND (state = 'active' OR state LIKE 'idle in transaction%')`,
          [machine],
        )
      )[0]!.n === 0,
  };
}

/** Whether this host can give a process its own hostname (root, or user namespaces allowed). */
export function unshareWorks(): boolean {
  return spawnSync('unshare', ['-u', 'sh', '-c', 'hostname hpsearch-probe'], { stdio: 'ignore' }).status === 0;
}

/**
 * How a machine gets its name: its own UTS namespace where the host allows one, else the
 * HPSEARCH_HOST override (src/core/host.ts), which the storage records the same way
 * (HPSEARCH_TEST_MACHINE_NAMING=HPSEARCH_HOST forces it, to test that path).
 */
export const MACHINE_NAMING: 'uts-namespace' | 'HPSEARCH_HOST' =
  process.env.HPSEARCH_TEST_MACHINE_NAMING !== 'HPSEARCH_HOST' && unshareWorks() ? 'uts-namespace' : 'HPSEARCH_HOST';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One `hpsearch` command running on a machine, in its own process group. */
export class MachineRun {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(readonly machine: Machine, args: readonly string[], env: Record<string, string> = {}) {
    // `hostname` inside the new UTS namespace, then exec: the CLI is the group's leader's image.
    const [command, argv] =
      MACHINE_NAMING === 'uts-namespace'
        ? ['unshare', ['-u', 'sh', '-c', 'hostname "$0" && exec "$@"', machine.name, process.execPath, CLI, ...args]]
        : [process.execPath, [CLI, ...args]];
    this.child = spawn(command, argv, {
      cwd: machine.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HPSEARCH_WORK_DIR: machine.workDir,
        HPSEARCH_EPOCH_LOG: machine.epochLog,
        // Names the machine's PostgreSQL sessions (postgresStorage's unlocked()).
        PGAPPNAME: machine.name,
        ...(MACHINE_NAMING === 'HPSEARCH_HOST' ? { HPSEARCH_HOST: machine.name } : {}),
        ...env,
      },
    });
    const timer = setTimeout(() => this.signal('SIGKILL'), 600_000);
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  /** Sends `sig` to the whole machine (its process group: the CLI and its worker processes). */
  signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.child.pid!, sig);
    } catch {
      // already gone
    }
  }

  /** The complete JSON event lines printed so far. */
  events(): RunEvent[] {
    const lines = this.stdout.split('\n');
    lines.pop();
    return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  }
}

export class Machine {
  readonly dir: string;
  readonly workDir: string;
  readonly epochLog: string;

  /** A machine called `name` with an empty folder of its own under `root`. */
  constructor(
    readonly name: string,
    root: string,
  ) {
    this.dir = join(root, name);
    mkdirSync(this.dir, { recursive: true });
    this.workDir = join(this.dir, '.hpsearch');
    this.epochLog = join(this.dir, 'epochs.log');
  }

  run(args: readonly string[], env?: Record<string, string>): MachineRun {
    return new MachineRun(this, args, env);
  }

  /** "trial epoch" pairs this machine trained and the study recorded (src/worker/faults.ts). */
  loggedEpochs(): [number, number][] {
    if (!existsSync(this.epochLog)) return [];
    return readFileSync(this.epochLog, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(' ').map(Number) as [number, number]);
  }
}

/** Polls `test` (an observation of storage or files, never a clock) every 50 ms until it holds. */
export async function until<T>(test: () => Promise<T | null | undefined | false>, what: string, ms = 300_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await test();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
