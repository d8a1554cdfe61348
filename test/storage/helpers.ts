import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { SqliteStorage, type SqliteStorageOptions, type Storage, type StudyRecord } from '../../src/storage/index.js';
import type { Direction } from '../../src/core/search-space.js';

/** A fresh temporary directory, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-storage-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A new database file in a fresh temporary directory. */
export function tempDb(): string {
  return join(tempDir(), 'trials.db');
}

const open: SqliteStorage[] = [];
after(async () => {
  for (const s of open) await s.close();
});

/** Opens storage and closes it when the test file ends. */
export function openStorage(path: string, options?: SqliteStorageOptions): SqliteStorage {
  const s = SqliteStorage.open(path, options);
  open.push(s);
  return s;
}

export function newStudy(storage: Storage, name = 'demo', direction: Direction = 'minimize'): Promise<StudyRecord> {
  return storage.createStudy({ name, direction, metric: 'loss', yaml: null, settings: { model: 'cnngru' } });
}

/** Path of a compiled fixture script next to the compiled tests. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A node child process running a fixture, with its output collected. */
export class Child {
  readonly proc: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  private readonly exited: Promise<ChildResult>;
  private waiters: { test: (out: string) => boolean; resolve: () => void }[] = [];

  constructor(name: string, args: readonly string[]) {
    this.proc = spawn(process.execPath, [fixture(name), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(this.stdout)) return true;
        w.resolve();
        return false;
      });
    });
    this.proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  /** Resolves once the output so far satisfies `test`; rejects if the child exits first. */
  waitFor(test: (out: string) => boolean, what: string): Promise<void> {
    if (test(this.stdout)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ test, resolve });
      void this.exited.then((r) =>
        reject(new Error(`child exited (${r.code ?? r.signal}) before ${what}; stderr: ${r.stderr}`)),
      );
    });
  }

  exit(): Promise<ChildResult> {
    return this.exited;
  }
}

/**
 * Runs ask-tell workers in lock-step (fixtures/ask-tell-worker.ts): releases every worker
 * into round i at once, waits until each has ended it, then goes on with round i + 1. Only
 * which worker wins each race is up to the OS; what every round leaves in the database is
 * not. Returns, per worker, the number it got in each round it ran (null: study full).
 */
export async function inLockStep(workers: readonly Child[], rounds: number): Promise<(number | null)[][]> {
  await Promise.all(workers.map((w) => w.waitFor((out) => out.includes('ready\n'), 'ready')));
  const got: (number | null)[][] = workers.map(() => []);
  let running = workers.map((_, k) => k);
  for (let i = 0; i < rounds && running.length > 0; i++) {
    for (const k of running) workers[k]?.proc.stdin.write('go\n');
    const line = new RegExp(`\\nround ${i} (\\d+|full)\\n`);
    await Promise.all(running.map((k) => workers[k]?.waitFor((out) => line.test(out), `round ${i}`)));
    for (const k of running) {
      const said = line.exec(workers[k]?.stdout ?? '')?.[1];
      got[k]?.push(said === 'full' || said === undefined ? null : Number(said));
    }
    running = running.filter((k) => got[k]?.at(-1) !== null);
  }
  return got;
}
