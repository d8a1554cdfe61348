/**
 * One-file checkpoints (and the same format in memory: `encodeTensorFile`), written atomically: the whole file goes to a temporary name in
 * the same folder, is fsynced, and is renamed over the previous checkpoint (then the
 * folder is fsynced so the rename itself survives a power cut). A reader therefore sees
 * either the previous complete checkpoint or the new complete one, never a mix — which a
 * pair of files (JSON + weights) could not guarantee.
 *
 * Layout (little-endian):
 *   8 bytes  magic "HPCKPT01"
 *   u32      header length H
 *   H bytes  UTF-8 JSON header: { meta, tensors: [{ name, shape, offset, length }], dataBytes }
 *   pad      to a multiple of 4
 *   data     float32 values of every tensor, back to back
 *
 * Float32 values are stored bit-for-bit, and numbers in the JSON header are written in
 * JavaScript's shortest round-trip form, with NaN and ±Infinity encoded explicitly, so a
 * restored run continues from exactly the same state.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

export const CHECKPOINT_FILE = 'checkpoint.hpck';
const MAGIC = Buffer.from('HPCKPT01', 'latin1');

export interface CheckpointTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

interface TensorEntry {
  name: string;
  shape: number[];
  /** In float32 elements from the start of the data section. */
  offset: number;
  length: number;
}

/** JSON.stringify replacer / JSON.parse reviver pair that keeps non-finite numbers. */
const NON_FINITE_KEY = '$nonFinite';
function encodeNumbers(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return { [NON_FINITE_KEY]: String(value) };
  return value;
}
function decodeNumbers(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === NON_FINITE_KEY) return Number((value as Record<string, string>)[NON_FINITE_KEY]);
  }
  return value;
}

export function checkpointPath(dir: string): string {
  return path.join(dir, CHECKPOINT_FILE);
}

/**
 * The whole file of the layout above, in memory: a checkpoint on disk, and a trial's kept
 * weights in the storage (model-weights.ts), are this one format.
 */
export function encodeTensorFile(meta: unknown, tensors: readonly CheckpointTensor[]): Buffer {
  const entries: TensorEntry[] = [];
  let offset = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (expected !== t.data.length) throw new Error(`checkpoint tensor ${t.name}: shape ${JSON.stringify(t.shape)} but ${t.data.length} values`);
    entries.push({ name: t.name, shape: [...t.shape], offset, length: t.data.length });
    offset += t.data.length;
  }
  const header = Buffer.from(JSON.stringify({ meta, tensors: entries, dataBytes: offset * 4 }, encodeNumbers), 'utf8');
  const prefix = MAGIC.length + 4 + header.length;
  const dataStart = Math.ceil(prefix / 4) * 4;
  const file = Buffer.alloc(dataStart + offset * 4);
  MAGIC.copy(file, 0);
  file.writeUInt32LE(header.length, MAGIC.length);
  header.copy(file, MAGIC.length + 4);
  const data = new Float32Array(file.buffer, file.byteOffset + dataStart, offset);
  for (let i = 0; i < tensors.length; i++) data.set(tensors[i].data, entries[i].offset);
  return file;
}

export async function writeCheckpoint(dir: string, meta: unknown, tensors: readonly CheckpointTensor[]): Promise<void> {
  await writeCheckpointBytes(dir, encodeTensorFile(meta, tensors));
}

/**
 * Puts a whole checkpoint file (as `readCheckpointBytes` returned it, from this or another
 * machine) into `dir`, atomically as writeCheckpoint does.
 */
export async function writeCheckpointBytes(dir: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const final = checkpointPath(dir);
  const tmp = path.join(dir, `.${CHECKPOINT_FILE}.${process.pid}.${threadId}.tmp`);
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, final);
  await syncDirectory(dir);
}

/** The checkpoint file in `dir` as bytes (to store or copy it whole), or null when there is none. */
export async function readCheckpointBytes(dir: string): Promise<Uint8Array | null> {
  try {
    return await fs.readFile(checkpointPath(dir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | null = null;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    await handle?.close();
  }
}

export interface LoadedCheckpoint<M> {
  readonly meta: M;
  readonly tensors: CheckpointTensor[];
}

/** The checkpoint in `dir`, or null when there is none. A damaged file is an error, not "none". */
export async function readCheckpoint<M>(dir: string): Promise<LoadedCheckpoint<M> | null> {
  const buf = await readCheckpointBytes(dir);
  return buf === null ? null : decodeTensorFile<M>(buf, `checkpoint ${checkpointPath(dir)}`);
}

/** The meta of a checkpoint file's bytes, without copying its tensors; `origin` names it in errors. */
export function checkpointMeta<M>(bytes: Uint8Array, origin: string): M {
  return parseHeader<M>(bytes, `checkpoint ${origin}`).header.meta;
}

function parseHeader<M>(buf: Uint8Array, what: string): { bytes: Buffer; header: { meta: M; tensors: TensorEntry[]; dataBytes: number }; dataStart: number } {
  const bad = (why: string): Error => new Error(`${what} is damaged: ${why}`);
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < MAGIC.length + 4 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('wrong magic');
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  if (headerEnd > bytes.length) throw bad('truncated header');
  const header = JSON.parse(bytes.subarray(MAGIC.length + 4, headerEnd).toString('utf8'), decodeNumbers) as {
    meta: M;
    tensors: TensorEntry[];
    dataBytes: number;
  };
  const dataStart = Math.ceil(headerEnd / 4) * 4;
  if (bytes.length !== dataStart + header.dataBytes) throw bad(`expected ${dataStart + header.dataBytes} bytes, found ${bytes.length}`);
  return { bytes, header, dataStart };
}

/** The meta and tensors of a file in the layout above; `what` names it in the error of a damaged one. */
export function decodeTensorFile<M>(buf: Uint8Array, what: string): LoadedCheckpoint<M> {
  const { bytes, header, dataStart } = parseHeader<M>(buf, what);
  // Copy into an aligned buffer of our own: Buffer pools do not guarantee 4-byte alignment.
  const data = new Float32Array(header.dataBytes / 4);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart));
  const tensors = header.tensors.map((e) => ({ name: e.name, shape: e.shape, data: data.subarray(e.offset, e.offset + e.length) }));
  return { meta: header.meta, tensors };
}

export async function removeCheckpoint(dir: string): Promise<void> {
  await fs.rm(checkpointPath(dir), { force: true });
}
