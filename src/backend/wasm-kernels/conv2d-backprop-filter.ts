/**
 * `Conv2DBackpropFilter` for the wasm backend, which tfjs 4.22 does not ship: without it no
 * convolution (Conv1D included: tfjs runs it as a Conv2D of height 1) can train on wasm.
 *
 *   dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·sh + kh − top, ow·sw + kw − left, ci] · dy[n, oh, ow, co]
 *
 * computed as one matrix product dW = col · dy, where
 *   col[(kh·KW + kw)·Cin + ci, (n·OH + oh)·OW + ow] = x[n, oh·sh + kh − top, ow·sw + kw − left, ci]
 * (zero where the index falls in the padding) and dy is read as the [M, Cout] matrix it already is
 * in NHWC (M = N·OH·OW). Both operands are untransposed on purpose: the wasm BatchMatMul kernel
 * only takes its XNNPACK path for `transposeA = transposeB = false`; any transposed operand drops
 * it into a scalar triple loop about 14× slower.
 *
 * The im2col is one JS pass written straight into the wasm heap. Composing it from wasm kernels
 * (pad, KH·KW slices, concat) costs a copy of the padded input, and each wasm Slice call first
 * copies its whole input out of the heap (`readSync`) before tens of thousands of small
 * `TypedArray.set` calls; the direct loop reads x in place and writes each element of `col` once.
 */
import {
  backend_util,
  util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

import { disposeAll, runWasmKernel } from './util.js';

/**
 * Largest im2col buffer built at once, in float32 elements (64 MiB). Larger problems (long
 * multi-lead signals in cnn1d) are split along the batch and the partial products summed, so
 * memory stays bounded whatever the input length.
 */
let maxColElements = 16 * 1024 * 1024;

/** Sets the im2col size limit (float32 elements) and returns the previous one; tests use it to exercise the batch split. */
export function setIm2colLimit(elements: number): number {
  if (!Number.isInteger(elements) || elements < 1) throw new RangeError(`im2col limit must be a positive integer, got ${elements}`);
  const previous = maxColElements;
  maxColElements = elements;
  return previous;
}

interface ConvGeometry {
  readonly x: TensorInfo;
  readonly info: backend_util.Conv2DInfo;
  /** Element strides of x along n, h, w, c for its data format. */
  readonly xStrides: { readonly n: number; readonly h: number; readonly w: number; readonly c: number };
}

function geometry(x: TensorInfo, attrs: Conv2DBackpropFilterAttrs): ConvGeometry {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  );
  const { inHeight: H, inWidth: W, inChannels: C } = info;
  const xStrides =
    info.dataFormat === 'channelsLast'
      ? { n: H * W * C, h: W * C, w: C, c: 1 }
      : { n: C * H * W, h: W, w: 1, c: H * W };
  return { x, info, xStrides };
}

/**
 * Fills `col` ([K, (n1 − n0)·OH·OW], row-major) with the patches of batch items n0..n1−1.
 * Loop order: for each filter tap and output row, an [OW × Cin] tile of x (a few KiB, in L1) is
 * transposed into Cin rows of `col`, so the writes are contiguous runs of OW elements.
 */
function im2col(xv: Float32Array, g: ConvGeometry, n0: number, n1: number, col: Float32Array): void {
  const { info, xStrides: s } = g;
  const { filterHeight: KH, filterWidth: KW, inChannels: Cin, inHeight: H, inWidth: W } = info;
  const { outHeight: OH, outWidth: OW, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const M = (n1 - n0) * OH * OW;
  const stepW = sw * s.w;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const kBase = (kh * KW + kw) * Cin;
      // Output columns whose input column iw = ow·sw + kw − left lies inside [0, W).
      const owStart = Math.min(OW, Math.max(0, Math.ceil((left - kw) / sw)));
      const owEnd = Math.max(owStart, Math.min(OW, Math.floor((W - 1 + left - kw) / sw) + 1));
      for (let n = n0; n < n1; n++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * sh + kh - top;
          const mBase = ((n - n0) * OH + oh) * OW;
          if (ih < 0 || ih >= H) {
            for (let ci = 0; ci < Cin; ci++) {
              const dst = (kBase + ci) * M + mBase;
              col.fill(0, dst, dst + OW);
            }
            continue;
          }
          const rowSrc = n * s.n + ih * s.h + (owStart * sw + kw - left) * s.w;
          for (let ci = 0; ci < Cin; ci++) {
            const dst = (kBase + ci) * M + mBase;
            if (owStart > 0) col.fill(0, dst, dst + owStart);
            let src = rowSrc + ci * s.c;
            for (let ow = owStart; ow < owEnd; ow++) {
              col[dst + ow] = xv[src];
              src += stepW;
            }
            if (owEnd < OW) col.fill(0, dst + owEnd, dst + OW);
          }
        }
      }
    }
  }
}

