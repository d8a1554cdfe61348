/**
 * A replacement `MaxPoolGrad` for the wasm backend. The one tfjs-backend-wasm 4.22 ships (its
 * MaxPoolGrad.cc) seeds each window's running maximum with std::numeric_limits<float>::min(),
 * the smallest *positive* float, not the lowest one. A window whose values are all ≤ 0 therefore
 * never records a position and its gradient is dropped (routed to flat offset 0), and ties go to
 * the last maximum instead of the first. MaxPool after ReLU hides this (the ReLU gradient is 0
 * there anyway), but cnngru and cnn1d pool BatchNorm outputs, half of which are negative: their
 * conv and BatchNorm gradients came out wrong by 40–100 % against the cpu backend.
 *
 * Semantics here are the cpu backend's: the first strictly greatest value of the window (rows,
 * then columns) receives dy; padding never does; a window of NaNs passes no gradient.
 */
import { backend_util, type KernelConfig, type KernelFunc, type MaxPoolGradAttrs, type TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function maxPoolGradWasm(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: BackendWasm;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs: { dy, input }, backend, attrs } = args;
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`MaxPoolGrad on wasm supports float32 only (got ${input.dtype}, ${dy.dtype})`);
  }
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const { top, left } = info.padInfo;

  const dx = backend.makeOutput([...input.shape], 'float32');
  // Views after the allocation (a heap growth would detach earlier ones).
  const dxv = backend.typedArrayFromHeap(dx) as Float32Array;
  const xv = backend.typedArrayFromHeap(input) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  dxv.fill(0);

  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = Math.max(0, oh * sh - top);
      const h1 = Math.min(H, oh * sh - top + FH);
      for (let ow = 0; ow < OW; ow++) {
        const w0 = Math.max(0, ow * sw - left);
        const w1 = Math.min(W, ow * sw - left + FW);
        const dyBase = ((n * OH + oh) * OW + ow) * C;
        for (let c = 0; c < C; c++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let ih = h0; ih < h1; ih++) {
            let off = ((n * H + ih) * W + w0) * C + c;
            for (let iw = w0; iw < w1; iw++, off += C) {
              if (xv[off] > best) {
                best = xv[off];
                at = off;
              }
            }
          }
          if (at >= 0) dxv[at] += dyv[dyBase + c];
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGradWasm as unknown as KernelFunc,
};
