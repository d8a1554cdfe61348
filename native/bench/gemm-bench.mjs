#!/usr/bin/env node
// GEMM micro-benchmark of the addon: GFLOP/s of hp::sgemm on the shapes the models multiply
// and on large squares. Usage: node native/bench/gemm-bench.mjs [--addon PATH] [--reps N]
//   --addon  the built addon (default native/build/Release/hpsearch_native.node)
// Prints one line per shape: M N K transA transB, median ms, GFLOP/s.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { addon: { type: 'string' }, reps: { type: 'string', default: '15' } } });
const here = dirname(fileURLToPath(import.meta.url));
const addonPath = resolve(args.addon ?? join(here, '..', 'build', 'Release', 'hpsearch_native.node'));
const addon = createRequire(import.meta.url)(addonPath);
const reps = Number(args.reps);

function random(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

// [label, M, N, K, transA, transB]
const SHAPES = [
  ['square 512', 512, 512, 512, false, false],
  ['square 1024', 1024, 1024, 1024, false, false],
  ['square 1024 A^T B^T', 1024, 1024, 1024, true, true],
  ['conv1d k3 fwd 64ch (im2col) ', 64 * 187, 64, 192, false, false],
  ['conv2d 3x3 fwd 64ch (im2col)', 64 * 187, 64, 576, false, false],
  ['conv2d 3x3 dW 64ch (col^T dy)', 576, 64, 64 * 187, true, false],
  ['conv2d 3x3 dW 128ch b16', 1152, 128, 16 * 187, true, false],
  ['gru recurrent b64 h64', 64, 192, 64, false, false],
  ['gru recurrent b32 h256', 32, 768, 256, false, false],
  ['gru input proj b32 h256', 32 * 93, 768, 64, false, false],
  ['dense 5120->128 b16', 16, 128, 5120, false, false],
];

console.log(`micro-kernel: ${addon.sgemmKernel()}; median of ${reps} runs (best in brackets)`);
for (const [label, M, N, K, ta, tb] of SHAPES) {
  const A = random(M * K), B = random(K * N), C = new Float32Array(M * N);
  const lda = ta ? M : K, ldb = tb ? K : N;
  const times = [];
  const inner = Math.max(1, Math.round(2e8 / (2 * M * N * K)));
  for (let r = 0; r < reps + 2; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) addon.sgemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C, N);
    if (r >= 2) times.push(Number(process.hrtime.bigint() - t0) / 1e6 / inner);
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  const best = times[0];
  console.log(
    `${label.padEnd(32)} M=${String(M).padStart(5)} N=${String(N).padStart(4)} K=${String(K).padStart(5)}  ` +
      `${ms.toFixed(3).padStart(8)} ms  ${((2 * M * N * K) / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s (best ${((2 * M * N * K) / best / 1e6).toFixed(1)})`,
  );
}

// A recurrent weight reused by 93 timesteps: per-call packing (sgemm) against hp::PackedB.
if (addon.sgemmPrepacked !== undefined) {
  console.log('GRU recurrent products, 93 per call, B packed per product (sgemm) or once (PackedB):');
  for (const [label, M, N, K, tb] of [
    ['gru fwd b32 h256 (h·W_hh)', 32, 768, 256, false],
    ['gru bwd b32 h256 (dg·W_hhᵀ)', 32, 256, 768, true],
    ['gru fwd b64 h64', 64, 192, 64, false],
  ]) {
    const A = random(M * K), B = random(K * N), C = new Float32Array(M * N), ldb = tb ? K : N;
    const timed = (f) => {
      const ts = [];
      for (let r = 0; r < reps + 2; r++) {
        const t0 = process.hrtime.bigint();
        f();
        if (r >= 2) ts.push(Number(process.hrtime.bigint() - t0) / 1e6 / 93);
      }
      return ts.sort((x, y) => x - y)[ts.length >> 1];
    };
    const plain = timed(() => { for (let i = 0; i < 93; i++) addon.sgemm(false, tb, M, N, K, 1, A, K, B, ldb, 0, C, N); });
    const pre = timed(() => addon.sgemmPrepacked(false, tb, M, N, K, 1, A, K, B, ldb, 0, C, N, 93));
    const gf = (ms) => ((2 * M * N * K) / ms / 1e6).toFixed(1);
    console.log(`${label.padEnd(32)} sgemm ${plain.toFixed(3)} ms ${gf(plain)} GFLOP/s   PackedB ${pre.toFixed(3)} ms ${gf(pre)} GFLOP/s`);
  }
}
