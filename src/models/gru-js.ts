/**
 * The fused GRU op written with tf ops, for backends without kernels of their own for it
 * (tensorflow, webgl, cpu without the addon; wasm has gru-wasm.ts). Same algorithm as native/src/gru.cc, arranged so that the per-step work is as
 * few kernel calls as possible (each call costs tens of µs of engine overhead on wasm,
 * more than the arithmetic of a small step):
 *
 * Forward, time-major: the input projections of all steps are one matmul per gate (so each
 * step's slice is contiguous), with b_hr and b_hz folded in, since only b_hn sits inside
 * r ⊙ (·). Each step is then 13 ops: r = σ(gx_r + h·W_hr), z likewise, h·W_hn + b_hn,
 * n = tanh(gx_n + r ⊙ hn) and h' = n + z ⊙ (h − n).
 *
 * Backward: with a = pre-activation and dh = dL/dh' (Cho et al. 2014 equations, derivatives
 * σ' = σ(1 − σ), tanh' = 1 − tanh²):
 *   dL/da_n = dh ⊙ (1 − z)(1 − n²)          =: dh ⊙ Kn
 *   dL/da_z = dh ⊙ (h_prev − n) z (1 − z)   =: dh ⊙ Kz
 *   dL/da_r = dL/da_n ⊙ hn r (1 − r)         =: dh ⊙ Kr
 *   dL/dhn  = dL/da_n ⊙ r                    =: dh ⊙ Kh
 *   dL/dh_prev = dh ⊙ z + [dL/da_r, dL/da_z, dL/dhn] · W_hhᵀ
 * The factors K depend only on saved forward values, so they are computed for all steps at
 * once; the sequential part is then 5–6 ops per step (tile dh, multiply, matmul, dh ⊙ z, add,
 * plus the output's gradient). The weight gradients are whole-sequence matmuls at the end.
 * Transposed operands are transposed explicitly first (wasm's matmul, for one, is slow on
 * them). Steps are read out of whole-sequence tensors by one unstack each (a single kernel
 * call; on wasm it would copy the whole input per step, one reason wasm has its own kernels).
 */
import * as tf from '@tensorflow/tfjs';

import type { GruWeights } from './gru-fused.js';

/** What the backward pass needs, in this order (see gruForwardJs). */
const enum Saved {
  X = 0, // time-major inputs [T·B, I]
  Kernel,
  RecurrentKernel,
  R, // gates of every step, [T, B, H] each
  Z,
  N,
  Hn, // h_prev·W_hn + b_hn
  HPrev, // h_prev of every step
  ZSteps, // first of T tensors z_t [B, H]
}

/** Reads step t of a time-major [T, B, C] tensor as [B, C]. */
function stepReader(seq: tf.Tensor): (t: number) => tf.Tensor2D {
  const steps = tf.unstack(seq) as tf.Tensor2D[];
  return (t) => steps[t];
}

export function gruForwardJs(x: tf.Tensor3D, w: GruWeights, returnSequences: boolean): { value: tf.Tensor; saved: tf.Tensor[] } {
  const [B, T, I] = x.shape;
  const H = w.recurrentKernel.shape[0];
  const xt = tf.reshape(tf.transpose(x, [1, 0, 2]), [T * B, I]);
  // Gate g's columns of a packed [·, 3H] matrix or [3H] bias.
  const cols = (m: tf.Tensor2D, g: number): tf.Tensor2D => tf.slice(m, [0, g * H], [m.shape[0], H]);
  const part = (v: tf.Tensor1D, g: number): tf.Tensor1D => tf.slice(v, g * H, H);
  // Per gate, so that no step has to split a [B, 3H] result (a strided copy; slow on cpu).
  const proj = (g: number, bias: tf.Tensor1D): ((t: number) => tf.Tensor2D) =>
    stepReader(tf.reshape(tf.fused.matMul({ a: xt, b: cols(w.kernel, g), bias }), [T, B, H]));
  const projR = proj(0, tf.add(part(w.bias, 0), part(w.recurrentBias, 0)));
  const projZ = proj(1, tf.add(part(w.bias, 1), part(w.recurrentBias, 1)));
  const projN = proj(2, part(w.bias, 2));
  const [wR, wZ, wN] = [0, 1, 2].map((g) => cols(w.recurrentKernel, g));
  const bN = part(w.recurrentBias, 2);

  let h: tf.Tensor2D = tf.zeros([B, H]);
  const rs: tf.Tensor[] = [];
  const zs: tf.Tensor[] = [];
  const ns: tf.Tensor[] = [];
  const hns: tf.Tensor[] = [];
  const hPrevs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const r = tf.sigmoid(tf.add(projR(t), tf.matMul(h, wR)));
    const z = tf.sigmoid(tf.add(projZ(t), tf.matMul(h, wZ)));
    const hn = tf.fused.matMul({ a: h, b: wN, bias: bN });
    const n = tf.tanh(tf.add(projN(t), tf.mul(r, hn)));
    hPrevs.push(h);
    h = tf.add(n, tf.mul(z, tf.sub(h, n)));
    rs.push(r);
    zs.push(z);
    ns.push(n);
    hns.push(hn);
  }
  // Concatenating [B, H] blocks along axis 0 is one kernel call (tf.stack adds one per block).
  const seq = (list: tf.Tensor[]): tf.Tensor => tf.reshape(tf.concat(list, 0), [T, B, H]);
  const hs = returnSequences ? [...hPrevs.slice(1), h] : [];
  const value = returnSequences ? tf.transpose(seq(hs), [1, 0, 2]) : h;
  const saved = [xt, w.kernel, w.recurrentKernel, seq(rs), seq(zs), seq(ns), seq(hns), seq(hPrevs), ...zs];
  return { value, saved };
}

