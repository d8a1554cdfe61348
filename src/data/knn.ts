/**
 * Exact k-nearest neighbours (squared Euclidean) among the rows of one matrix, for SMOTE's
 * within-class neighbour table.
 *
 * Brute force, like scikit-learn's `NearestNeighbors(algorithm='brute')` that imbalanced-learn's
 * SMOTE ends up using on 187-dimensional beats, with the usual tricks:
 * - ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b, so the work is one Gram matrix;
 * - the matrix is symmetric, so only pairs i < j are computed and each updates both rows;
 * - 4 × 4 register tiles (16 dot products share 8 loads per dimension) over column blocks
 *   that stay in cache;
 * - float32 storage, float64 accumulation (JavaScript numbers), so near-ties are resolved as an
 *   exact computation would; equal distances are ordered by the smaller index;
 * - optionally split over worker threads (`knn-worker.ts`), each taking a share of the column
 *   blocks and keeping its own top-k lists, merged at the end.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Sorted top-k lists: row r's neighbours at [r*k, r*k + k), ascending by (distance, index); -1 = none. */
export interface TopK {
  readonly n: number;
  readonly k: number;
  readonly dist: Float64Array;
  readonly idx: Int32Array;
}

export function emptyTopK(n: number, k: number): TopK {
  return { n, k, dist: new Float64Array(n * k).fill(Infinity), idx: new Int32Array(n * k).fill(-1) };
}

/** Inserts (d, j) into row i's sorted list if it beats the current k-th entry. */
function offer(top: TopK, i: number, d: number, j: number): void {
  const k = top.k;
  const base = i * k;
  const dist = top.dist;
  const idx = top.idx;
  const last = base + k - 1;
  if (d > dist[last]! || (d === dist[last]! && (idx[last]! !== -1 && j > idx[last]!))) return;
  let p = last;
  while (p > base && (dist[p - 1]! > d || (dist[p - 1]! === d && idx[p - 1]! > j))) {
    dist[p] = dist[p - 1]!;
    idx[p] = idx[p - 1]!;
    p--;
  }
  dist[p] = d;
  idx[p] = j;
}

/** Merges `b` into `a` (both sorted lists of the same rows). */
export function mergeTopK(a: TopK, b: TopK): void {
  for (let i = 0; i < a.n; i++) {
    for (let r = 0; r < b.k; r++) {
      const j = b.idx[i * b.k + r]!;
      if (j < 0) break;
      offer(a, i, b.dist[i * b.k + r]!, j);
    }
  }
}

export function rowNorms(x: Float32Array, n: number, d: number): Float64Array {
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = i * d, e = t + d; t < e; t++) s += x[t]! * x[t]!;
    norms[i] = s;
  }
  return norms;
}

export const KNN_COLUMN_BLOCK = 256;

/**
 * Processes the column blocks `blocks` (block b = rows [b·B, min(n, (b+1)·B))): every pair
 * (i, j) with i < j and j in those blocks updates both rows' top-k lists in `top`.
 * `x` is row-major [n, d].
 */
