#!/usr/bin/env node
// Builds the optional native kernels (native/) with node-gyp during `npm install`.
// A failed build is not an install failure: training falls back to the wasm backend,
// and this prints one line saying so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'native');
if (process.env.HPSEARCH_SKIP_NATIVE === '1') {
  console.log('hpsearch: native kernels skipped (HPSEARCH_SKIP_NATIVE=1); training will use the wasm backend');
  process.exit(0);
}
const res = spawnSync('node-gyp', ['rebuild', '--release'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32' });
const built = join(dir, 'build', 'Release', 'hpsearch_native.node');
if (res.status === 0 && existsSync(built)) {
  console.log('hpsearch: native kernels built');
} else {
  const why = (res.error?.message ?? res.stderr?.toString() ?? '').trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'unknown error';
  console.log(`hpsearch: native kernels not built (${why}); training will use the wasm backend`);
}
