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
