/**
 * SMOTE by index (Chawla, Bowyer, Hall & Kegelmeyer, "SMOTE: Synthetic Minority Over-sampling
 * Technique", JAIR 16, 2002), with imbalanced-learn's semantics (`SMOTE(k_neighbors=5,
 * sampling_strategy='auto')`):
 *
 * - the neighbours of a sample are its k nearest *training* samples of the same class (exact,
 *   squared Euclidean distance over the whole signal, the sample itself excluded);
 * - 'auto' raises every class to the majority count: class c receives M − n_c new samples;
 * - a new sample picks i uniformly among class c's samples and one of its k neighbours
 *   uniformly, then x_new = x_i + u·(x_nn − x_i) with u ~ U[0, 1).
 *
 * Nothing is materialised. The per-class neighbour table (`SmoteNeighbourTable`, k integers per
 * minority training sample) is computed once per study and cached on disk; a trial draws its own
 * `SmotePlan` — (i, neighbour, u) per synthetic sample, 12 bytes instead of L·C·4 — and each
 * synthetic sample is computed when a batch needs it.
 *
 * Classes too small for k neighbours: imbalanced-learn raises an error when a class has ≤ k
 * samples, and so does the CLI for a user's data file (`prepareStudyData` with
 * `smoteSmallClasses: 'refuse'`: bad input naming the class and its count). Otherwise (the
 * library's default, and the built-in synthetic set at test sizes) such a class uses its
 * n_c − 1 neighbours, and a single-sample class is duplicated (x_new = x_i).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { exactKnn, exactKnnInWorker, type TopK } from './knn.js';
import type { LabelSet } from './labels.js';
import { randomStream } from './rng.js';
import type { SignalSource } from './source.js';
import type { BalancedSet, SlotRecipe } from './oversample.js';

export const SMOTE_K_NEIGHBORS = 5;
const MAGIC = 0x544f4d53; // "SMOT" little-endian
const VERSION = 1;
const HEADER = 5;

/**
 * Per-class k-nearest-neighbour table of the minority training samples, in one Int32 buffer
 * (a SharedArrayBuffer, so worker threads share it without a copy and it is written to disk
 * as is). Layout: header [magic, version, k, rows, classes], class offsets [classes + 1],
 * usable neighbours per class [classes], sample id per row [rows], neighbours [rows · k]
 * (sample ids, −1 where a class has fewer than k other samples).
 */
export class SmoteNeighbourTable {
  readonly buffer: SharedArrayBuffer;
  readonly k: number;
  readonly numRows: number;
  readonly numClasses: number;
  private readonly view: Int32Array;
  private readonly offsetsAt: number;
  private readonly kEffAt: number;
  private readonly rowsAt: number;
  private readonly neighboursAt: number;

  constructor(buffer: SharedArrayBuffer) {
    const v = new Int32Array(buffer);
    if (v.length < HEADER || v[0] !== MAGIC || v[1] !== VERSION) throw new Error('not a SMOTE neighbour table');
    this.buffer = buffer;
    this.view = v;
    this.k = v[2]!;
    this.numRows = v[3]!;
    this.numClasses = v[4]!;
    this.offsetsAt = HEADER;
    this.kEffAt = this.offsetsAt + this.numClasses + 1;
    this.rowsAt = this.kEffAt + this.numClasses;
    this.neighboursAt = this.rowsAt + this.numRows;
    if (v.length !== this.neighboursAt + this.numRows * this.k) throw new Error('truncated SMOTE neighbour table');
  }

  static allocate(k: number, numClasses: number, numRows: number): SmoteNeighbourTable {
    const words = HEADER + 2 * numClasses + 1 + numRows + numRows * k;
    const buffer = new SharedArrayBuffer(words * 4);
    const v = new Int32Array(buffer);
    v.set([MAGIC, VERSION, k, numRows, numClasses]);
    return new SmoteNeighbourTable(buffer);
  }

  /** Table rows [start, end) of class c. */
  classRange(c: number): [number, number] {
    return [this.view[this.offsetsAt + c]!, this.view[this.offsetsAt + c + 1]!];
  }

  /** Neighbours usable for class c (k, or fewer for a tiny class). */
  usableNeighbours(c: number): number {
    return this.view[this.kEffAt + c]!;
  }

  /** Sample id of table row r. */
  sampleOf(r: number): number {
    return this.view[this.rowsAt + r]!;
  }

  /** The j-th nearest same-class neighbour (sample id) of table row r. */
  neighbour(r: number, j: number): number {
    return this.view[this.neighboursAt + r * this.k + j]!;
  }

  /** All neighbours of table row r (a view). */
  neighboursOf(r: number): Int32Array {
    return this.view.subarray(this.neighboursAt + r * this.k, this.neighboursAt + (r + 1) * this.k);
  }

