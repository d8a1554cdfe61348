/**
 * The WFDB header file (`.hea`) of a single-segment record, parsed as PhysioNet's tools write
 * it: `#` comment lines anywhere (those after the signal lines carry patient information),
 * blank lines, CRLF line ends, and every optional field of the record and signal lines.
 *
 * Record line: `name[/segments] nsig [fs[/counterfreq][(basecounter)]] [nsamp [basetime [basedate]]]`
 * Signal line: `file format[xsamp][:skew][+offset] [gain[(baseline)][/units]] [adcres] [adczero]
 * [initval] [checksum] [blocksize] [description]` — each field may be present only when the ones
 * before it are, and the description is the rest of the line (it may hold spaces).
 *
 * Errors are `DataError`s at `file:line:column` of the offending field.
 */
import { DataError } from '../errors.js';

export interface WfdbSignalSpec {
  /** Signal file name, relative to the header's folder. */
  readonly file: string;
  /** Storage format (212, 16, 80, ...). */
  readonly format: number;
  /** Samples per frame (the `x` suffix; 1 when absent). */
  readonly samplesPerFrame: number;
  /** Skew in frames (the `:` suffix; 0 when absent). */
  readonly skew: number;
  /** Bytes to skip at the start of the signal file (the `+` suffix; 0 when absent). */
  readonly byteOffset: number;
  /** ADC units per physical unit; the spec's default 200 when absent or 0. */
  readonly gain: number;
  /** ADC value of physical zero (defaults to `adcZero`). */
  readonly baseline: number;
  readonly units: string;
  readonly adcResolution: number;
  readonly adcZero: number;
  /** First sample's value, or null when the header does not say. */
  readonly initialValue: number | null;
  /** 16-bit sum of all samples, or null when the header does not say. */
  readonly checksum: number | null;
  readonly blockSize: number;
  /** The lead name, e.g. `MLII`. */
  readonly description: string;
  /** 1-based line of the signal line in the header (for error messages). */
  readonly line: number;
}

export interface WfdbHeader {
  readonly record: string;
  /** Sampling frequency in Hz (per signal, frames per second). */
  readonly frequency: number;
  /** Samples per signal, or null when the header leaves it to the signal file's size. */
  readonly samples: number | null;
  readonly signals: readonly WfdbSignalSpec[];
  /** Text of the `#` lines, without the `#`. */
  readonly comments: readonly string[];
}

const DEFAULT_FREQUENCY = 250;
const DEFAULT_GAIN = 200;
const FORMAT = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/;
const GAIN = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:\(([-+]?\d+)\))?(?:\/(\S+))?$/;
const FREQUENCY = /^((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:\/((?:\d+\.?\d*|\.\d+)))?(?:\((-?\d+\.?\d*)\))?$/;

interface Token {
  readonly text: string;
  /** 1-based column. */
  readonly column: number;
}

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  for (const m of line.matchAll(/\S+/g)) out.push({ text: m[0], column: m.index + 1 });
  return out;
}

function integer(file: string, line: number, t: Token, what: string): number {
  if (!/^[-+]?\d+$/.test(t.text)) throw new DataError(file, `${line}:${t.column}`, `${what}: expected an integer, found "${t.text}"`);
  return Number(t.text);
}

export function parseWfdbHeader(text: string, file: string): WfdbHeader {
  const lines = text.split(/\r?\n/);
  const comments: string[] = [];
  let record: { name: string; nsig: number; frequency: number; samples: number | null } | null = null;
  const signals: WfdbSignalSpec[] = [];
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (trimmed.startsWith('#')) {
      comments.push(trimmed.slice(1).trim());
      return;
    }
    const tokens = tokenize(line);
    if (!record) {
      record = parseRecordLine(file, lineNo, tokens);
      return;
    }
    if (signals.length === record.nsig) throw new DataError(file, `${lineNo}:1`, `more signal lines than the ${record.nsig} the record line announces`);
    signals.push(parseSignalLine(file, lineNo, line, tokens, record.name, signals.length));
  });
  if (!record) throw new DataError(file, null, 'no record line (a WFDB header starts with "name nsig [fs [nsamp]]")');
  const r = record as { name: string; nsig: number; frequency: number; samples: number | null };
  if (signals.length < r.nsig) throw new DataError(file, `${lines.length}:1`, `the record line announces ${r.nsig} signals, found ${signals.length} signal lines`);
  return { record: r.name, frequency: r.frequency, samples: r.samples, signals, comments };
}

