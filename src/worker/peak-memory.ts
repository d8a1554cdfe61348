/**
 * The most resident memory a run's training took: this process's peak (`getrusage`'s maxRSS,
 * which covers its worker threads), and for worker processes each child's own peak, which it
 * reports with its trial's end (protocol.ts). The children's peaks are not seen at the same
 * instant, so the run's figure adds the `concurrent` largest of them: what the machine held
 * at most, if the largest children peaked together.
 */
export interface PeakMemory {
  /** Peak RSS of this process, its threads included, in bytes. */
  readonly processBytes: number;
  /** Peak RSS of each worker process that reported one, in bytes (empty for threads). */
  readonly workerProcessBytes: readonly number[];
  /** Worker processes running at once at most. */
  readonly concurrent: number;
}

/** This process's peak RSS in bytes (maxRSS is in KiB on Linux and macOS). */
export function processPeakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** This process's peak alone: what a run with worker threads (or a trainer that reports nothing) took. */
export function ownPeakMemory(): PeakMemory {
  return { processBytes: processPeakRssBytes(), workerProcessBytes: [], concurrent: 0 };
}

/** This process's peak, plus the `concurrent` largest peaks of worker processes. */
export function peakRssBytes(m: PeakMemory): number {
  const largest = [...m.workerProcessBytes].sort((a, b) => b - a).slice(0, m.concurrent);
  return largest.reduce((a, b) => a + b, m.processBytes);
}

/** "peak RSS 1.21 GB", or with worker processes "peak RSS 2.10 GB (this process 0.31 GB + 2 worker processes up to 0.90 GB each)". */
export function describePeakMemory(m: PeakMemory): string {
  const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(2)} GB`;
  if (m.workerProcessBytes.length === 0) return `peak RSS ${gb(m.processBytes)}`;
  const n = Math.min(m.concurrent, m.workerProcessBytes.length);
  return `peak RSS ${gb(peakRssBytes(m))} (this process ${gb(m.processBytes)} + ${n} worker process${n === 1 ? '' : 'es'} up to ${gb(Math.max(...m.workerProcessBytes))} each)`;
}