  /** For the builder: writes class offsets, usable neighbours, row ids and neighbours. */
  setClass(c: number, start: number, samples: Int32Array, kEff: number, neighbours: Int32Array): void {
    const v = this.view;
    v[this.offsetsAt + c] = start;
    v[this.offsetsAt + c + 1] = start + samples.length;
    v[this.kEffAt + c] = kEff;
    v.set(samples, this.rowsAt + start);
    v.set(neighbours, this.neighboursAt + start * this.k);
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  save(path: string): void {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, new Uint8Array(this.buffer));
    renameSync(tmp, path);
  }

  /** Loads a table written by `save`, or returns null if the file is missing or damaged. */
  static load(path: string): SmoteNeighbourTable | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      return null;
    }
    if (bytes.length % 4 !== 0) return null;
    const buffer = new SharedArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    try {
      return new SmoteNeighbourTable(buffer);
    } catch {
      return null;
    }
  }
}

/** Training samples per class, each list ascending. */
export function membersByClass(labels: LabelSet, train: ArrayLike<number>): Int32Array[] {
  const lists: number[][] = Array.from({ length: labels.numClasses }, () => []);
  for (let r = 0; r < train.length; r++) lists[labels.classIndex[train[r]!]!]!.push(train[r]!);
  return lists.map((l) => Int32Array.from(l).sort());
}

export interface SmoteTableBuildOptions {
  readonly k?: number;
  /** Classes searched at once in worker threads (default: available cores, at most 4; 1 = in this thread). */
  readonly threads?: number;
}

/** Classes smaller than this are searched in the calling thread (a worker's start-up would dominate). */
const WORKER_MIN_ROWS = 2000;

/** Why SMOTE cannot be used on these labels (multi-label data), or null. */
export function smoteRefusal(labels: LabelSet): string | null {
  return labels.multilabel
    ? 'SMOTE is not defined for multi-label data (a synthetic sample between two neighbours of one class would not have a well-defined label set); use balancing "oversampled" (random oversampling by rarest positive label)'
    : null;
}

/**
 * Builds the table: for every class below the majority count, the exact k nearest same-class
 * neighbours of each of its training samples. The majority class needs none (it gets no
 * synthetic samples), which is also imbalanced-learn's behaviour.
 */
export async function buildSmoteNeighbourTable(source: SignalSource, labels: LabelSet, train: ArrayLike<number>, opts: SmoteTableBuildOptions = {}): Promise<SmoteNeighbourTable> {
  const refusal = smoteRefusal(labels);
  if (refusal) throw new Error(refusal);
  const k = opts.k ?? SMOTE_K_NEIGHBORS;
  const threads = Math.max(1, opts.threads ?? Math.min(4, availableParallelism()));
  const members = membersByClass(labels, train);
  const majority = Math.max(...members.map((m) => m.length));
  const minority = members.map((m) => (m.length > 0 && m.length < majority ? m : new Int32Array(0)));
  const numRows = minority.reduce((a, m) => a + m.length, 0);
  const table = SmoteNeighbourTable.allocate(k, labels.numClasses, numRows);
  const d = source.length * source.channels;
  const kEff = minority.map((m) => Math.min(k, Math.max(0, m.length - 1)));
  const found: Array<TopK | null> = minority.map(() => null);
  // Largest classes first, up to `threads` at a time; each class's rows are gathered only when
  // its search starts, so at most `threads` classes are in memory at once.
  const queue = minority.map((m, c) => c).filter((c) => kEff[c]! > 0).sort((a, b) => minority[b]!.length - minority[a]!.length);
  const runner = async (): Promise<void> => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
      const m = minority[c]!;
      const x = new Float32Array(m.length * d);
      source.gather(m, x);
      found[c] = threads > 1 && m.length >= WORKER_MIN_ROWS ? await exactKnnInWorker(x, m.length, d, kEff[c]!) : exactKnn(x, m.length, d, kEff[c]!);
    }
  };
  await Promise.all(Array.from({ length: threads }, runner));
  let start = 0;
  for (let c = 0; c < labels.numClasses; c++) {
    const m = minority[c]!;
    const neighbours = new Int32Array(m.length * k).fill(-1);
    const top = found[c];
    if (top) {
      const ke = kEff[c]!;
      for (let i = 0; i < m.length; i++) for (let j = 0; j < ke; j++) neighbours[i * k + j] = m[top.idx[i * ke + j]!]!;
    }
    table.setClass(c, start, m, kEff[c]!, neighbours);
    start += m.length;
  }
  return table;
}

/** Identity of a neighbour table: data, training rows, labels of those rows, k. */
export function smoteTableKey(dataIdentity: string, labels: LabelSet, train: Int32Array, k: number, splitDescription: string): string {
  const h = createHash('sha256');
  h.update(`hpsearch-smote-table/v${VERSION}\n${dataIdentity}\n${splitDescription}\nk=${k}\n`);
  h.update(new Uint8Array(train.buffer, train.byteOffset, train.byteLength));
  const trainLabels = Int32Array.from(train, (i) => labels.classIndex[i]!);
  h.update(new Uint8Array(trainLabels.buffer));
  return h.digest('hex').slice(0, 32);
}

