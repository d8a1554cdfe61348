/**
 * `hpsearch data import <record.hea | folder>... --out beats.h5 [--lead NAME]`: PhysioNet WFDB
 * records to one HDF5 file of beats in the Kaggle MIT-BIH form (187 samples at 125 Hz, classes
 * N, S, V, F, Q), one record at a time, so memory holds one record whatever their number.
 *
 * Layout: `X` float32 [N, 187], `y` int32 (index into `classes` = N, S, V, F, Q), `groups`
 * int32 = the position of the beat's record in the root attribute `records` (comma-separated
 * record names, in import order), so `split: {by: group}` keeps each record on one side.
 * Written to a temporary file renamed at the end: a bad record leaves nothing behind.
 */
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { printable } from '../../core/printable.js';
import { DataError } from '../errors.js';
import { Hdf5DatasetWriter } from '../hdf5/writer.js';
import { AAMI_CLASSES, aamiClassIndex } from './aami.js';
import { BEAT_RATE_HZ, BEAT_SAMPLES, RR_FACTOR, segmentBeats, WINDOW_SECONDS } from './beats.js';
import { readWfdbRecord } from './record.js';
import { resampledIndex, resampleLinear } from './resample.js';

export const DEFAULT_LEAD = 'MLII';

export interface WfdbImportOptions {
  /** Lead (signal description) to read; default `MLII`. */
  readonly lead?: string;
  /** One line per record that lacks the lead (the first signal is read instead). */
  readonly warn?: (message: string) => void;
}

export interface WfdbRecordResult {
  readonly record: string;
  readonly lead: string;
  /** Beats written, per AAMI class (N, S, V, F, Q). */
  readonly classCounts: readonly number[];
  /** Annotated beats of the mapped classes that gave no row (windows with fewer than two beats). */
  readonly dropped: number;
}

/** True for an input `data import` reads as WFDB: a `.hea` file or a folder. */
export function isWfdbInput(path: string): boolean {
  if (extname(path).toLowerCase() === '.hea') return true;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The header files named by the inputs: `.hea` files as given, folders' `.hea` files sorted by name. */
export function wfdbHeaderFiles(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new DataError(input, null, 'file not found');
    }
    if (st.isDirectory()) {
      const found = readdirSync(input)
        .filter((f) => extname(f).toLowerCase() === '.hea')
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
      if (found.length === 0) throw new DataError(input, null, 'folder holds no WFDB header (.hea) files');
      out.push(...found.map((f) => join(input, f)));
    } else {
      if (extname(input).toLowerCase() !== '.hea') throw new DataError(input, null, 'expected a WFDB header (.hea) file or a folder of them (a CSV import takes .csv files only)');
      out.push(input);
    }
  }
  return out;
}

export async function importWfdb(inputs: readonly string[], out: string, opts: WfdbImportOptions = {}): Promise<WfdbRecordResult[]> {
  const lead = opts.lead ?? DEFAULT_LEAD;
  const headers = wfdbHeaderFiles(inputs);
  if (headers.length === 0) throw new DataError(out, null, 'no WFDB records to import');
  const names = headers.map((h) => basename(h).replace(/\.hea$/i, ''));
  names.forEach((n, i) => {
    const j = names.indexOf(n);
    if (j !== i) throw new DataError(headers[i]!, null, `record ${printable(n)} is also given as ${headers[j]}: each record may be imported once (it is one group)`);
  });
  const tmp = `${out}.${process.pid}.partial`;
  const writer = await Hdf5DatasetWriter.create(tmp, {
    length: BEAT_SAMPLES,
    channels: 1,
    classes: AAMI_CLASSES,
    multilabel: false,
    withGroups: true,
    attributes: {
      records: names.join(','),
      lead,
      sample_rate_hz: String(BEAT_RATE_HZ),
      segmentation: `Kachuee et al. 2018: ${WINDOW_SECONDS}-s windows scaled to [0, 1], beat = R peak + ${RR_FACTOR} x median RR, zero-padded to ${BEAT_SAMPLES}`,
    },
  });
  const results: WfdbRecordResult[] = [];
  let done = false;
  try {
    for (let r = 0; r < headers.length; r++) {
      results.push(importRecord(writer, headers[r]!, r, lead, opts.warn ?? (() => {})));
    }
    const total = results.reduce((s, x) => s + x.classCounts.reduce((a, b) => a + b, 0), 0);
    if (total === 0) throw new DataError(out, null, `the ${headers.length} record${headers.length === 1 ? '' : 's'} gave no beats`);
    writer.close();
    renameSync(tmp, out);
    done = true;
    return results;
  } finally {
    if (!done) {
      try {
        writer.close();
      } catch {
        // Already failing; the partial file is removed below.
      }
      rmSync(tmp, { force: true });
    }
  }
}

/** Reads, segments and appends one record; only this record's arrays are alive meanwhile. */
function importRecord(writer: Hdf5DatasetWriter, headerFile: string, group: number, lead: string, warn: (m: string) => void): WfdbRecordResult {
  const rec = readWfdbRecord(headerFile, lead);
  const name = rec.header.record;
  if (rec.fallback) warn(`record ${printable(name)} has no lead ${printable(lead)}: using its first signal, ${printable(rec.lead)}`);
  const fs = rec.header.frequency;
  const lead125 = resampleLinear(rec.signal, fs, BEAT_RATE_HZ);
  const peaks: number[] = [];
  const classes: number[] = [];
  const { samples, codes } = rec.annotations;
  for (let i = 0; i < codes.length; i++) {
    const c = aamiClassIndex(codes[i]!);
    if (c < 0) continue;
    // An annotation on the last original sample can round past the last resampled one.
    peaks.push(Math.min(lead125.length - 1, resampledIndex(samples[i]!, fs, BEAT_RATE_HZ)));
    classes.push(c);
  }
  const beats = segmentBeats(lead125, Int32Array.from(peaks), Int32Array.from(classes));
  writer.append(beats.signals, beats.labels, new Int32Array(beats.count).fill(group));
  const counts = new Array<number>(AAMI_CLASSES.length).fill(0);
  for (const l of beats.labels) counts[l]!++;
  return { record: name, lead: rec.lead, classCounts: counts, dropped: beats.dropped };
}