export function knnColumnBlocks(x: Float32Array, n: number, d: number, norms: Float64Array, blocks: readonly number[], top: TopK): void {
  const B = KNN_COLUMN_BLOCK;
  const tile = new Float64Array(16);
  for (const b of blocks) {
    const j0 = b * B;
    const j1 = Math.min(n, j0 + B);
    // i-quads strictly below or overlapping the block; pairs with j <= i are skipped below.
    for (let i0 = 0; i0 < j1 - 1; i0 += 4) {
      const iCount = Math.min(4, n - i0);
      const ia = i0 * d;
      const ib = iCount > 1 ? ia + d : ia;
      const ic = iCount > 2 ? ia + 2 * d : ia;
      const id = iCount > 3 ? ia + 3 * d : ia;
      // Quads are 4-aligned (B is a multiple of 4), so the diagonal quad starts at i0.
      for (let q0 = Math.max(j0, i0); q0 < j1; q0 += 4) {
        const jCount = Math.min(4, j1 - q0);
        const ja = q0 * d;
        const jb = jCount > 1 ? ja + d : ja;
        const jc = jCount > 2 ? ja + 2 * d : ja;
        const jd = jCount > 3 ? ja + 3 * d : ja;
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let t = 0; t < d; t++) {
          const a0 = x[ia + t]!, a1 = x[ib + t]!, a2 = x[ic + t]!, a3 = x[id + t]!;
          const b0 = x[ja + t]!, b1 = x[jb + t]!, b2 = x[jc + t]!, b3 = x[jd + t]!;
          s00 += a0 * b0; s01 += a0 * b1; s02 += a0 * b2; s03 += a0 * b3;
          s10 += a1 * b0; s11 += a1 * b1; s12 += a1 * b2; s13 += a1 * b3;
          s20 += a2 * b0; s21 += a2 * b1; s22 += a2 * b2; s23 += a2 * b3;
          s30 += a3 * b0; s31 += a3 * b1; s32 += a3 * b2; s33 += a3 * b3;
        }
        tile[0] = s00; tile[1] = s01; tile[2] = s02; tile[3] = s03;
        tile[4] = s10; tile[5] = s11; tile[6] = s12; tile[7] = s13;
        tile[8] = s20; tile[9] = s21; tile[10] = s22; tile[11] = s23;
        tile[12] = s30; tile[13] = s31; tile[14] = s32; tile[15] = s33;
        for (let r = 0; r < iCount; r++) {
          const i = i0 + r;
          for (let c = 0; c < jCount; c++) {
            const j = q0 + c;
            if (j <= i) continue;
            let dist = norms[i]! + norms[j]! - 2 * tile[r * 4 + c]!;
            if (dist < 0) dist = 0;
            offer(top, i, dist, j);
            offer(top, j, dist, i);
          }
        }
      }
    }
  }
}

/** Splits column blocks into `parts` shares of about equal work (block b costs ~ its end row). */
export function shareColumnBlocks(n: number, parts: number): number[][] {
  const numBlocks = Math.ceil(n / KNN_COLUMN_BLOCK);
  const shares: number[][] = Array.from({ length: parts }, () => []);
  const load = new Float64Array(parts);
  for (let b = numBlocks - 1; b >= 0; b--) {
    let p = 0;
    for (let q = 1; q < parts; q++) if (load[q]! < load[p]!) p = q;
    shares[p]!.push(b);
    load[p]! += Math.min(n, (b + 1) * KNN_COLUMN_BLOCK);
  }
  return shares;
}

/** Single-threaded exact kNN of every row among the others. */
export function exactKnn(x: Float32Array, n: number, d: number, k: number): TopK {
  const top = emptyTopK(n, k);
  const all = Array.from({ length: Math.ceil(n / KNN_COLUMN_BLOCK) }, (_, b) => b);
  knnColumnBlocks(x, n, d, rowNorms(x, n, d), all, top);
  return top;
}

export interface KnnWorkerRequest {
  readonly x: SharedArrayBuffer;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly blocks: readonly number[];
}

export interface KnnWorkerReply {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
}

/**
 * Exact kNN using up to `threads` worker threads (default: available cores, at most 4).
 * Small inputs (< 2,000 rows) run in the calling thread, where thread start-up would dominate.
 */
export async function exactKnnParallel(x: Float32Array, n: number, d: number, k: number, threads?: number): Promise<TopK> {
  const parts = Math.max(1, Math.min(threads ?? Math.min(4, availableParallelism()), Math.ceil(n / KNN_COLUMN_BLOCK)));
  if (parts === 1 || n < 2000) return exactKnn(x, n, d, k);
  const shared = new SharedArrayBuffer(n * d * 4);
  new Float32Array(shared).set(x.subarray(0, n * d));
  const shares = shareColumnBlocks(n, parts);
  const replies = await Promise.all(
    shares.map(
      (blocks) =>
        new Promise<KnnWorkerReply>((resolve, reject) => {
          const request: KnnWorkerRequest = { x: shared, n, d, k, blocks };
          const w = new Worker(new URL('./knn-worker.js', import.meta.url), { workerData: request });
          w.once('message', (m: KnnWorkerReply) => {
            resolve(m);
            void w.terminate();
          });
          w.once('error', reject);
          w.once('exit', (code) => {
            if (code !== 0) reject(new Error(`kNN worker exited with code ${code}`));
          });
        }),
    ),
  );
  const top: TopK = { n, k, dist: replies[0]!.dist, idx: replies[0]!.idx };
  for (const r of replies.slice(1)) mergeTopK(top, { n, k, dist: r.dist, idx: r.idx });
  return top;
}
