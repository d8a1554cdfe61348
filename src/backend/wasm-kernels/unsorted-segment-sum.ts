/**
 * `UnsortedSegmentSum` for the wasm backend (missing in tfjs 4.22). It is the gradient of
 * `tf.gather` with respect to the gathered tensor, so any training step that looks values up by
 * index (sparse labels, embeddings, index-based crops) needs it; the three models do not today,
 * but a trainer computing its loss with `gather` would fail on wasm without it.
 *
 *   out[s, j] = Σ_{i : segmentIds[i] = s} x[i, j]     (ids outside [0, numSegments) are dropped)
 *
 * with segmentIds of shape x.shape[0..r) and j ranging over the remaining dimensions.
 */
import { util, type KernelConfig, type KernelFunc, type TensorInfo, type UnsortedSegmentSumAttrs } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function unsortedSegmentSumWasm(args: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: BackendWasm;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { inputs: { x, segmentIds }, backend, attrs: { numSegments } } = args;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32 x only (got ${x.dtype})`);
  }
  if (segmentIds.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: segmentIds must be int32 (got ${segmentIds.dtype})`);
  const idRank = segmentIds.shape.length;
  util.assert(
    util.arraysEqual(segmentIds.shape, x.shape.slice(0, idRank)),
    () => `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] is not a prefix of x shape [${x.shape}]`,
  );
  const innerShape = x.shape.slice(idRank);
  const inner = util.sizeFromShape(innerShape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views after the allocation (a heap growth would detach earlier ones).
  const outv = backend.typedArrayFromHeap(out);
  const xv = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  outv.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outv[dst + j] += xv[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSumWasm as unknown as KernelFunc,
};
