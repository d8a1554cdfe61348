/**
 * A data file's beats in file order, in batches of at most `batchSize`, with their labels:
 * what `hpsearch predict` runs a model over. Memory is one batch of signals whatever the
 * file's size — an HDF5 file is read with the lazy reader (hdf5/lazy-dataset.ts), a CSV line
 * by line (csv.ts) — and the next batch is read only once the consumer has finished with the
 * previous one, so output can be written as the file is read.
 */
import { extname } from 'node:path';
import { readKaggleCsv } from './csv.js';
import { DataError } from './errors.js';
import { LazyHdf5Dataset } from './hdf5/lazy-dataset.js';
import type { ClassIndex, LabelSet } from './labels.js';

export interface BeatShape {
  readonly length: number;
  readonly channels: number;
  /** Where the signals are, for messages (`data.h5: /X`, `data.csv`). */
  readonly place: string;
}

export interface BeatBatch {
  /** File row of the first beat. */
  readonly start: number;
  readonly size: number;
  /** Row-major [size, length, channels]. */
  readonly x: Float32Array;
  /** Class index per beat (multi-class labels), else null. */
  readonly classIndex: ClassIndex | null;
  /** Row-major [size, K] 0/1 (multi-label labels), else null. */
  readonly multiHot: Uint8Array | null;
}

export interface BeatStreamHandlers {
  /** Told the signals' shape before any batch; may throw to refuse the file. */
  readonly onShape: (shape: BeatShape) => void;
  /** Told the file's labels (an HDF5 file's are read whole: one number per beat) before any batch. */
  readonly onLabels?: (labels: Pick<LabelSet, 'multilabel' | 'numClasses' | 'classes'>) => void;
  readonly onBatch: (batch: BeatBatch) => Promise<void>;
}

/** Streams `file` (.h5/.hdf5 or a Kaggle-format .csv); resolves with the number of beats. */
export async function streamBeats(file: string, batchSize: number, handlers: BeatStreamHandlers): Promise<number> {
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  return extname(file).toLowerCase() === '.csv' ? streamCsv(file, batchSize, handlers) : streamHdf5(file, batchSize, handlers);
}

async function streamHdf5(file: string, batchSize: number, h: BeatStreamHandlers): Promise<number> {
  const ds = await LazyHdf5Dataset.open(file);
  try {
    h.onShape({ length: ds.length, channels: ds.channels, place: `${file}: ${ds.layout.signals.path}` });
    const labels = ds.readLabels();
    h.onLabels?.(labels);
    const k = labels.numClasses;
    for (let start = 0; start < ds.count; start += batchSize) {
      const end = Math.min(ds.count, start + batchSize);
      await h.onBatch({
        start,
        size: end - start,
        x: ds.readRange(start, end),
        classIndex: labels.multilabel ? null : labels.classIndex.subarray(start, end),
        multiHot: labels.multilabel ? labels.multiHot.subarray(start * k, end * k) : null,
      });
    }
    return ds.count;
  } finally {
    ds.close();
  }
}

async function streamCsv(file: string, batchSize: number, h: BeatStreamHandlers): Promise<number> {
  let start = 0;
  const { rows } = await readKaggleCsv(
    file,
    async (block) => {
      if (start === 0) {
        h.onShape({ length: block.signals.length / block.rows, channels: 1, place: file });
        // A Kaggle CSV's last column is a class index; the class names are the model's.
        h.onLabels?.({ multilabel: false, numClasses: 0, classes: [] });
      }
      await h.onBatch({ start, size: block.rows, x: block.signals, classIndex: block.labels, multiHot: null });
      start += block.rows;
    },
    { blockRows: batchSize },
  );
  if (rows === 0) throw new DataError(file, null, 'no data rows');
  return rows;
}
