#!/usr/bin/env node
// Convolution micro-benchmark of the addon: GFLOP/s of the forward pass, the input gradient and
// the filter gradient on the models' layer shapes, next to a plain sgemm of the same size (the
// gap is what building the im2col panels costs). Usage:
//   node native/bench/conv-bench.mjs [--addon PATH] [--reps N] [--winograd]
// --winograd instead times the 3×3 block layers with Winograd F(4×4, 3×3) and F(2×2, 3×3)
// alternately, rep by rep in one process (HPSEARCH_NATIVE_WINOGRAD is read on every call), as
// thread CPU time (process.cpuUsage), so that other jobs on a shared machine distort it less.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { addon: { type: 'string' }, reps: { type: 'string', default: '9' }, winograd: { type: 'boolean', default: false } } });
const here = dirname(fileURLToPath(import.meta.url));
const addon = createRequire(import.meta.url)(resolve(args.addon ?? join(here, '..', 'build', 'Release', 'hpsearch_native.node')));
const reps = Number(args.reps);

const random = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
function time(f) {
  f();
  const ts = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    f();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return { med: ts[ts.length >> 1], min: ts[0] };
}

// [label, N, H, W, C, OC, KH, KW] — stride 1, 'same'.
const CASES = [
  ['cnn2d-small block 3x3 64->64', 64, 11, 17, 64, 64, 3, 3],
  ['cnn2d-seed-best block 3x3 128->128', 16, 11, 17, 128, 128, 3, 3],
  ['cnngru block k3 64->64 (b64)', 64, 1, 187, 64, 64, 1, 3],
  ['cnngru-seed-best block k3 64->64 (b32)', 32, 1, 187, 64, 64, 1, 3],
  ['cnn2d stem 3x3 1->64', 64, 11, 17, 1, 64, 3, 3],
];
if (args.winograd) {
  const cpuMs = (f) => {
    const t0 = process.cpuUsage();
    f();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1e3;
  };
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`micro-kernel: ${addon.sgemmKernel()}; median CPU ms of ${reps} alternating reps (F(4×4) | F(2×2) | ratio)`);
  for (const [label, N, H, W, C, OC] of CASES.slice(0, 2)) {
    const geom = Int32Array.of(N, H, W, C, H, W, OC, 3, 3, 1, 1, 1, 1, 1, 1);
    const x = random(N * H * W * C), w = random(9 * C * OC), y = new Float32Array(N * H * W * OC);
    const dy = random(N * H * W * OC), dx = new Float32Array(N * H * W * C), dw = new Float32Array(9 * C * OC);
    const ops = {
      forward: () => addon.conv2d(x, w, y, geom, null, 0),
      'input grad': () => addon.conv2dBackpropInput(dy, w, dx, geom),
      'filter grad': () => addon.conv2dBackpropFilter(x, dy, dw, geom),
    };
    console.log(label);
    for (const [k, f] of Object.entries(ops)) {
      const t = { 4: [], 2: [] };
      for (let r = 0; r <= reps; r++) {
        for (const v of ['4', '2']) {
          process.env.HPSEARCH_NATIVE_WINOGRAD = v;
          const ms = cpuMs(f);
          if (r > 0) t[v].push(ms); // rep 0 warms up
        }
      }
      const [a, b] = [med(t[4]), med(t[2])];
      console.log(`  ${k.padEnd(12)} ${a.toFixed(2).padStart(7)} | ${b.toFixed(2).padStart(7)} | ${(a / b).toFixed(2)}×`);
    }
  }
  process.exit(0);
}
console.log(`micro-kernel: ${addon.sgemmKernel()}; median (min) ms and GFLOP/s of the median`);
for (const [label, N, H, W, C, OC, KH, KW] of CASES) {
  const geom = Int32Array.of(N, H, W, C, H, W, OC, KH, KW, 1, 1, 1, 1, (KH - 1) >> 1, (KW - 1) >> 1);
  const x = random(N * H * W * C), w = random(KH * KW * C * OC), y = new Float32Array(N * H * W * OC);
  const dy = random(N * H * W * OC), dx = new Float32Array(N * H * W * C), dw = new Float32Array(KH * KW * C * OC);
  const M = N * H * W, K = KH * KW * C;
  const flops = 2 * M * K * OC;
  const A = random(M * K), Cm = new Float32Array(M * OC);
  const rows = {
    forward: time(() => addon.conv2d(x, w, y, geom, null, 0)),
    'input grad': time(() => addon.conv2dBackpropInput(dy, w, dx, geom)),
    'filter grad': time(() => addon.conv2dBackpropFilter(x, dy, dw, geom)),
    'sgemm same size': time(() => addon.sgemm(false, false, M, OC, K, 1, A, K, w, OC, 0, Cm, OC)),
  };
  console.log(`${label} (M=${M} K=${K} N=${OC}, ${(flops / 1e6).toFixed(0)} MFLOP)`);
  for (const [k, t] of Object.entries(rows)) {
    console.log(`  ${k.padEnd(16)} ${t.med.toFixed(2).padStart(7)} (${t.min.toFixed(2)}) ms  ${(flops / t.med / 1e6).toFixed(1).padStart(5)} GFLOP/s`);
  }
}
