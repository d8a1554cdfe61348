/**
 * The check made on a user's HDF5 file before h5wasm opens it: is it an HDF5 file at all, and
 * is it whole? h5wasm on a truncated file fails deep inside HDF5 with a message that names
 * neither the file nor the cause.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { DataError } from '../errors.js';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Checks that `path` is an HDF5 file and is not truncated, before h5wasm opens it.
 *
 * The superblock sits at offset 0, 512, 1024, 2048, ... (after an optional user block) and
 * records the end-of-file address (HDF5 File Format Specification, "Superblock", versions 0–3);
 * a file shorter than that address was cut short (interrupted copy or download).
 */
export function checkHdf5File(path: string): void {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(path, null, 'not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(path, null, 'file not found');
  }
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const got = readSync(fd, head, 0, head.length, offset);
      if (got < 8 || !head.subarray(0, 8).equals(HDF5_SIGNATURE)) continue;
      const version = head[8]!;
      let sizeOfOffsets: number;
      let addressesAt: number;
      let eofIndex: number;
      if (version === 0 || version === 1) {
        sizeOfOffsets = head[13]!;
        addressesAt = version === 0 ? 24 : 28;
        eofIndex = 2; // base, free-space, end-of-file, driver
      } else if (version === 2 || version === 3) {
        sizeOfOffsets = head[9]!;
        addressesAt = 12;
        eofIndex = 2; // base, superblock extension, end-of-file, root object header
      } else {
        throw new DataError(path, null, `unsupported HDF5 superblock version ${version}`);
      }
      if (![2, 4, 8].includes(sizeOfOffsets) || addressesAt + 3 * sizeOfOffsets > got) {
        throw new DataError(path, null, 'corrupt HDF5 superblock');
      }
      const readAddress = (i: number): bigint => {
        let v = 0n;
        for (let b = sizeOfOffsets - 1; b >= 0; b--) v = (v << 8n) | BigInt(head[addressesAt + i * sizeOfOffsets + b]!);
        return v;
      };
      const base = readAddress(0);
      const eof = readAddress(eofIndex);
      const undefinedAddress = (1n << BigInt(8 * sizeOfOffsets)) - 1n;
      if (eof !== undefinedAddress && base + eof > BigInt(size)) {
        throw new DataError(path, null, `truncated HDF5 file: ${size} bytes on disk, the superblock expects ${base + eof}`);
      }
      return;
    }
  } finally {
    closeSync(fd);
  }
  throw new DataError(path, null, 'not an HDF5 file (no HDF5 signature found)');
}
