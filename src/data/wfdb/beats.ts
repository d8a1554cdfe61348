/**
 * Beat segmentation as Kachuee et al. 2018 cut the Kaggle MIT-BIH set ("ECG Heartbeat
 * Classification: A Deep Transferable Representation"), on a lead already at 125 Hz:
 *
 * 1. split the lead into consecutive 10-s windows (1250 samples; the last one may be shorter),
 * 2. scale each window to [0, 1] (min → 0, max → 1),
 * 3. take the R peaks from the reference annotations,
 * 4. T = the median RR interval of the window's R peaks,
 * 5. each beat = the window's samples from its R peak over 1.2 × T (at most up to the
 *    window's end),
 * 6. zero-padded to 187 samples, or truncated when 1.2 × T is longer.
 *
 * A window with fewer than two R peaks has no RR interval, so its beats are dropped
 * (`dropped`); every other annotated beat gives exactly one row.
 */

export const BEAT_SAMPLES = 187;
export const BEAT_RATE_HZ = 125;
export const WINDOW_SECONDS = 10;
export const RR_FACTOR = 1.2;

export interface SegmentedBeats {
  /** float32 [count, 187]. */
  readonly signals: Float32Array;
  /** Class of each beat (as given per peak). */
  readonly labels: Int32Array;
  readonly count: number;
  /** Peaks in windows with fewer than two peaks, which give no beat. */
  readonly dropped: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Cuts beats from `lead` (125 Hz) at `peaks` (sample indices at 125 Hz, ascending, each within
 * the lead) with class `classes[i]` for peak i.
 */
export function segmentBeats(lead: Float64Array, peaks: Int32Array, classes: Int32Array): SegmentedBeats {
  const window = BEAT_RATE_HZ * WINDOW_SECONDS;
  const signals = new Float32Array(peaks.length * BEAT_SAMPLES);
  const labels = new Int32Array(peaks.length);
  let count = 0;
  let dropped = 0;
  let p = 0;
  for (let start = 0; start < lead.length; start += window) {
    const end = Math.min(lead.length, start + window);
    const first = p;
    while (p < peaks.length && peaks[p]! < end) p++;
    if (p - first < 2) {
      dropped += p - first;
      continue;
    }
    const rr: number[] = [];
    for (let i = first + 1; i < p; i++) rr.push(peaks[i]! - peaks[i - 1]!);
    const span = Math.round(RR_FACTOR * median(rr));
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = start; t < end; t++) {
      lo = Math.min(lo, lead[t]!);
      hi = Math.max(hi, lead[t]!);
    }
    // A flat window (hi = lo) scales to zeros rather than dividing by zero.
    const scale = hi > lo ? 1 / (hi - lo) : 0;
    for (let i = first; i < p; i++) {
      const r = peaks[i]!;
      const n = Math.min(span, BEAT_SAMPLES, end - r);
      const row = count * BEAT_SAMPLES;
      for (let j = 0; j < n; j++) signals[row + j] = (lead[r + j]! - lo) * scale;
      labels[count] = classes[i]!;
      count++;
    }
  }
  return { signals: signals.subarray(0, count * BEAT_SAMPLES), labels: labels.subarray(0, count), count, dropped };
}
