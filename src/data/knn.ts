/**
 * Exact k-nearest neighbours (squared Euclidean) among the rows of one matrix, for SMOTE's
 * within-class neighbour table. Two exact methods; `exactKnn` picks one by size.
 *
 * 1. `bruteForceKnn` — like scikit-learn's `NearestNeighbors(algorithm='brute')`, which is what
 *    imbalanced-learn's SMOTE ends up using on 187-dimensional beats:
 *    ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b (one Gram matrix), symmetric (pairs i < j update both rows),
 *    4 × 4 register tiles over 256-row column blocks that stay in cache, float32 storage and
 *    float64 accumulation.
 *
 * 2. `projectedKdTreeKnn` — for larger classes. Heartbeats of one class lie close to a
 *    low-dimensional subspace, so the rows are projected on their top m principal directions
 *    (orthonormal, found by subspace iteration on the covariance). Projection onto orthonormal
 *    directions is a contraction, ‖Vᵀ(a − b)‖ ≤ ‖a − b‖, so distances in the projection are
 *    lower bounds of the true ones. A k-d tree over the projections (Bentley 1975; Friedman,
 *    Bentley & Finkel 1977) is searched depth-first, nearer child first; a node is skipped
 *    when the lower bound to its bounding box exceeds the current k-th distance, a point when
 *    its (partially summed) projected distance does, and only the remaining candidates get a
 *    full 187-dimensional distance. Nothing is approximated: the result is the exact kNN (the
 *    bounds carry a 1e-9 relative margin for rounding). On the synthetic Kaggle-size set about
 *    1–2 % of the pairs need a full distance.
 *
 * Equal distances are ordered by the smaller index in both methods. `exactKnnInWorker` runs
 * either in a worker thread (`knn-worker.ts`), so that several classes are searched at once.
 */
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

/**
 * Inserts (d, j) into row i's sorted list if it beats the current k-th entry and is not in the
 * list yet (the tree search may meet a pair from both ends).
 */
