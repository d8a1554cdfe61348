/**
 * Resampling a lead to the 125 Hz of the Kaggle heartbeat sets by linear interpolation
 * between neighbouring samples. ECG energy lies well below the 62.5 Hz Nyquist frequency of
 * the target rate, so no separate anti-aliasing filter is applied (docs/data.md, "PhysioNet
 * WFDB records").
 */

/** Number of samples at `toHz` covering the `n` samples of a signal at `fromHz`. */
export function resampledLength(n: number, fromHz: number, toHz: number): number {
  return n === 0 ? 0 : Math.floor(((n - 1) * toHz) / fromHz) + 1;
}

/** Sample index at `toHz` nearest to sample `index` at `fromHz`. */
export function resampledIndex(index: number, fromHz: number, toHz: number): number {
  return Math.round((index * toHz) / fromHz);
}

export function resampleLinear(x: Float64Array, fromHz: number, toHz: number): Float64Array {
  if (fromHz === toHz) return x.slice();
  const out = new Float64Array(resampledLength(x.length, fromHz, toHz));
  const step = fromHz / toHz;
  for (let k = 0; k < out.length; k++) {
    const t = k * step;
    const i = Math.floor(t);
    const f = t - i;
    out[k] = i + 1 < x.length ? x[i]! + f * (x[i + 1]! - x[i]!) : x[i]!;
  }
  return out;
}
