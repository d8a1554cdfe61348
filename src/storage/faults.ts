/**
 * The storage's own fault hook for the test suites, read from the same `HPSEARCH_FAULT`
 * variable as the worker's (src/worker/faults.ts): `dbfull@N` makes the database behave
 * as if its disk filled up right after the N-th epoch report of this connection. Unset in
 * normal use.
 */
export interface StorageFaults {
  /** After this many `reportIntermediate` calls, the file may no longer grow. */
  readonly fullAfterReports: number | null;
}

export const NO_STORAGE_FAULTS: StorageFaults = { fullAfterReports: null };

export function storageFaultsFromEnv(spec: string | undefined = process.env.HPSEARCH_FAULT): StorageFaults {
  if (!spec) return NO_STORAGE_FAULTS;
  for (const part of spec.split(',')) {
    const [kind, at] = part.split('@');
    const n = Number(at);
    if (kind === 'dbfull' && Number.isInteger(n) && n >= 0) return { fullAfterReports: n };
  }
  return NO_STORAGE_FAULTS;
}