function offer(top: TopK, i: number, d: number, j: number): void {
  const k = top.k;
  const base = i * k;
  const dist = top.dist;
  const idx = top.idx;
  const last = base + k - 1;
  if (d > dist[last]! || (d === dist[last]! && idx[last]! !== -1 && j > idx[last]!)) return;
  for (let q = base; q <= last; q++) if (idx[q] === j) return;
  let p = last;
  while (p > base && (dist[p - 1]! > d || (dist[p - 1]! === d && idx[p - 1]! > j))) {
    dist[p] = dist[p - 1]!;
    idx[p] = idx[p - 1]!;
    p--;
  }
  dist[p] = d;
  idx[p] = j;
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
 * The brute-force kernel: every pair (i, j), i < j, with j in the column blocks `blocks`
 * (block b = rows [b·B, min(n, (b+1)·B))) updates both rows' lists. `x` is row-major [n, d].
 */
export function knnColumnBlocks(x: Float32Array, n: number, d: number, norms: Float64Array, blocks: readonly number[], top: TopK): void {
  const B = KNN_COLUMN_BLOCK;
  const tile = new Float64Array(16);
  for (const b of blocks) {
    const j0 = b * B;
    const j1 = Math.min(n, j0 + B);
    for (let i0 = 0; i0 < j1 - 1; i0 += 4) {
      const iCount = Math.min(4, n - i0);
      // Missing rows of a partial quad repeat row i0; their results are ignored below.
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

/** Exact kNN by the tiled Gram-matrix computation (method 1). */
export function bruteForceKnn(x: Float32Array, n: number, d: number, k: number): TopK {
  const top = emptyTopK(n, k);
  const all = Array.from({ length: Math.ceil(n / KNN_COLUMN_BLOCK) }, (_, b) => b);
  knnColumnBlocks(x, n, d, rowNorms(x, n, d), all, top);
  return top;
}

/**
 * Top `m` principal directions of the rows (orthonormal columns, row-major [d, m]) by subspace
 * iteration on the covariance of at most `sampleRows` evenly spaced rows. Their quality only
 * affects how much the tree prunes, never the result.
 */
export function principalDirections(x: Float32Array, n: number, d: number, m: number, sampleRows = 4000, iterations = 30): Float64Array {
  const step = Math.max(1, Math.floor(n / sampleRows));
  const rows: number[] = [];
  for (let i = 0; i < n; i += step) rows.push(i);
  const mean = new Float64Array(d);
  for (const i of rows) for (let t = 0; t < d; t++) mean[t]! += x[i * d + t]!;
  for (let t = 0; t < d; t++) mean[t]! /= rows.length;
  const cov = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (const i of rows) {
    for (let t = 0; t < d; t++) centred[t] = x[i * d + t]! - mean[t]!;
    for (let a = 0; a < d; a++) {
      const ca = centred[a]!;
      if (ca === 0) continue;
      for (let b = a, at = a * d + a; b < d; b++, at++) cov[at]! += ca * centred[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a]!;
  const v = new Float64Array(d * m);
  // Deterministic, generic start (no seed needed: any start converges).
  for (let t = 0; t < d; t++) for (let j = 0; j < m; j++) v[t * m + j] = Math.sin(1 + 0.37 * t * (j + 1)) + (t === j ? 1 : 0);
  const w = new Float64Array(d * m);
  for (let it = 0; it <= iterations; it++) {
    if (it > 0) {
      w.fill(0);
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < d; b++) {
          const c = cov[a * d + b]!;
          if (c === 0) continue;
          for (let j = 0; j < m; j++) w[a * m + j]! += c * v[b * m + j]!;
        }
      }
      v.set(w);
    }
    // Modified Gram–Schmidt on the columns.
    for (let j = 0; j < m; j++) {
      for (let q = 0; q < j; q++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += v[t * m + j]! * v[t * m + q]!;
        for (let t = 0; t < d; t++) v[t * m + j]! -= dot * v[t * m + q]!;
      }
      let norm = 0;
      for (let t = 0; t < d; t++) norm += v[t * m + j]! ** 2;
      norm = Math.sqrt(norm);
      if (norm < 1e-12) {
        // Rank-deficient data: replace by a unit vector orthogonal to the others.
        for (let t = 0; t < d; t++) v[t * m + j] = t === j ? 1 : 0;
        j--;
        continue;
      }
      for (let t = 0; t < d; t++) v[t * m + j]! /= norm;
    }
  }
  return v;
}

const LEAF_SIZE = 16;
/** Relative margin on every lower-bound comparison, far above float64 rounding. */
const BOUND_MARGIN = 1e-9;

/** Exact kNN through lower bounds in a projected k-d tree (method 2). */
export function projectedKdTreeKnn(x: Float32Array, n: number, d: number, k: number, m = Math.min(16, d)): TopK {
  const top = emptyTopK(n, k);
  if (n < 2) return top;
  const v = principalDirections(x, n, d, m);
  const p = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += x[i * d + t]! * v[t * m + j]!;
      p[i * m + j] = s;
    }
  }

  // Tree: nodes in arrays; node boxes are the bounding boxes of their points' projections.
  const maxNodes = 4 * Math.ceil(n / LEAF_SIZE) + 4;
  const lo = new Float64Array(maxNodes * m);
  const hi = new Float64Array(maxNodes * m);
  const start = new Int32Array(maxNodes);
  const end = new Int32Array(maxNodes);
  const left = new Int32Array(maxNodes).fill(-1);
  const right = new Int32Array(maxNodes).fill(-1);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let nodes = 0;
  const build = (s: number, e: number): number => {
    const id = nodes++;
    start[id] = s;
    end[id] = e;
    let widest = 0;
    let spread = -1;
    for (let q = 0; q < m; q++) {
      let a = Infinity;
      let b = -Infinity;
      for (let r = s; r < e; r++) {
        const val = p[perm[r]! * m + q]!;
        if (val < a) a = val;
        if (val > b) b = val;
      }
      lo[id * m + q] = a;
      hi[id * m + q] = b;
      if (b - a > spread) {
        spread = b - a;
        widest = q;
      }
    }
    if (e - s <= LEAF_SIZE || spread <= 0) return id;
    const part = Array.from(perm.subarray(s, e)).sort((a, b) => p[a * m + widest]! - p[b * m + widest]! || a - b);
    perm.set(part, s);
    const mid = (s + e) >> 1;
    left[id] = build(s, mid);
    right[id] = build(mid, e);
    return id;
  };
  build(0, n);

  const stackNode = new Int32Array(2 * 64 + 2);
  const stackBound = new Float64Array(2 * 64 + 2);
  const dist = top.dist;
  for (let i = 0; i < n; i++) {
    const pi = i * m;
    const xi = i * d;
    let sp = 0;
    stackNode[sp] = 0;
    stackBound[sp] = 0;
    sp++;
    while (sp > 0) {
      sp--;
      const node = stackNode[sp]!;
      const threshold = dist[i * k + k - 1]! * (1 + BOUND_MARGIN) + 1e-12;
      if (stackBound[sp]! > threshold) continue;
      if (left[node]! < 0) {
        for (let r = start[node]!; r < end[node]!; r++) {
          const j = perm[r]!;
          if (j === i) continue;
          const thr = dist[i * k + k - 1]! * (1 + BOUND_MARGIN) + 1e-12;
          // Projected distance, summed along the directions of largest variance first.
          let bound = 0;
          let q = 0;
          const pj = j * m;
          for (; q < m; q++) {
            const diff = p[pi + q]! - p[pj + q]!;
            bound += diff * diff;
            if (bound > thr) break;
          }
          if (q < m) continue;
          let s = 0;
          for (let t = 0, xj = j * d; t < d; t++) {
            const diff = x[xi + t]! - x[xj + t]!;
            s += diff * diff;
          }
          offer(top, i, s, j);
          offer(top, j, s, i);
        }
        continue;
      }
      const l = left[node]!;
      const rgt = right[node]!;
      let boundL = 0;
      let boundR = 0;
      for (let q = 0; q < m; q++) {
        const val = p[pi + q]!;
        const dl = val < lo[l * m + q]! ? lo[l * m + q]! - val : val > hi[l * m + q]! ? val - hi[l * m + q]! : 0;
        const dr = val < lo[rgt * m + q]! ? lo[rgt * m + q]! - val : val > hi[rgt * m + q]! ? val - hi[rgt * m + q]! : 0;
        boundL += dl * dl;
        boundR += dr * dr;
      }
      // Push the farther child first so that the nearer one is searched first.
      const [first, firstBound, second, secondBound] = boundL <= boundR ? [rgt, boundR, l, boundL] : [l, boundL, rgt, boundR];
      stackNode[sp] = first;
      stackBound[sp] = firstBound;
      sp++;
      stackNode[sp] = second;
      stackBound[sp] = secondBound;
      sp++;
    }
  }
  return top;
}

/** Rows from which the projected k-d tree beats the tiled brute force. */
export const KD_TREE_MIN_ROWS = 1500;

/** Exact kNN of every row among the others (self excluded). */
export function exactKnn(x: Float32Array, n: number, d: number, k: number): TopK {
  return n >= KD_TREE_MIN_ROWS && d > 4 ? projectedKdTreeKnn(x, n, d, k) : bruteForceKnn(x, n, d, k);
}

export interface KnnWorkerRequest {
  readonly x: SharedArrayBuffer;
  readonly n: number;
  readonly d: number;
  readonly k: number;
}

export interface KnnWorkerReply {
  readonly dist: Float64Array;
  readonly idx: Int32Array;
}

/** `exactKnn` in a worker thread (the rows are copied once into a SharedArrayBuffer). */
export function exactKnnInWorker(x: Float32Array, n: number, d: number, k: number): Promise<TopK> {
  const shared = new SharedArrayBuffer(n * d * 4);
  new Float32Array(shared).set(x.subarray(0, n * d));
  const request: KnnWorkerRequest = { x: shared, n, d, k };
  return new Promise<TopK>((resolve, reject) => {
    const w = new Worker(new URL('./knn-worker.js', import.meta.url), { workerData: request });
    w.once('message', (m: KnnWorkerReply) => {
      resolve({ n, k, dist: m.dist, idx: m.idx });
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`kNN worker exited with code ${code}`));
    });
  });
}
