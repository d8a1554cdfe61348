#!/usr/bin/env node
// Where the fused GRU's time goes: gruForward and gruBackward of the addon at a model's layer
// sizes, next to the GEMMs inside them timed alone (same shapes and strides), so the rest
// (gate passes, bias sums, memory) is the difference. GFLOP/s count the GEMM flops only.
//
//   node native/bench/gru-bench.mjs [--addon PATH] [--reps 9] [--batch 32] [--time 93] [--features 64] [--units 256] [--sequences]
//
// Defaults: the first GRU layer of cnngru-seed-best (docs/performance.md).
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    addon: { type: 'string' },
    reps: { type: 'string', default: '9' },
    batch: { type: 'string', default: '32' },
    time: { type: 'string', default: '93' },
    features: { type: 'string', default: '64' },
    units: { type: 'string', default: '256' },
    sequences: { type: 'boolean', default: false },
  },
});
const here = dirname(fileURLToPath(import.meta.url));
const addon = createRequire(import.meta.url)(resolve(args.addon ?? join(here, '..', 'build', 'Release', 'hpsearch_native.node')));
const reps = Number(args.reps);
const [B, T, I, H] = [args.batch, args.time, args.features, args.units].map(Number);
const G = 3 * H;
const S = 5 * H;
const seq = args.sequences;

function random(n, scale = 1) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (Math.random() * 2 - 1) * scale;
  return a;
}

function median(f) {
  const times = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = process.hrtime.bigint();
    f();
    if (r >= 2) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

const bound = 1 / Math.sqrt(H);
const x = random(B * T * I);
const wIh = random(I * G, bound);
const wHh = random(H * G, bound);
const bIh = random(G, bound);
const bHh = random(G, bound);
const out = new Float32Array(B * (seq ? T : 1) * H);
const saved = new Float32Array(B * T * S);
const dy = random(B * (seq ? T : 1) * H);
const dx = new Float32Array(B * T * I);
const dWIh = new Float32Array(I * G);
const dWHh = new Float32Array(H * G);
const dBIh = new Float32Array(G);
const dBHh = new Float32Array(G);

const forward = () => addon.gruForward(B, T, I, H, seq, x, wIh, wHh, bIh, bHh, out, saved);
const backward = () => addon.gruBackward(B, T, I, H, seq, dy, x, wIh, wHh, saved, dx, dWIh, dWHh, dBIh, dBHh);
forward();

// The products of gru.cc's GruForward/GruBackward, as plain sgemm calls with their strides.
const proj = new Float32Array(B * T * G);
const rec = new Float32Array(B * G);
const dg = random(B * T * G);
const dprev = new Float32Array(B * H);
const parts = [
  ['fwd: input projection', 2 * B * T * I * G, () => addon.sgemm(false, false, B * T, G, I, 1, x, I, wIh, G, 0, proj, G)],
  ['fwd: recurrent, T-1 steps', 2 * B * H * G * (T - 1), () => {
    for (let t = 1; t < T; t++) addon.sgemm(false, false, B, G, H, 1, saved.subarray(t * S + 4 * H), T * S, wHh, G, 0, rec, G);
  }],
  ['bwd: recurrent, T-1 steps', 2 * B * H * G * (T - 1), () => {
    for (let t = T - 1; t > 0; t--) addon.sgemm(false, true, B, H, G, 1, dg.subarray(t * G), T * G, wHh, G, 1, dprev, H);
  }],
  ['bwd: dW_ih', 2 * B * T * I * G, () => addon.sgemm(true, false, I, G, B * T, 1, x, I, dg, G, 0, dWIh, G)],
  ['bwd: dW_hh', 2 * B * T * H * G, () => addon.sgemm(true, false, H, G, B * T, 1, saved.subarray(4 * H), S, dg, G, 0, dWHh, G)],
  ['bwd: dX', 2 * B * T * I * G, () => addon.sgemm(false, true, B * T, I, G, 1, dg, G, wIh, G, 0, dx, I)],
];

console.log(`GRU B=${B} T=${T} I=${I} H=${H} ${seq ? 'sequences' : 'last state'}; gates ${addon.gruKernelName()}, gemm ${addon.sgemmKernel()}; median of ${reps}`);
const fwdMs = median(forward);
const bwdMs = median(backward);
let fwdGemm = 0;
let bwdGemm = 0;
let fwdFlops = 0;
let bwdFlops = 0;
for (const [label, flops, f] of parts) {
  const ms = median(f);
  if (label.startsWith('fwd')) {
    fwdGemm += ms;
    fwdFlops += flops;
  } else {
    bwdGemm += ms;
    bwdFlops += flops;
  }
  console.log(`  ${label.padEnd(28)} ${ms.toFixed(2).padStart(8)} ms  ${(flops / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`);
}
console.log(`gruForward  ${fwdMs.toFixed(2).padStart(8)} ms  (${(fwdFlops / fwdMs / 1e6).toFixed(1)} GFLOP/s; its GEMMs alone ${fwdGemm.toFixed(2)} ms, the rest ${(fwdMs - fwdGemm).toFixed(2)} ms)`);
console.log(`gruBackward ${bwdMs.toFixed(2).padStart(8)} ms  (${(bwdFlops / bwdMs / 1e6).toFixed(1)} GFLOP/s; its GEMMs alone ${bwdGemm.toFixed(2)} ms, the rest ${(bwdMs - bwdGemm).toFixed(2)} ms)`);
