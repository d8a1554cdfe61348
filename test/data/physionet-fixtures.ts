/**
 * The three PhysioNet records of test/fixtures/physionet (README there: sources, licence,
 * reference beat counts) and an independent decoding of them in Python with numpy, for the
 * WFDB reader tests to compare against.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PHYSIONET = fileURLToPath(new URL('../../../test/fixtures/physionet', import.meta.url));

export const RECORDS = ['100', '208', '800'] as const;

/** Reference beats per AAMI class N, S, V, F, Q (test/fixtures/physionet/README.md). */
export const REFERENCE_COUNTS: Readonly<Record<(typeof RECORDS)[number], readonly number[]>> = {
  '100': [2239, 33, 1, 0, 0],
  '208': [1586, 2, 992, 373, 2],
  '800': [1846, 30, 6, 1, 0],
};

/** Copies the fixture records into `dir` (for tests that alter a file). */
export function copyRecords(dir: string): void {
  for (const f of readdirSync(PHYSIONET)) copyFileSync(join(PHYSIONET, f), join(dir, f));
}

let python: string | null | undefined;
/** A Python with numpy: Debian's /usr/bin/python3 first, else `python3` on PATH; null if none. */
export function numpyPython(): string | null {
  if (python === undefined) {
    python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0) ?? null;
  }
  return python;
}

/**
 * Format 212 and MIT annotations decoded with numpy, written as files in `outDir`:
 * `<rec>.samples` int32 [nsamp, 2] and `<rec>.ann.json` {times, codes}. Written from the format
 * descriptions alone (two 12-bit samples in 3 bytes, low nibble of the middle byte with the
 * first; 6-bit code + 10-bit interval words with SKIP/NUM/SUB/CHN/AUX), not from our reader.
 */
const DECODER = String.raw`
import json, sys
import numpy as np
folder, out, rec = sys.argv[1:4]
b = np.fromfile(f'{folder}/{rec}.dat', dtype=np.uint8).astype(np.int32)
b = b[: len(b) // 3 * 3].reshape(-1, 3)
first = b[:, 0] + ((b[:, 1] & 0x0F) << 8)
second = b[:, 2] + ((b[:, 1] >> 4) << 8)
flat = np.stack([first, second], axis=1).reshape(-1)
flat = np.where(flat > 2047, flat - 4096, flat).astype(np.int32)
flat.reshape(-1, 2).tofile(f'{out}/{rec}.samples')
w = np.fromfile(f'{folder}/{rec}.atr', dtype='<u2').astype(np.int64)
times, codes, t, i = [], [], 0, 0
while i < len(w):
    code, n = int(w[i] >> 10), int(w[i] & 1023)
    i += 1
    if code == 0 and n == 0:
        break
    if code == 59:
        t += int((w[i] << 16) + w[i + 1]); i += 2
    elif code == 63:
        i += (n + 1) // 2
    elif code not in (60, 61, 62):
        t += n; times.append(t); codes.append(code)
json.dump({'times': times, 'codes': codes}, open(f'{out}/{rec}.ann.json', 'w'))
`;

export interface NumpyDecoding {
  /** int32 [nsamp, 2], row-major. */
  readonly samples: Int32Array;
  readonly times: readonly number[];
  readonly codes: readonly number[];
}

export function decodeWithNumpy(py: string, outDir: string, record: string): NumpyDecoding {
  const r = spawnSync(py, ['-c', DECODER, PHYSIONET, outDir, record], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`numpy decoder failed: ${r.stderr}`);
  const bytes = readFileSync(join(outDir, `${record}.samples`));
  const samples = new Int32Array(Uint8Array.from(bytes).buffer);
  const ann = JSON.parse(readFileSync(join(outDir, `${record}.ann.json`), 'utf8')) as { times: number[]; codes: number[] };
  return { samples, ...ann };
}
