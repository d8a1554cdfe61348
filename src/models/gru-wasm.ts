/**
 * The fused GRU kernels for the wasm backend, in JS over the wasm heap: HpGruForward and
 * HpGruBackward (the same contract as the addon's, gru-native.ts) registered for 'wasm'.
 *
 * Why not tf ops on wasm: each op costs 35–60 µs of engine overhead there, and every way of
 * reading one timestep out of a [T, B, ·] tensor is slow (Slice, and so Unpack/SplitV, copy
 * the whole input out of the heap per output; Gather takes ~1 ms for 8K floats). Here each
 * step is one call of the wasm BatchMatMul kernel function (XNNPACK; called directly, like the
 * kernels in src/backend/wasm-kernels, so no engine bookkeeping) plus the gate arithmetic as a
 * JS loop over Float32Array views of the heap: no copies in or out, no per-step tensors.
 *
 * The algorithm, saved layout ([B, T, 5H] = r, z, n, hn, h_prev) and gradient formulas are
 * those of native/src/gru.cc (Cho et al. 2014 with PyTorch's reset-after-product gates).
 * Views are taken afresh after every allocation: a growing wasm memory detaches old views.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { runWasmKernel } from '../backend/wasm-kernels/util.js';
import { GRU_BACKWARD_KERNEL, GRU_FORWARD_KERNEL } from './gru-native.js';

type Info = tf.TensorInfo;

/** The same memory under another shape (what the Reshape kernel does, without the refcount). */
const as = (t: Info, shape: number[]): Info => ({ dataId: t.dataId, shape, dtype: t.dtype });

function f32(backend: BackendWasm, t: Info): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

