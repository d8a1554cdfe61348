/**
 * Where a trial's signals come from: one shared in-memory copy, or the HDF5 file read lazily.
 *
 * Both implement `SignalSource.gather`, the only operation the batch builder needs: copy a list
 * of rows (any order, repeats allowed) into a batch buffer.
 */

export interface SignalSource {
  /** Samples N. */
  readonly count: number;
  /** Samples per signal L. */
  readonly length: number;
  /** Channels C. */
  readonly channels: number;
  /**
   * Copies row `indices[i]` (row-major [length, channels], as float32) to `out` at row `i`.
   * Indices may repeat and come in any order.
   */
  gather(indices: ArrayLike<number>, out: Float32Array): void;
  close(): void;
}

/**
 * The signals of a dataset in one SharedArrayBuffer: float32, row-major [count, length, channels].
 * Structured clone (postMessage, workerData) passes the buffer by reference, so every worker
 * thread reads the same memory without a copy.
 */
export interface SharedSignals {
  readonly buffer: SharedArrayBuffer;
  readonly shape: readonly [count: number, length: number, channels: number];
}

export function allocateSharedSignals(count: number, length: number, channels: number): { shared: SharedSignals; view: Float32Array } {
  const buffer = new SharedArrayBuffer(count * length * channels * Float32Array.BYTES_PER_ELEMENT);
  return { shared: { buffer, shape: [count, length, channels] }, view: new Float32Array(buffer) };
}

/** Bytes that signals of this shape occupy in memory (always float32 in hpsearch). */
export function signalBytes(count: number, length: number, channels: number): number {
  return count * length * channels * Float32Array.BYTES_PER_ELEMENT;
}

/** A `SignalSource` over an in-memory float32 array (shared or not). */
export class InMemorySignalSource implements SignalSource {
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  private readonly data: Float32Array;
  private readonly rowSize: number;

  constructor(data: Float32Array, count: number, length: number, channels: number) {
    if (data.length !== count * length * channels) {
      throw new RangeError(`signal array of ${data.length} values does not match shape [${count}, ${length}, ${channels}]`);
    }
    this.data = data;
    this.count = count;
    this.length = length;
    this.channels = channels;
    this.rowSize = length * channels;
  }

  static fromShared(shared: SharedSignals): InMemorySignalSource {
    const [n, l, c] = shared.shape;
    return new InMemorySignalSource(new Float32Array(shared.buffer), n, l, c);
  }

  gather(indices: ArrayLike<number>, out: Float32Array): void {
    const s = this.rowSize;
    for (let r = 0; r < indices.length; r++) {
      const i = indices[r]!;
      if (!(i >= 0 && i < this.count)) throw new RangeError(`row ${i} out of range [0, ${this.count})`);
      out.set(this.data.subarray(i * s, i * s + s), r * s);
    }
  }

  close(): void {
    // Nothing to release: the buffer is owned by whoever created it.
  }
}
