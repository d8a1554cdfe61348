/**
 * The fingerprint of a data set: a SHA-256 of its content (shape, every signal value as
 * float32, the labels and the groups), never of its path or file format, so the same
 * beats in another file, folder or machine, as HDF5 or as CSV, have the same fingerprint,
 * and different beats a different one. Signals are hashed block by block as the whole-file
 * pass of prepare.ts reads them (nothing more is held in memory); the result is cached per
 * file identity (path, size, mtime) in the data cache folder, so a study run again on an
 * unchanged file pays nothing.
 */
import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelSet } from './labels.js';

/** Bumped whenever what is hashed changes: older fingerprints then no longer compare equal. */
const FINGERPRINT_VERSION = 1;

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Little-endian bytes of float32 values (the hash must not depend on the host's byte order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function float32LE(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return bytesOf(values);
  const out = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => out.setFloat32(i * 4, v, true));
  return new Uint8Array(out.buffer);
}

/** Little-endian bytes of int32 values: the array itself on a little-endian host (no copy of a per-sample array). */
function int32LE(values: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return bytesOf(values);
  const out = new DataView(new ArrayBuffer(values.length * 4));
  values.forEach((v, i) => out.setInt32(i * 4, v, true));
  return new Uint8Array(out.buffer);
}

/** Streams a data set's content into one fingerprint: the signals in file order, then the rest. */
export class FingerprintHasher {
  readonly #hash: Hash = createHash('sha256');

  constructor(shape: { readonly count: number; readonly length: number; readonly channels: number }) {
    this.#hash.update(`hpsearch-data-v${FINGERPRINT_VERSION}|${shape.count}|${shape.length}|${shape.channels}|`);
  }

  /** The next rows of signals, in file order. */
  addSignals(block: Float32Array): void {
    this.#hash.update(float32LE(block));
  }

  /** The labels (and groups, which decide group splits) after the last signals; the fingerprint. */
  digest(labels: LabelSet, groups: Int32Array | null): string {
    this.#hash.update(`|labels|${labels.multilabel ? 'multi-hot' : 'index'}|${labels.numClasses}|`);
    if (labels.multilabel) this.#hash.update(labels.multiHot);
    else if (labels.classIndex instanceof Int32Array) this.#hash.update(int32LE(labels.classIndex));
    // One-byte class indices hash as the int32 values they were before ClassIndex (labels.ts), a
    // block at a time, so that fingerprints stored by earlier studies still match.
    else for (let a = 0; a < labels.classIndex.length; a += 65536) this.#hash.update(int32LE(Int32Array.from(labels.classIndex.subarray(a, a + 65536))));
    this.#hash.update(groups === null ? '|no-groups' : '|groups|');
    if (groups !== null) this.#hash.update(int32LE(groups));
    return `sha256:${this.#hash.digest('hex')}`;
  }
}

function cacheFile(cacheDir: string, identityHash: string): string {
  return join(cacheDir, `fingerprint-v${FINGERPRINT_VERSION}-${identityHash}`);
}

/** The cached fingerprint of a file identity (prepare.ts hashes it), or null. */
export function cachedFingerprint(cacheDir: string, identityHash: string): string | null {
  const file = cacheFile(cacheDir, identityHash);
  if (!existsSync(file)) return null;
  const text = readFileSync(file, 'utf8').trim();
  return /^sha256:[0-9a-f]{64}$/.test(text) ? text : null;
}

export function cacheFingerprint(cacheDir: string, identityHash: string, fingerprint: string): void {
  mkdirSync(cacheDir, { recursive: true });
  const file = cacheFile(cacheDir, identityHash);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${fingerprint}\n`);
  renameSync(tmp, file);
}
