/**
 * Storage backends benchmark (docs/storage.md "Benchmark: storage backends"): ask/tell
 * throughput and p50/p99 latency through the library API with a trivial objective (random
 * sampler, two floats), with C concurrent client processes sharing one study of N trials:
 * ours on PostgreSQL, ours on SQLite, and Optuna 3.1's RDBStorage on the same PostgreSQL
 * server. The three alternate within each round, so a machine that gets busier or quieter
 * affects them alike; every round is printed, then medians and spread.
 *
 *   npm run build && node dist/scripts/bench/storage-backends.js \
 *     [--trials 1000,10000] [--clients 1,8,32] [--rounds 3] [--postgres URL] [--python /usr/bin/python3] [--json]
 *
 * Without --postgres (or HPSEARCH_BENCH_POSTGRES) an embedded PostgreSQL server is started
 * for the run. Each round gets a new database (PostgreSQL) or file (SQLite). Throughput is
 * N / wall time from releasing the clients to the last one done; latency is that of one
 * ask + tell pair, over all pairs of all clients.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createStudy } from '../../src/index.js';
import { EmbeddedServer, withDatabase } from '../../test/helpers/embedded-postgres.js';

function listArg(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (v.length === 0 || v.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} needs positive integers separated by commas`);
  return v;
}

function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const TRIALS = listArg('trials', [1000, 10_000]);
const CLIENTS = listArg('clients', [1, 8, 32]);
const ROUNDS = listArg('rounds', [3])[0] as number;
const PYTHON = stringArg('python') ?? '/usr/bin/python3';
const JSON_OUT = process.argv.includes('--json');

const CLIENT_JS = fileURLToPath(new URL('./storage-client.js', import.meta.url));
const OPTUNA_PY = fileURLToPath(new URL('../../../scripts/bench/storage-optuna-client.py', import.meta.url));

type Backend = 'hpsearch-postgresql' | 'hpsearch-sqlite' | 'optuna-postgresql';
const BACKENDS: readonly Backend[] = ['hpsearch-postgresql', 'hpsearch-sqlite', 'optuna-postgresql'];

interface Round {
  readonly backend: Backend;
  readonly trials: number;
  readonly clients: number;
  readonly round: number;
  readonly wallS: number;
  readonly perS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** A client process: resolves `ready` when it says so, `done` with its latencies. */
function client(cmd: string, args: readonly string[]): { proc: ChildProcessWithoutNullStreams; ready: Promise<void>; done: Promise<number[]> } {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  proc.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    if (out.includes('ready\n')) onReady();
  });
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<number[]>((resolve, reject) =>
    proc.on('close', (code) => {
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
      else resolve(JSON.parse(out.split('\n').filter(Boolean).at(-1) ?? '[]') as number[]);
    }),
  );
  // A client that dies before `ready` must not leave the round waiting.
  done.catch(() => onReady());
  return { proc, ready, done };
}