function matMul(backend: BackendWasm, a: Info, b: Info): Info {
  return runWasmKernel(backend, 'BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
}

/** Explicit transpose before a product: wasm's matmul is slow on transposed operands. */
function transpose2d(backend: BackendWasm, t: Info, rows: number, cols: number): Info {
  return runWasmKernel(backend, 'Transpose', { x: as(t, [rows, cols]) }, { perm: [1, 0] });
}

function input(inputs: tf.NamedTensorInfoMap, name: string): Info {
  const t = inputs[name];
  if (t === undefined) throw new Error(`GRU kernel: input '${name}' is missing`);
  return t;
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

const forwardKernel: tf.KernelFunc = ({ inputs, backend: be, attrs }) => {
  const backend = be as BackendWasm;
  const [x, kernel, recurrentKernel, bias, recurrentBias] = ['x', 'kernel', 'recurrentKernel', 'bias', 'recurrentBias'].map((n) => input(inputs, n));
  const [B, T, I] = x.shape;
  const H = recurrentKernel.shape[0];
  const G = 3 * H;
  const S = 5 * H;
  const sequences = attrs?.['returnSequences'] === true;
  // x W_ih for all (b, t) at once; row b·T + t (batch-major, as x).
  const proj = matMul(backend, as(x, [1, B * T, I]), as(kernel, [1, I, G]));
  const out = backend.makeOutput(sequences ? [B, T, H] : [B, H], 'float32');
  const saved = backend.makeOutput([B, T, S], 'float32');
  const h = backend.makeOutput([1, B, H], 'float32'); // h_{t-1}, the left operand of each step's product
  const zeros = new Float32Array(B * G);
  const wh = as(recurrentKernel, [1, H, G]);
  for (let t = 0; t < T; t++) {
    const rec = t === 0 ? null : matMul(backend, h, wh);
    const [p, s, o, hv, bi, bh] = [proj, saved, out, h, bias, recurrentBias].map((i) => f32(backend, i));
    const r0 = rec === null ? zeros : f32(backend, rec);
    for (let b = 0; b < B; b++) {
      const pRow = (b * T + t) * G;
      const sRow = (b * T + t) * S;
      const rRow = b * G;
      const oRow = sequences ? (b * T + t) * H : b * H;
      const write = sequences || t === T - 1;
      for (let j = 0; j < H; j++) {
        const hPrev = t === 0 ? 0 : s[sRow + 4 * H + j];
        const r = sigmoid(p[pRow + j] + bi[j] + (r0[rRow + j] + bh[j]));
        const z = sigmoid(p[pRow + H + j] + bi[H + j] + (r0[rRow + H + j] + bh[H + j]));
        const hn = r0[rRow + 2 * H + j] + bh[2 * H + j];
        const n = Math.tanh(p[pRow + 2 * H + j] + bi[2 * H + j] + r * hn);
        const next = n + z * (hPrev - n);
        s[sRow + j] = r;
        s[sRow + H + j] = z;
        s[sRow + 2 * H + j] = n;
        s[sRow + 3 * H + j] = hn;
        if (t === 0) s[sRow + 4 * H + j] = 0;
        if (t + 1 < T) s[sRow + S + 4 * H + j] = next; // h_prev of (b, t + 1)
        hv[b * H + j] = next;
        if (write) o[oRow + j] = next;
      }
    }
    if (rec !== null) backend.disposeData(rec.dataId);
  }
  backend.disposeData(proj.dataId);
  backend.disposeData(h.dataId);
  return [out, saved];
};

const backwardKernel: tf.KernelFunc = ({ inputs, backend: be, attrs }) => {
  const backend = be as BackendWasm;
  const [dy, x, kernel, recurrentKernel, saved] = ['dy', 'x', 'kernel', 'recurrentKernel', 'saved'].map((n) => input(inputs, n));
  const [B, T, I] = x.shape;
  const H = recurrentKernel.shape[0];
  const G = 3 * H;
  const S = 5 * H;
  const sequences = attrs?.['returnSequences'] === true;
  const dgx = backend.makeOutput([B * T, G], 'float32'); // d(pre-activations) seen by W_ih
  const dgh = backend.makeOutput([B * T, G], 'float32'); // … by W_hh (n part times r)
  const step = backend.makeOutput([1, B, G], 'float32'); // dgh of one step, contiguous
  const whT = transpose2d(backend, recurrentKernel, H, G);
  let dh = new Float32Array(B * H);
  let dPrev = new Float32Array(B * H);
  if (!sequences) dh.set(f32(backend, dy));
  for (let t = T - 1; t >= 0; t--) {
    const [s, d, gx, gh, st] = [saved, dy, dgx, dgh, step].map((i) => f32(backend, i));
    for (let b = 0; b < B; b++) {
      const row = b * T + t;
      const sRow = row * S;
      const gRow = row * G;
      for (let j = 0; j < H; j++) {
        const g = sequences ? dh[b * H + j] + d[row * H + j] : dh[b * H + j];
        const r = s[sRow + j];
        const z = s[sRow + H + j];
        const n = s[sRow + 2 * H + j];
        const hn = s[sRow + 3 * H + j];
        const hp = s[sRow + 4 * H + j];
        const dan = g * (1 - z) * (1 - n * n);
        const daz = g * (hp - n) * (z * (1 - z));
        const dar = dan * hn * (r * (1 - r));
        gx[gRow + j] = dar;
        gx[gRow + H + j] = daz;
        gx[gRow + 2 * H + j] = dan;
        gh[gRow + j] = dar;
        gh[gRow + H + j] = daz;
        gh[gRow + 2 * H + j] = dan * r;
        dPrev[b * H + j] = g * z;
      }
      st.set(gh.subarray(gRow, gRow + G), b * G);
    }
    // dL/dh_{t-1} = dh ⊙ z + dgh_t · W_hhᵀ; h_0 is a constant, so nothing to carry past t = 0.
    if (t > 0) {
      const m = matMul(backend, step, as(whT, [1, G, H]));
      const mv = f32(backend, m);
      for (let i = 0; i < B * H; i++) dPrev[i] += mv[i];
      backend.disposeData(m.dataId);
    }
    [dh, dPrev] = [dPrev, dh];
  }
  // Whole-sequence products over the B·T rows.
  const xT = transpose2d(backend, x, B * T, I);
  const dKernel = matMul(backend, as(xT, [1, I, B * T]), as(dgx, [1, B * T, G]));
  const hPrev = backend.makeOutput([B * T, H], 'float32');
  {
    const [s, hp] = [saved, hPrev].map((i) => f32(backend, i));
    for (let row = 0; row < B * T; row++) hp.set(s.subarray(row * S + 4 * H, row * S + 5 * H), row * H);
  }
  const hPrevT = transpose2d(backend, hPrev, B * T, H);
  const dRecurrent = matMul(backend, as(hPrevT, [1, H, B * T]), as(dgh, [1, B * T, G]));
  const kT = transpose2d(backend, kernel, I, G);
  const dx = matMul(backend, as(dgx, [1, B * T, G]), as(kT, [1, G, I]));
  const dBias = new Float32Array(G);
  const dRecurrentBias = new Float32Array(G);
  {
    const [gx, gh] = [dgx, dgh].map((i) => f32(backend, i));
    for (let row = 0; row < B * T; row++) {
      for (let k = 0; k < G; k++) {
        dBias[k] += gx[row * G + k];
        dRecurrentBias[k] += gh[row * G + k];
      }
    }
  }
  for (const t of [dgx, dgh, step, whT, xT, hPrev, hPrevT, kT]) backend.disposeData(t.dataId);
  return [
    as(dx, [B, T, I]),
    as(dKernel, [I, G]),
    as(dRecurrent, [H, G]),
    backend.makeOutput([G], 'float32', undefined, dBias),
    backend.makeOutput([G], 'float32', undefined, dRecurrentBias),
  ];
};

/** Registers both kernels for 'wasm' (once). */
export function registerWasmGruKernels(): void {
  if (tf.getKernel(GRU_FORWARD_KERNEL, 'wasm') == null) {
    tf.registerKernel({ kernelName: GRU_FORWARD_KERNEL, backendName: 'wasm', kernelFunc: forwardKernel });
  }
  if (tf.getKernel(GRU_BACKWARD_KERNEL, 'wasm') == null) {
    tf.registerKernel({ kernelName: GRU_BACKWARD_KERNEL, backendName: 'wasm', kernelFunc: backwardKernel });
  }
}
