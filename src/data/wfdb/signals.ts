/**
 * Decoding one signal of a WFDB signal file. The signals that name the same file are stored
 * interleaved, one sample of each per frame, in the order of their signal lines; format 212
 * packs two 12-bit samples of that flat sequence into three bytes, format 16 stores 16-bit
 * little-endian words and format 80 unsigned bytes with an offset of 128.
 *
 * The decoded samples are checked against the header's initial value and checksum (the 16-bit
 * sum of all samples), so a wrong format, a wrong signal order or a damaged file is refused
 * instead of producing plausible-looking beats.
 */
import { DataError } from '../errors.js';
import type { WfdbSignalSpec } from './header.js';

export const SUPPORTED_FORMATS: readonly number[] = [212, 16, 80];

/** Bytes that `values` samples of the flat sequence take in `format`. */
function bytesFor(format: number, values: number): number {
  if (format === 212) return Math.ceil((values * 3) / 2);
  if (format === 16) return values * 2;
  return values;
}

/** How many samples per signal a file of `bytes` bytes holds for `n` interleaved signals. */
export function samplesInFile(format: number, bytes: number, n: number): number {
  const values = format === 212 ? Math.floor((bytes * 2) / 3) : format === 16 ? Math.floor(bytes / 2) : bytes;
  return Math.floor(values / n);
}

/** Reads value `k` of the flat (interleaved) sequence. */
function valueAt(format: number, data: Uint8Array, k: number): number {
  if (format === 212) {
    const base = (k >> 1) * 3;
    const v = k & 1 ? data[base + 2]! | ((data[base + 1]! & 0xf0) << 4) : data[base]! | ((data[base + 1]! & 0x0f) << 8);
    return v & 0x800 ? v - 0x1000 : v;
  }
  if (format === 16) {
    const v = data[2 * k]! | (data[2 * k + 1]! << 8);
    return v & 0x8000 ? v - 0x10000 : v;
  }
  return data[k]! - 128;
}

/**
 * The digital samples (ADC units) of signal `index` among the `group` signals stored in one
 * file, `samples` of them. `data` is the file's content after the byte offset.
 */
export function decodeSignal(
  data: Uint8Array,
  group: readonly WfdbSignalSpec[],
  index: number,
  samples: number,
  where: { readonly datFile: string; readonly headerFile: string },
): Int32Array {
  const spec = group[index]!;
  const n = group.length;
  if (!SUPPORTED_FORMATS.includes(spec.format)) {
    throw new DataError(where.headerFile, `${spec.line}:1`, `signal format ${spec.format} is not supported (supported: ${SUPPORTED_FORMATS.join(', ')})`);
  }
  for (const s of group) {
    if (s.format !== spec.format) throw new DataError(where.headerFile, `${s.line}:1`, `signals in one file must share a format: ${s.format} here, ${spec.format} for ${spec.description}`);
    if (s.samplesPerFrame !== 1) throw new DataError(where.headerFile, `${s.line}:1`, `${s.samplesPerFrame} samples per frame are not supported (only 1)`);
    if (s.skew !== 0) throw new DataError(where.headerFile, `${s.line}:1`, `skew ${s.skew} is not supported (only 0)`);
  }
  const needed = bytesFor(spec.format, samples * n);
  if (data.length < needed) {
    throw new DataError(where.datFile, null, `holds ${samplesInFile(spec.format, data.length, n)} samples per signal, the header ${where.headerFile} says ${samples} (${needed} bytes needed, ${data.length} found)`);
  }
  const out = new Int32Array(samples);
  let sum = 0;
  for (let t = 0; t < samples; t++) {
    const v = valueAt(spec.format, data, t * n + index);
    out[t] = v;
    sum = (sum + v) & 0xffff;
  }
  if (spec.initialValue !== null && samples > 0 && out[0] !== spec.initialValue) {
    throw new DataError(where.datFile, null, `signal ${spec.description} starts with ${out[0]}, the header ${where.headerFile}:${spec.line} says ${spec.initialValue} (wrong format or signal order?)`);
  }
  if (spec.checksum !== null && sum !== (spec.checksum & 0xffff)) {
    const signed = sum & 0x8000 ? sum - 0x10000 : sum;
    throw new DataError(where.datFile, null, `checksum of signal ${spec.description} is ${signed}, the header ${where.headerFile}:${spec.line} says ${spec.checksum} (damaged or truncated file?)`);
  }
  return out;
}