/**
 * Returns the cached table for `key` under `cacheDir`, or builds, saves and returns it.
 * The file is written atomically (temporary file + rename), so concurrent studies cannot read
 * a half-written table.
 */
export async function cachedSmoteNeighbourTable(
  cacheDir: string,
  key: string,
  build: () => Promise<SmoteNeighbourTable>,
): Promise<{ table: SmoteNeighbourTable; file: string; cached: boolean; buildMs: number }> {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `smote-neighbours-${key}.bin`);
  const hit = SmoteNeighbourTable.load(file);
  if (hit) return { table: hit, file, cached: true, buildMs: 0 };
  const t0 = performance.now();
  const table = await build();
  const buildMs = performance.now() - t0;
  table.save(file);
  return { table, file, cached: false, buildMs };
}

/**
 * A trial's synthetic samples: for each, a table row (the base sample i), a neighbour (sample
 * id) and a gap u. Drawn once per trial from its seed, as imbalanced-learn draws them once per
 * `fit_resample`; class c receives M − n_c samples, classes in ascending order.
 */
export class SmotePlan {
  readonly base: Int32Array;
  readonly neighbour: Int32Array;
  readonly gap: Float32Array;
  readonly label: Int32Array;
  readonly size: number;

  private constructor(base: Int32Array, neighbour: Int32Array, gap: Float32Array, label: Int32Array) {
    this.base = base;
    this.neighbour = neighbour;
    this.gap = gap;
    this.label = label;
    this.size = base.length;
  }

  static draw(table: SmoteNeighbourTable, classCounts: readonly number[], seed: number): SmotePlan {
    const majority = Math.max(...classCounts);
    const total = classCounts.reduce((a, n) => a + (n > 0 ? majority - n : 0), 0);
    const base = new Int32Array(total);
    const neighbour = new Int32Array(total);
    const gap = new Float32Array(total);
    const label = new Int32Array(total);
    let s = 0;
    for (let c = 0; c < classCounts.length; c++) {
      const n = classCounts[c]!;
      if (n === 0 || n === majority) continue;
      const [start, end] = table.classRange(c);
      if (end - start !== n) throw new Error(`SMOTE table covers ${end - start} samples of class ${c}, the training set has ${n}`);
      const kEff = table.usableNeighbours(c);
      const rng = randomStream('smote-plan', seed, c);
      for (let j = 0; j < majority - n; j++, s++) {
        // imbalanced-learn: one draw over n·k (row, column) pairs, then u ~ U[0, 1).
        const r = start + rng.int(n);
        const sampleId = table.sampleOf(r);
        base[s] = sampleId;
        neighbour[s] = kEff > 0 ? table.neighbour(r, rng.int(kEff)) : sampleId;
        gap[s] = rng.next();
        label[s] = c;
      }
    }
    return new SmotePlan(base, neighbour, gap, label);
  }

  /** Bytes held by the plan: 16 per synthetic sample (base, neighbour, gap, label). */
  get bytes(): number {
    return this.base.byteLength + this.neighbour.byteLength + this.gap.byteLength + this.label.byteLength;
  }
}

/**
 * The SMOTE-balanced training set as slots: [0, n_train) are the training samples themselves,
 * [n_train, n_train + plan.size) the plan's synthetic samples. Held in memory: the training
 * index (4 bytes per sample) and the plan (16 bytes per synthetic sample); the neighbour table
 * is shared by every trial of the study.
 */
export class SmoteBalancedSet implements BalancedSet {
  readonly mode = 'smote' as const;
  readonly size: number;
  readonly strataSizes: readonly number[];
  readonly plan: SmotePlan;
  private readonly labels: LabelSet;
  private readonly train: Int32Array;

  constructor(labels: LabelSet, train: Int32Array, table: SmoteNeighbourTable, seed: number) {
    const refusal = smoteRefusal(labels);
    if (refusal) throw new Error(refusal);
    this.labels = labels;
    this.train = train;
    const counts = new Array<number>(labels.numClasses).fill(0);
    for (const i of train) counts[labels.classIndex[i]!]!++;
    this.plan = SmotePlan.draw(table, counts, seed);
    this.size = train.length + this.plan.size;
    const majority = Math.max(...counts);
    this.strataSizes = counts.map((n) => (n > 0 ? majority : 0));
  }

  resolve(slot: number, into: SlotRecipe): void {
    const n = this.train.length;
    if (slot < n) {
      const row = this.train[slot]!;
      into.row = row;
      into.neighbour = -1;
      into.gap = 0;
      into.label = this.labels.classIndex[row]!;
      return;
    }
    const s = slot - n;
    into.row = this.plan.base[s]!;
    into.neighbour = this.plan.neighbour[s]!;
    into.gap = this.plan.gap[s]!;
    into.label = this.plan.label[s]!;
  }

  get bytes(): number {
    return this.train.byteLength + this.plan.bytes;
  }
}
