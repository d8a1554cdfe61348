/**
 * Worker thread of `exactKnnParallel`: computes its share of column blocks and posts its top-k
 * lists back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { emptyTopK, knnColumnBlocks, rowNorms, type KnnWorkerReply, type KnnWorkerRequest } from './knn.js';

const req = workerData as KnnWorkerRequest;
const x = new Float32Array(req.x);
const top = emptyTopK(req.n, req.k);
knnColumnBlocks(x, req.n, req.d, rowNorms(x, req.n, req.d), req.blocks, top);
const reply: KnnWorkerReply = { dist: top.dist, idx: top.idx };
parentPort!.postMessage(reply, [top.dist.buffer as ArrayBuffer, top.idx.buffer as ArrayBuffer]);
