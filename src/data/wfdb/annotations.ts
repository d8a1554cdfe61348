/**
 * MIT-format annotation files (`.atr`): a sequence of 16-bit little-endian words, each a 6-bit
 * code A (high bits) and a 10-bit number I (low bits). For an annotation code (1..49) I is the
 * time since the previous annotation, in samples. Pseudo-codes modify the stream:
 *
 * - SKIP (59): the next two words hold a 32-bit interval (high word first), added to the time;
 *   it lets intervals exceed 1023 samples and takes effect with the next annotation.
 * - NUM (60), SUB (61), CHN (62): I sets the `num`, `subtyp` or `chan` field of the annotation
 *   just read; the time does not move.
 * - AUX (63): I bytes of auxiliary text follow (rhythm labels such as `(AFIB`), padded to an
 *   even number of bytes; they are skipped.
 * - A word of 0 (A = 0 and I = 0) ends the file.
 */
import { DataError } from '../errors.js';

/** The pseudo-codes (codes 59..63 are not annotations). */
const PSEUDO = { SKIP: 59, NUM: 60, SUB: 61, CHN: 62, AUX: 63 } as const;

export interface Annotations {
  /** Sample of each annotation (at the record's sampling frequency). */
  readonly samples: Float64Array;
  /** Annotation code of each (1..49). */
  readonly codes: Uint8Array;
}

export function readMitAnnotations(data: Uint8Array, file: string): Annotations {
  const words = Math.floor(data.length / 2);
  const word = (i: number) => data[2 * i]! | (data[2 * i + 1]! << 8);
  const samples: number[] = [];
  const codes: number[] = [];
  let time = 0;
  let i = 0;
  let ended = false;
  while (i < words) {
    const w = word(i);
    const at = i;
    i++;
    const a = w >> 10;
    const n = w & 0x3ff;
    if (a === 0 && n === 0) {
      ended = true;
      break;
    }
    if (a === PSEUDO.SKIP) {
      if (i + 2 > words) throw new DataError(file, `byte ${2 * at}`, 'SKIP without its 32-bit interval (truncated file)');
      const interval = ((word(i) << 16) | word(i + 1)) >> 0;
      i += 2;
      time += interval;
      continue;
    }
    if (a === PSEUDO.NUM || a === PSEUDO.SUB || a === PSEUDO.CHN) continue;
    if (a === PSEUDO.AUX) {
      i += Math.ceil(n / 2);
      if (i > words) throw new DataError(file, `byte ${2 * at}`, `AUX of ${n} bytes runs past the end of the file`);
      continue;
    }
    time += n;
    samples.push(time);
    codes.push(a);
  }
  if (!ended && data.length % 2 !== 0) throw new DataError(file, `byte ${data.length - 1}`, 'odd number of bytes: not an MIT-format annotation file');
  return { samples: Float64Array.from(samples), codes: Uint8Array.from(codes) };
}
