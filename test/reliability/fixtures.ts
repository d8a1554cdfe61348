/**
 * Fixtures of the reliability suites: the built CLI run asynchronously (so that cases can run
 * side by side), a real study database made by the CLI, byte-level fingerprints of a database,
 * and small HDF5 / CSV data files, valid or broken on purpose.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, type CliResult } from '../cli/helpers.js';
import { labelsWithCounts, randomSignals, writeKaggleCsv, writeRawHdf5, type RawDataset } from '../data/helpers.js';

export const TINY_YAML = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));

/** Runs the built CLI in its own process without blocking the event loop. */
export function hpsearchAsync(args: readonly string[], opts: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr });
    });
  });
}

/**
 * A real study database: the tiny CNN-GRU study of the fixtures, run by the CLI (2 trials,
 * 1 epoch) into `dir/trials.db`. Returns the database path.
 */
export async function tinyStudyDb(dir: string): Promise<string> {
  const yaml = join(dir, 'tiny.yaml');
  copyFileSync(TINY_YAML, yaml);
  const db = join(dir, 'trials.db');
  const r = await hpsearchAsync(['run', yaml, '--db', db, '--trials', '2', '--epochs', '1', '--json'], { cwd: dir, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`the tiny study failed (exit ${r.code}): ${r.stderr}`);
  return db;
}

/** sha256 of a file's bytes. */
export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * What must not change when bad input meets an existing database: the main file's bytes, and
 * an empty write-ahead log (a committed write could sit in `-wal` without reaching the file).
 */
export interface DbFingerprint {
  readonly sha256: string;
  readonly walBytes: number;
}

export function dbFingerprint(path: string): DbFingerprint {
  const wal = `${path}-wal`;
  return { sha256: sha256(path), walBytes: existsSync(wal) ? statSync(wal).size : 0 };
}

/** A consistent small multi-class set: float32 signals [n, length] and labels with `counts` per class. */
export interface SmallSet {
  readonly signals: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  readonly length: number;
}

export function smallSet(counts: readonly number[], length = 32, seed = 1): SmallSet {
  const labels = labelsWithCounts([...counts], seed);
  return { signals: randomSignals(labels.length, length, 1, seed), labels, count: labels.length, length };
}

/** HDF5 datasets `X` [n, length] float32 and `y` [n] int32 of a set, for `writeRawHdf5`. */
export function setDatasets(set: SmallSet): RawDataset[] {
  return [
    { name: 'X', data: set.signals, shape: [set.count, set.length] },
    { name: 'y', data: set.labels, shape: [set.count] },
  ];
}

export async function writeH5(path: string, datasets: RawDataset[], attrs: Record<string, string[] | string> = {}): Promise<void> {
  await writeRawHdf5(path, datasets, attrs);
}

/** A Kaggle-layout CSV of a set (no header, signal columns then the label). */
export function writeSetCsv(path: string, set: SmallSet): void {
  writeKaggleCsv(path, set.signals, set.labels, set.length);
}

/** Replaces line `line` (1-based) of a text file. */
export function replaceLine(path: string, line: number, text: string): void {
  const lines = readFileSync(path, 'utf8').split('\n');
  lines[line - 1] = text;
  writeFileSync(path, lines.join('\n'));
}