function heapF32(backend: BackendWasm, t: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** col · dy for batch items n0..n1−1 of `dy` (NHWC); returns a [K, Cout] tensor the caller owns. */
function chunkProduct(backend: BackendWasm, g: ConvGeometry, dy: TensorInfo, n0: number, n1: number): TensorInfo {
  const { batchSize: N, outHeight: OH, outWidth: OW, outChannels: Cout } = g.info;
  const K = g.info.filterHeight * g.info.filterWidth * g.info.inChannels;
  const M = (n1 - n0) * OH * OW;
  const temps: TensorInfo[] = [];
  try {
    const col = backend.makeOutput([K, M], 'float32');
    temps.push(col);
    // Views are taken after the allocation: growing the wasm memory detaches older views.
    im2col(heapF32(backend, g.x), g, n0, n1, heapF32(backend, col));
    let rows: TensorInfo = dy;
    if (n1 - n0 !== N) {
      // Contiguous in NHWC, so the wasm Slice kernel does a single copy.
      rows = runWasmKernel(backend, 'Slice', { x: dy }, { begin: [n0, 0, 0, 0], size: [n1 - n0, OH, OW, Cout] });
      temps.push(rows);
    }
    const dyRows: TensorInfo = { dataId: rows.dataId, shape: [M, Cout], dtype: 'float32' };
    return runWasmKernel(backend, 'BatchMatMul', { a: col, b: dyRows }, { transposeA: false, transposeB: false });
  } finally {
    disposeAll(backend, temps);
  }
}

export function conv2DBackpropFilterWasm(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (x.dtype !== 'float32' || inputs.dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter on wasm supports float32 only (got ${x.dtype}, ${inputs.dy.dtype})`);
  }
  const g = geometry(x, attrs);
  const { info } = g;
  const { batchSize: N, outHeight: OH, outWidth: OW } = info;
  const K = info.filterHeight * info.filterWidth * info.inChannels;
  util.assert(
    util.arraysEqual(inputs.dy.shape, info.outShape),
    () => `Conv2DBackpropFilter: dy shape [${inputs.dy.shape}] does not match the conv output [${info.outShape}]`,
  );

  // The product needs dy as [M, Cout] rows in (n, oh, ow) order: NHWC already is; NCHW is not.
  const temps: TensorInfo[] = [];
  let dy = inputs.dy;
  if (info.dataFormat === 'channelsFirst') {
    dy = runWasmKernel(backend, 'Transpose', { x: dy }, { perm: [0, 2, 3, 1] });
    temps.push(dy);
  }

  const filterShape = [...attrs.filterShape];
  if (N * OH * OW === 0) {
    // Nothing to sum over: the gradient is zero (makeOutput does not clear the heap).
    disposeAll(backend, temps);
    const zero = backend.makeOutput(filterShape, 'float32');
    heapF32(backend, zero).fill(0);
    return zero;
  }

  const perItem = K * OH * OW;
  const chunk = Math.max(1, Math.min(N, Math.floor(maxColElements / perItem)));
  let result: TensorInfo | null = null;
  try {
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const n1 = Math.min(N, n0 + chunk);
      const part = chunkProduct(backend, g, dy, n0, n1);
      if (result === null) {
        result = part;
      } else {
        const acc = heapF32(backend, result);
        const add = heapF32(backend, part);
        for (let i = 0; i < acc.length; i++) acc[i] += add[i];
        backend.disposeData(part.dataId);
      }
    }
  } catch (err) {
    if (result !== null) backend.disposeData(result.dataId);
    throw err;
  } finally {
    disposeAll(backend, temps);
  }
  if (result === null) throw new Error('Conv2DBackpropFilter: no batch chunk was computed');
  return { dataId: result.dataId, shape: filterShape, dtype: 'float32' };
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterWasm as unknown as KernelFunc,
};