function parseRecordLine(file: string, line: number, tokens: Token[]): { name: string; nsig: number; frequency: number; samples: number | null } {
  const [nameTok, nsigTok, fsTok, nsampTok] = tokens;
  if (!nameTok || !nsigTok) throw new DataError(file, `${line}:1`, 'the record line needs a record name and the number of signals');
  if (nameTok.text.includes('/')) {
    throw new DataError(file, `${line}:${nameTok.column}`, `multi-segment records ("${nameTok.text}") are not supported: import the segments' own headers`);
  }
  const nsig = integer(file, line, nsigTok, 'number of signals');
  if (nsig < 1) throw new DataError(file, `${line}:${nsigTok.column}`, `the record has ${nsig} signals: nothing to read`);
  let frequency = DEFAULT_FREQUENCY;
  if (fsTok) {
    const m = FREQUENCY.exec(fsTok.text);
    if (!m || !(Number(m[1]) > 0)) throw new DataError(file, `${line}:${fsTok.column}`, `sampling frequency: expected fs[/counterfreq][(basecounter)], found "${fsTok.text}"`);
    frequency = Number(m[1]);
  }
  let samples: number | null = null;
  if (nsampTok) {
    samples = integer(file, line, nsampTok, 'number of samples');
    // 0 (or absent) means "as many as the signal file holds".
    if (samples < 0) throw new DataError(file, `${line}:${nsampTok.column}`, `number of samples must be >= 0, found ${samples}`);
    if (samples === 0) samples = null;
  }
  return { name: nameTok.text, nsig, frequency, samples };
}

function parseSignalLine(file: string, line: number, text: string, tokens: Token[], record: string, index: number): WfdbSignalSpec {
  const [fileTok, formatTok, gainTok, resTok, zeroTok, initTok, sumTok, blockTok, descTok] = tokens;
  if (!fileTok || !formatTok) throw new DataError(file, `${line}:1`, 'a signal line needs the signal file name and its format');
  const f = FORMAT.exec(formatTok.text);
  if (!f) throw new DataError(file, `${line}:${formatTok.column}`, `format: expected format[xsamp][:skew][+offset], found "${formatTok.text}"`);
  let gain = DEFAULT_GAIN;
  let baseline: number | null = null;
  let units = 'mV';
  if (gainTok) {
    const g = GAIN.exec(gainTok.text);
    if (!g) throw new DataError(file, `${line}:${gainTok.column}`, `gain: expected gain[(baseline)][/units], found "${gainTok.text}"`);
    // The spec: a gain of 0 means "uncalibrated", taken as the default gain.
    gain = Number(g[1]) === 0 ? DEFAULT_GAIN : Number(g[1]);
    if (g[2] !== undefined) baseline = Number(g[2]);
    if (g[3] !== undefined) units = g[3];
  }
  const adcResolution = resTok ? integer(file, line, resTok, 'ADC resolution') : 0;
  const adcZero = zeroTok ? integer(file, line, zeroTok, 'ADC zero') : 0;
  const initialValue = initTok ? integer(file, line, initTok, 'initial value') : null;
  const checksum = sumTok ? integer(file, line, sumTok, 'checksum') : null;
  const blockSize = blockTok ? integer(file, line, blockTok, 'block size') : 0;
  const description = descTok ? text.slice(descTok.column - 1).trim() : `record ${record}, signal ${index}`;
  return {
    file: fileTok.text,
    format: Number(f[1]),
    samplesPerFrame: f[2] === undefined ? 1 : Number(f[2]),
    skew: f[3] === undefined ? 0 : Number(f[3]),
    byteOffset: f[4] === undefined ? 0 : Number(f[4]),
    gain,
    baseline: baseline ?? adcZero,
    units,
    adcResolution,
    adcZero,
    initialValue,
    checksum,
    blockSize,
    description,
    line,
  };
}
