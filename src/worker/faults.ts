/**
 * Fault injection for the test suites (like SQLite's test hooks): `HPSEARCH_FAULT` names a
 * fault and the trial it hits, e.g. `throw@1`, `exit@2`, `oom@0`. Unset in normal use.
 * The faults are real: an exception, the worker thread or process ending, the V8 heap of
 * the worker running out. `dbfull@N` in the same list belongs to the storage
 * (src/storage/faults.ts) and is ignored here.
 */
export function injectFault(trialNumber: number): void {
  const spec = process.env.HPSEARCH_FAULT;
  if (!spec) return;
  for (const part of spec.split(',')) {
    const [kind, at] = part.split('@');
    if (Number(at) !== trialNumber) continue;
    if (kind === 'throw') throw new Error(`injected fault in trial ${trialNumber}`);
    if (kind === 'exit') process.exit(3);
    if (kind === 'oom') {
      const hog: number[][] = [];
      for (;;) hog.push(new Array<number>(1 << 20).fill(trialNumber));
    }
  }
}

/**
 * `HPSEARCH_EPOCH_LOG=FILE`: appends "trial epoch" for every epoch this process trained and
 * the study recorded (its checkpoint and value stored; not the re-report of an epoch
 * restored from a checkpoint), so the kill and takeover tests can prove that no recorded
 * epoch is ever trained again, on this machine or another. An epoch trained but lost in a
 * crash before it was stored is trained again, rightly, and was never logged. Unset in
 * normal use. `restoredStep` reads the step the trial's checkpoint folder resumes from.
 */
export async function epochLogger(trialNumber: number, checkpointDir: string | null, restoredStep: (dir: string) => Promise<number>): Promise<((epoch: number) => void) | null> {
  const file = process.env.HPSEARCH_EPOCH_LOG;
  if (!file || checkpointDir === null) return null;
  const { appendFileSync } = await import('node:fs');
  const restored = await restoredStep(checkpointDir);
  return (epoch) => {
    if (epoch > restored) appendFileSync(file, `${trialNumber} ${epoch}\n`);
  };
}