function run(cmd: string, args: readonly string[]): Promise<void> {
  return client(cmd, args).done.then(() => {});
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** One round of one backend: a fresh storage, the study, C clients released at once. */
async function measure(backend: Backend, serverUrl: string, trials: number, clients: number, round: number): Promise<Round> {
  const scratch = mkdtempSync(join(tmpdir(), 'hpsearch-bench-'));
  const db = `bench_${randomBytes(5).toString('hex')}`;
  const pgUrl = withDatabase(serverUrl, db);
  try {
    if (backend !== 'hpsearch-sqlite') await admin(serverUrl, `CREATE DATABASE ${db}`);
    const storage = backend === 'hpsearch-sqlite' ? join(scratch, 'trials.db') : pgUrl;
    if (backend === 'optuna-postgresql') {
      await run(PYTHON, [OPTUNA_PY, 'create', storage, 'bench']);
    } else {
      const study = await createStudy({
        storage,
        name: 'bench',
        space: { x: { type: 'float', low: -5, high: 5 }, y: { type: 'float', low: -5, high: 5 } },
        sampler: { type: 'random', seed: 0 },
        workers: clients,
      });
      await study.storage.close();
    }
    const shares = Array.from({ length: clients }, (_, i) => Math.floor(trials / clients) + (i < trials % clients ? 1 : 0));
    const procs = shares.map((n) =>
      backend === 'optuna-postgresql' ? client(PYTHON, [OPTUNA_PY, 'run', storage, 'bench', String(n)]) : client(process.execPath, [CLIENT_JS, storage, 'bench', String(n)]),
    );
    await Promise.all(procs.map((p) => p.ready));
    const t0 = performance.now();
    for (const p of procs) p.proc.stdin.write('go\n');
    const latencies = (await Promise.all(procs.map((p) => p.done))).flat().sort((a, b) => a - b);
    const wallS = (performance.now() - t0) / 1000;
    return { backend, trials, clients, round, wallS, perS: trials / wallS, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (backend !== 'hpsearch-sqlite') await admin(serverUrl, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
  }
}

const fmt = (n: number, d = 1): string => n.toFixed(d);

async function main(): Promise<void> {
  const given = stringArg('postgres') ?? process.env.HPSEARCH_BENCH_POSTGRES;
  const embedded = given === undefined ? await EmbeddedServer.start() : null;
  const serverUrl = given ?? embedded!.url;
  const version = await (async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    const v = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
    await c.end();
    return v;
  })();
  console.error(`# ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; PostgreSQL ${version}${embedded ? ' (embedded)' : ''}; ${ROUNDS} rounds`);
  const rounds: Round[] = [];
  try {
    for (const trials of TRIALS) {
      for (const clients of CLIENTS) {
        for (let r = 0; r < ROUNDS; r++) {
          // Alternating: each round runs every backend once, in a rotating order.
          const order = BACKENDS.map((_, i) => BACKENDS[(i + r) % BACKENDS.length] as Backend);
          for (const backend of order) {
            const m = await measure(backend, serverUrl, trials, clients, r);
            rounds.push(m);
            console.error(`round ${r} ${backend.padEnd(20)} trials ${trials} clients ${clients}: ${fmt(m.perS)} trials/s, p50 ${fmt(m.p50Ms, 2)} ms, p99 ${fmt(m.p99Ms, 2)} ms (${fmt(m.wallS, 2)} s)`);
          }
        }
      }
    }
  } finally {
    await embedded?.destroy();
  }

  const summary = [];
  for (const trials of TRIALS) {
    for (const clients of CLIENTS) {
      for (const backend of BACKENDS) {
        const rs = rounds.filter((m) => m.backend === backend && m.trials === trials && m.clients === clients);
        const per = rs.map((m) => m.perS);
        summary.push({
          backend,
          trials,
          clients,
          trials_per_s: median(per),
          trials_per_s_min: Math.min(...per),
          trials_per_s_max: Math.max(...per),
          p50_ms: median(rs.map((m) => m.p50Ms)),
          p99_ms: median(rs.map((m) => m.p99Ms)),
        });
      }
    }
  }
  if (JSON_OUT) {
    console.log(JSON.stringify({ postgres: version, rounds, summary }, null, 2));
    return;
  }
  console.log(`\nmedians over ${ROUNDS} rounds (spread: min-max of the rounds)`);
  console.log('| trials | clients | backend | trials/s | spread | p50 ms | p99 ms |');
  console.log('|---:|---:|---|---:|---|---:|---:|');
  for (const s of summary) {
    console.log(`| ${s.trials} | ${s.clients} | ${s.backend} | ${fmt(s.trials_per_s)} | ${fmt(s.trials_per_s_min)}-${fmt(s.trials_per_s_max)} | ${fmt(s.p50_ms, 2)} | ${fmt(s.p99_ms, 2)} |`);
  }
}

await main();
