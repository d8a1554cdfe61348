/**
 * Worker thread of `exactKnnInWorker`: runs `exactKnn` on rows shared by the caller and posts
 * the top-k lists back (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { exactKnn, type KnnWorkerReply, type KnnWorkerRequest } from './knn.js';

const req = workerData as KnnWorkerRequest;
const top = exactKnn(new Float32Array(req.x), req.n, req.d, req.k);
const reply: KnnWorkerReply = { dist: top.dist, idx: top.idx };
parentPort!.postMessage(reply, [top.dist.buffer as ArrayBuffer, top.idx.buffer as ArrayBuffer]);
