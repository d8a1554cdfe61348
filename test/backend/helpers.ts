/** Shared helpers for the backend tests: seeded data and cross-backend comparison. */
import * as tf from '@tensorflow/tfjs';

import { initBackend } from '../../src/backend/index.js';

/** Deterministic uniform(-1, 1) values (mulberry32), so a failure reproduces exactly. */
export function randomValues(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape);
}

/** max|a − b| / max(max|b|, eps): the error measure the gradient tests bound by 1e-4. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, eps = 1e-12): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, eps);
}

/**
 * Switches to `backend`, runs `f` and returns its outputs as plain arrays. `f` must build its
 * inputs itself (from seeded values), so each backend owns its tensors; everything `f`
 * creates is disposed.
 */
export async function runOnBackend(backend: 'cpu' | 'wasm' | 'native', f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(backend);
  const outs = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const data = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(outs);
  return data;
}

/** `f` on the cpu backend and on wasm (with our kernels). */
export async function onBothBackends(f: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const cpu = await runOnBackend('cpu', f);
  return { cpu, wasm: await runOnBackend('wasm', f) };
}