/** Gradients for [x, kernel, recurrentKernel, bias, recurrentBias] from the output's gradient. */
export function gruBackwardJs(dy: tf.Tensor, saved: tf.Tensor[], returnSequences: boolean): tf.Tensor[] {
  const xt = saved[Saved.X] as tf.Tensor2D;
  const kernel = saved[Saved.Kernel] as tf.Tensor2D;
  const recurrentKernel = saved[Saved.RecurrentKernel] as tf.Tensor2D;
  const [R, Z, N, Hn, HPrev] = [saved[Saved.R], saved[Saved.Z], saved[Saved.N], saved[Saved.Hn], saved[Saved.HPrev]];
  const zSteps = saved.slice(Saved.ZSteps);
  const [T, B, H] = R.shape;
  const I = xt.shape[1];

  const kn = tf.mul(tf.sub(1, Z), tf.sub(1, tf.square(N)));
  const kz = tf.mul(tf.sub(HPrev, N), tf.mul(Z, tf.sub(1, Z)));
  const kr = tf.mul(tf.mul(kn, Hn), tf.mul(R, tf.sub(1, R)));
  const khStep = stepReader(tf.concat([kr, kz, tf.mul(kn, R)], 2));
  const wT = tf.transpose(recurrentKernel);
  const dyStep = returnSequences ? stepReader(tf.transpose(dy, [1, 0, 2])) : null;

  const dhs: tf.Tensor[] = new Array<tf.Tensor>(T);
  const dghs: tf.Tensor[] = new Array<tf.Tensor>(T);
  let dh: tf.Tensor | null = returnSequences ? null : dy;
  for (let t = T - 1; t >= 0; t--) {
    const g: tf.Tensor = dyStep === null ? (dh as tf.Tensor) : dh === null ? dyStep(t) : tf.add(dh, dyStep(t));
    const dgh = tf.mul(tf.concat([g, g, g], 1), khStep(t));
    dhs[t] = g;
    dghs[t] = dgh;
    // h_0 is a constant: no gradient to carry past the first step.
    if (t > 0) dh = tf.add(tf.mul(g, zSteps[t]), tf.matMul(dgh, wT));
  }
  const G = tf.reshape(tf.concat(dhs, 0), [T, B, H]);
  const dGx = tf.reshape(tf.mul(tf.concat([G, G, G], 2), tf.concat([kr, kz, kn], 2)), [T * B, 3 * H]);
  const dGh = tf.concat(dghs, 0);
  const dKernel = tf.matMul(tf.transpose(xt), dGx);
  const dRecurrent = tf.matMul(tf.transpose(tf.reshape(HPrev, [T * B, H])), dGh);
  const dx = tf.transpose(tf.reshape(tf.matMul(dGx, tf.transpose(kernel)), [T, B, I]), [1, 0, 2]);
  return [dx, dKernel, dRecurrent, tf.sum(dGx, 0), tf.sum(dGh, 0)];
}
