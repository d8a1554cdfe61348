/**
 * One WFDB record read for beat extraction: its header, one lead (chosen by name, with the
 * first signal as the fallback) in physical units, and the reference beat annotations
 * (`<record>.atr` next to the header), checked against the signal: an annotation past the end
 * of the signal or with a code WFDB does not define means the files do not belong together,
 * and is refused with the annotation's index and time.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { printable } from '../../core/printable.js';
import { DataError } from '../errors.js';
import { aamiClassIndex, annotationMnemonic } from './aami.js';
import { readMitAnnotations, type Annotations } from './annotations.js';
import { parseWfdbHeader, type WfdbHeader, type WfdbSignalSpec } from './header.js';
import { decodeSignal, samplesInFile } from './signals.js';

export interface WfdbRecord {
  readonly header: WfdbHeader;
  readonly headerFile: string;
  /** The lead read (its description, e.g. `MLII`). */
  readonly lead: string;
  /** True when the requested lead was not in the record and the first signal was read. */
  readonly fallback: boolean;
  /** The lead in physical units ((adc − baseline) / gain). */
  readonly signal: Float64Array;
  readonly annotationFile: string;
  readonly annotations: Annotations;
}

function readBytes(file: string, what: string): Uint8Array {
  try {
    if (!statSync(file).isFile()) throw new DataError(file, null, 'not a regular file');
    return readFileSync(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(file, null, `${what} not found`, { cause: e });
  }
}

/** The signal to read: the first whose description is `lead`, else the first signal. */
function chooseLead(header: WfdbHeader, lead: string): { index: number; fallback: boolean } {
  const index = header.signals.findIndex((s) => s.description === lead);
  return index >= 0 ? { index, fallback: false } : { index: 0, fallback: true };
}

export function readWfdbRecord(headerFile: string, lead: string): WfdbRecord {
  const header = parseWfdbHeader(Buffer.from(readBytes(headerFile, 'header file')).toString('latin1'), headerFile);
  const folder = dirname(headerFile);
  // The record name names the signal and annotation files; a header copied under another
  // name would pair the wrong files.
  const name = basename(headerFile).replace(/\.hea$/i, '');
  if (header.record !== name) throw new DataError(headerFile, null, `the record line names record "${printable(header.record)}", the file is named after "${printable(name)}"`);
  const chosen = chooseLead(header, lead);
  const spec = header.signals[chosen.index]!;
  // The signals stored in the same file as the chosen one, in header order (interleaved).
  const group: WfdbSignalSpec[] = header.signals.filter((s) => s.file === spec.file);
  const datFile = join(folder, spec.file);
  const bytes = readBytes(datFile, 'signal file').subarray(spec.byteOffset);
  const samples = header.samples ?? samplesInFile(spec.format, bytes.length, group.length);
  const digital = decodeSignal(bytes, group, group.indexOf(spec), samples, { datFile, headerFile });
  const signal = new Float64Array(samples);
  for (let t = 0; t < samples; t++) signal[t] = (digital[t]! - spec.baseline) / spec.gain;

  const annotationFile = join(folder, `${header.record}.atr`);
  const annotations = readMitAnnotations(readBytes(annotationFile, 'annotation file (.atr)'), annotationFile);
  checkAnnotations(annotations, annotationFile, samples);
  return { header, headerFile, lead: spec.description, fallback: chosen.fallback, signal, annotationFile, annotations };
}

function checkAnnotations(a: Annotations, file: string, samples: number): void {
  for (let i = 0; i < a.codes.length; i++) {
    const t = a.samples[i]!;
    const code = a.codes[i]!;
    const where = `annotation ${i} at sample ${t}`;
    if (annotationMnemonic(code) === null) throw new DataError(file, where, `unknown annotation code ${code}`);
    if (t < 0 || t >= samples) {
      const kind = aamiClassIndex(code) >= 0 ? 'beat' : 'annotation';
      throw new DataError(file, where, `${kind} "${annotationMnemonic(code)!}" lies outside the signal (${samples} samples): the annotation file does not match the record`);
    }
  }
}
