/**
 * BatchMatMul and _FusedMatMul (dense layers: bias + ReLU fused) on the addon's sgemm. The
 * cpu backend's own matmul is a scalar JS triple loop, about 100× slower.
 *
 * Batch broadcasting follows the cpu kernel exactly (batch i of the output multiplies batch
 * i mod batchA of a by batch i mod batchB of b); float32 only, other dtypes and activations go
 * to the cpu kernel.
 */
import {
  _FusedMatMul,
  BatchMatMul,
  broadcast_util,
  util,
  type _FusedMatMulAttrs,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';

import type { NativeAddon } from './addon.js';
import { outputArray } from './output-recycler.js';
import { allFloat32, type CpuBackend, f32, output, runCpuKernel } from './util.js';

interface Product {
  readonly shape: number[];
  readonly values: Float32Array;
  /** Columns of each output matrix (the length of a bias row). */
  readonly n: number;
}

function batchMatMul(addon: NativeAddon, cpu: CpuBackend, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean): Product {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const [aRows, aCols] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [bRows, bCols] = [b.shape[rb - 2], b.shape[rb - 1]];
  const m = transA ? aCols : aRows;
  const k = transA ? aRows : aCols;
  const kb = transB ? bCols : bRows;
  const n = transB ? bRows : bCols;
  util.assert(
    k === kb,
    () => `Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transA} and transposeB=${transB} must match.`,
  );
  const outer = broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = util.sizeFromShape(b.shape.slice(0, -2));
  const batch = Math.max(batchA, batchB);
  const av = f32(cpu, a);
  const bv = f32(cpu, b);
  const values = outputArray(cpu, batch * m * n);
  for (let i = 0; i < batch; i++) {
    const aOff = (i % batchA) * m * k;
    const bOff = (i % batchB) * k * n;
    const A = batch === 1 ? av : av.subarray(aOff, aOff + m * k);
    const B = batch === 1 ? bv : bv.subarray(bOff, bOff + k * n);
    const C = batch === 1 ? values : values.subarray(i * m * n, (i + 1) * m * n);
    addon.sgemm(transA, transB, m, n, k, 1, A, transA ? m : k, B, transB ? k : n, 0, C, Math.max(n, 1));
  }
  return { shape: [...outer, m, n], values, n };
}

export function makeMatMulKernels(addon: NativeAddon): KernelConfig[] {
  const matMul: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    const cpu = backend as CpuBackend;
    if (!allFloat32(a, b)) return runCpuKernel(cpu, BatchMatMul, { a, b }, attrs);
    const p = batchMatMul(addon, cpu, a, b, transposeA, transposeB);
    return output(cpu, p.shape, p.values);
  };

  const fusedMatMul: KernelFunc = ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const at = attrs as unknown as _FusedMatMulAttrs;
    const cpu = backend as CpuBackend;
    const n = at.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    const nativeActivation = at.activation === 'linear' || at.activation === 'relu' || at.activation === undefined;
    // A bias with one value per output column (a dense layer's); other broadcasts go to cpu.
    if (!nativeActivation || !allFloat32(a, b, bias) || (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== n))) {
      return runCpuKernel(cpu, _FusedMatMul, { a, b, bias, preluActivationWeights }, attrs);
    }
    const p = batchMatMul(addon, cpu, a, b, at.transposeA, at.transposeB);
    const v = p.values;
    if (bias !== undefined) {
      const bv = f32(cpu, bias);
      for (let i = 0; i < v.length; i += n) {
        for (let j = 0; j < n; j++) v[i + j] += bv[j];
      }
    }
    if (at.activation === 'relu') {
      // As tfjs' relu (max(0, x)): NaN stays NaN, so a diverging trial is still caught.
      for (let i = 0; i < v.length; i++) if (v[i] < 0) v[i] = 0;
    }
    return output(cpu, p.shape, v);
  };

  return [
    { kernelName: BatchMatMul, backendName: 'native', kernelFunc: matMul },
    { kernelName: _FusedMatMul, backendName: 'native', kernelFunc: fusedMatMul },
  ];
}
