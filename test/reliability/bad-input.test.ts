/**
 * The bad-input catalogue (issue 8), end to end: every case runs the built CLI in its own
 * process on files made for it, and must
 *
 * - exit with code 2,
 * - print a one- or two-line message naming the file and the place in it (line:column of a
 *   YAML file, the dataset path of an HDF5 file, line:column of a CSV file, the flag, or the
 *   study), after at most the progress lines `run` prints while it loads data,
 * - print no stack trace,
 * - leave an existing database byte for byte as it was (and its write-ahead log empty), and
 *   create no database where none existed.
 *
 * The existing database is a real one: the tiny CNN-GRU study of the fixtures, run once by the
 * CLI. Each case gets its own folder (the command's working directory, so messages name files
 * as the user typed them) with a copy of that database.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { dbFingerprint, hpsearchAsync, replaceLine, setDatasets, sha256, smallSet, tinyStudyDb, writeH5, writeSetCsv, type SmallSet } from './fixtures.js';

/** Which database the command meets. */
type DbMode =
  /** A copy of the tiny study's database as `trials.db`, passed as `--db trials.db`. */
  | 'existing'
  /** `--db fresh.db`, a file that does not exist and must not be created. */
  | 'fresh'
  /** The case passes its own `--db` (or none) and lists what must stay unchanged. */
  | 'own';

interface BadInputCase {
  readonly name: string;
  /** Files written into the case's folder (text or bytes). */
  readonly files?: Readonly<Record<string, string | Uint8Array>>;
  /** Builds more files in the case's folder (HDF5 files, big files). */
  readonly setup?: (dir: string) => Promise<void> | void;
  readonly argv: readonly string[];
  readonly db: DbMode;
  /** What the message must contain: the file (or flag, or study) and the place. */
  readonly says: RegExp;
  /** Files of the case's folder whose bytes must not change. */
  readonly untouched?: readonly string[];
  /** Paths (relative to the case's folder) the command must not create. */
  readonly absent?: readonly string[];
}

// ---------------------------------------------------------------- YAML files

/** A valid space; each YAML case breaks one thing in it. Lines are numbered for the messages. */
const GOOD_LINES = [
  'study: bad', // 1
  'model: cnngru', // 2
  'budget: {trials: 1, epochs: 1}', // 3
  'data: {source: synthetic, n: 200}', // 4
  'params:', // 5
  '  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}', // 6
  '  dataset: {type: categorical, choices: [smote, oversampled]}', // 7
] as const;
const GOOD = `${GOOD_LINES.join('\n')}\n`;

/** GOOD with line `n` (1-based) replaced; extra lines may follow in `text`. */
function goodWith(n: number, text: string): string {
  const lines: string[] = [...GOOD_LINES];
  lines[n - 1] = text;
  return `${lines.join('\n')}\n`;
}

/** A case that runs `hpsearch run space.yaml` on the given YAML text. */
function yamlCase(name: string, yaml: string | Uint8Array, says: RegExp, db: DbMode = 'fresh'): BadInputCase {
  return { name: `yaml: ${name}`, files: { 'space.yaml': yaml }, argv: ['run', 'space.yaml'], db, says };
}

/** "Billion laughs": nine levels of nine aliases each, 9^9 strings once expanded. */
function billionLaughs(): string {
  const lines = ['lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`lol${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n${GOOD}`;
}

const YAML_CASES: readonly BadInputCase[] = [
  yamlCase('unclosed bracket', goodWith(7, '  dataset: {type: categorical, choices: [smote, oversampled}'), /^space\.yaml:7:\d+: invalid YAML/),
  yamlCase('unclosed quote', goodWith(1, 'study: "bad'), /^space\.yaml:\d+:\d+: invalid YAML/),
  yamlCase('tab indentation', goodWith(6, '\tlearning_rate: {type: float, low: 1.0e-3, high: 1.0e-2}'), /^space\.yaml:6:1: invalid YAML/),
  yamlCase('trials is a string', goodWith(3, 'budget: {trials: "ten", epochs: 1}'), /^space\.yaml:3:18: budget\.trials: expected an integer, got "ten"/),
  yamlCase('low is a list', goodWith(6, '  learning_rate: {type: float, low: [1], high: 1.0e-2}'), /^space\.yaml:6:\d+: params\.learning_rate\.low: expected a number, got a list/),
  yamlCase('inverted range', goodWith(6, '  learning_rate: {type: float, low: 1.0e-2, high: 1.0e-3}'), /^space\.yaml:6:\d+: params\.learning_rate\.high: empty range/),
  yamlCase('log with low = 0', goodWith(6, '  learning_rate: {type: float, low: 0, high: 1.0e-2, log: true}'), /^space\.yaml:6:\d+: params\.learning_rate\.low: expected low > 0 because log is true/),
  yamlCase('step larger than the range', goodWith(6, '  dropout: {type: float, low: 0.0, high: 0.5, step: 2}'), /^space\.yaml:6:\d+: params\.dropout\.step: expected a step that divides high - low \(0\.5\), got 2/),
  yamlCase('unknown model', goodWith(2, 'model: resnet'), /^space\.yaml:2:8: model: expected one of .*cnngru.*got "resnet"/),
  yamlCase('unknown objective metric', goodWith(2, 'objective: {metric: recal_macro}'), /^space\.yaml:2:21: objective\.metric: expected one of .*recall_macro.*did you mean "recall_macro"/),
  yamlCase('unknown top-level key', goodWith(3, 'budjet: {trials: 1, epochs: 1}'), /^space\.yaml:3:1: budjet: unknown key "budjet" \(did you mean "budget"\?\)/),
  yamlCase('unknown nested key', goodWith(6, '  learning_rate: {type: float, low: 1.0e-3, hihg: 1.0e-2}'), /^space\.yaml:6:\d+: params\.learning_rate\.hihg: unknown key "hihg".*did you mean "high"/),
  yamlCase('duplicate parameter', `${GOOD}  dataset: {type: categorical, choices: [smote]}\n`, /^space\.yaml:8:3: params\.dataset: duplicate parameter "dataset" \(first defined at line 7\)/),
  yamlCase('when names an unknown parameter', `${GOOD}  weight_decay: {type: float, low: 1.0e-5, high: 1.0e-2, when: {optimiser: adamw}}\n`, /^space\.yaml:8:\d+: params\.weight_decay\.when\.optimiser: unknown parameter "optimiser"/),
  yamlCase(
    'when cycle between two parameters',
    `${GOOD}  a: {type: categorical, choices: [x, y], when: {b: x}}\n  b: {type: categorical, choices: [x, y], when: {a: x}}\n`,
    /^space\.yaml:\d+:\d+: params\.[ab]\.when\.[ab]: conditional cycle (a -> b -> a|b -> a -> b)/,
  ),
  yamlCase('when names the parameter itself', `${GOOD}  a: {type: categorical, choices: [x, y], when: {a: x}}\n`, /^space\.yaml:8:\d+: params\.a\.when\.a: conditional cycle a -> a/),
  yamlCase('trials: 1e400 (infinite)', goodWith(3, 'budget: {trials: 1e400, epochs: 1}'), /^space\.yaml:3:18: budget\.trials: expected a finite number/),
  yamlCase('high: 1e309 (infinite)', goodWith(6, '  learning_rate: {type: float, low: 1.0e-3, high: 1e309}'), /^space\.yaml:6:\d+: params\.learning_rate\.high: expected a finite number/),
  yamlCase('trials: 99999999999999999999 (beyond exact integers)', goodWith(3, 'budget: {trials: 99999999999999999999, epochs: 1}'), /^space\.yaml:3:18: budget\.trials: expected an integer <= 9007199254740991/),
  yamlCase('billion laughs', billionLaughs(), /^space\.yaml:\d+:\d+: aliases expand to too many values \(limit \d+\)/),
  yamlCase('empty file', '', /^space\.yaml:1:1: the file is empty/),
  yamlCase('top level is a list', '- study: bad\n- model: cnngru\n', /^space\.yaml:1:1: expected a mapping, got a list/),
  yamlCase('top level is a scalar', 'just some words\n', /^space\.yaml:1:1: expected a mapping, got "just some words"/),
  yamlCase('Latin-1 text (not UTF-8)', Buffer.concat([Buffer.from('study: caf'), Buffer.from([0xe9]), Buffer.from(`\n${GOOD_LINES.slice(1).join('\n')}\n`)]), /^space\.yaml:1:11: not UTF-8 text/),
  yamlCase('binary file', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xfe, 0x00, 0x01]), /^space\.yaml:1:1: not UTF-8 text \(byte 0x89\)/),
  yamlCase('enqueue with an unknown parameter', `${GOOD}enqueue:\n  - {learning_rate: 0.002, datset: smote}\n`, /^space\.yaml:9:\d+: enqueue\[0\]\.datset: unknown parameter "datset".*did you mean "dataset"/),
  yamlCase('enqueue value outside the space', `${GOOD}enqueue:\n  - {learning_rate: 0.5, dataset: smote}\n`, /^space\.yaml:9:\d+: enqueue\[0\]\.learning_rate: expected a number in \[0\.001, 0\.01\] \(log scale\), got 0\.5/),
  yamlCase('categorical with no choices', goodWith(7, '  dataset: {type: categorical, choices: []}'), /^space\.yaml:7:\d+: params\.dataset\.choices: expected at least 1 item/),
  yamlCase('data.source that does not exist', goodWith(4, 'data: {source: nowhere/beats.h5}'), /^space\.yaml:4:16: data\.source: no such file .*nowhere\/beats\.h5/),
  yamlCase('a non-core tag', `${GOOD}seed: !!js/function "function () { return 1 }"\n`, /^space\.yaml:8:7: unsupported tag/),
  yamlCase('nesting 100,000 brackets deep', `${GOOD}seed: ${'['.repeat(100_000)}\n`, /^space\.yaml:\d+:\d+: invalid YAML/),
  yamlCase('a default that names an unknown balancing', `${GOOD}defaults: {dataset: smoat}\n`, /^space\.yaml:8:21: defaults\.dataset: expected one of "smote", "oversampled", "none", got "smoat"/),
  {
    name: 'yaml: a 50 MB file is refused before it is read',
    setup: (dir) => {
      // GOOD followed by 50 MB of comment lines: valid YAML, only too big.
      const pad = Buffer.alloc(50 * 1024 * 1024, '# padding padding padding padding padding padding\n');
      writeFileSync(join(dir, 'space.yaml'), Buffer.concat([Buffer.from(GOOD), pad]));
    },
    argv: ['run', 'space.yaml'],
    db: 'fresh',
    says: /^space\.yaml: the file is 5\d\.\d MB; a search space may be at most 1\.0 MB/,
  },
  {
    // Sparse: no disk used. Reading it whole would fail (Node refuses files over 2 GiB) or
    // take seconds, so the size must be checked before the first byte is read.
    name: 'yaml: a 3 GiB file is refused without reading it',
    setup: (dir) => {
      writeFileSync(join(dir, 'space.yaml'), GOOD);
      truncateSync(join(dir, 'space.yaml'), 3 * 1024 ** 3);
    },
    argv: ['run', 'space.yaml'],
    db: 'fresh',
    says: /^space\.yaml: the file is 3072\.0 MB; a search space may be at most 1\.0 MB/,
  },
  { name: 'yaml: missing file', argv: ['run', 'nope.yaml'], db: 'fresh', says: /^nope\.yaml: cannot read the file \(ENOENT\)/ },
  { name: 'yaml: a directory instead of a file', setup: (dir) => mkdirSync(join(dir, 'space.yaml')), argv: ['run', 'space.yaml'], db: 'fresh', says: /^space\.yaml: not a regular file/ },
  yamlCase(
    'an existing study with another search space',
    goodWith(1, 'study: tiny'),
    /^space\.yaml: study "tiny" already exists in trials\.db with another model, objective or search space/,
    'existing',
  ),
];

// ---------------------------------------------------------------- data files

/** A space over a data file; `dataset` picks the balancing every trial uses. */
function dataSpace(source: string, dataset: 'oversampled' | 'smote' = 'oversampled', split = '{val: 0.2, test: 0.2, by: stratified, seed: 0}'): string {
  return [
    'study: bad-data',
    'model: cnngru',
    `data: {source: ${source}, split: ${split}}`,
    'budget: {trials: 1, epochs: 1}',
    'sampler: {type: random, seed: 1}',
    'pruner: {type: none}',
    'workers: 1',
    `defaults: {hidden: 8, gru_hidden: 8, num_layers: 1, num_blocks: 0, batch_size: 16, dataset: ${dataset}}`,
    'params:',
    '  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}',
    '',
  ].join('\n');
}

/** 60 beats of 32 samples, classes 30 / 20 / 10. */
const SET = (): SmallSet => smallSet([30, 20, 10]);

function withSignal(set: SmallSet, row: number, sample: number, value: number): SmallSet {
  const signals = set.signals.slice();
  signals[row * set.length + sample] = value;
  return { ...set, signals };
}

/** A case that runs a study on a data file `name` made by `make` in the case's folder. */
function dataCase(name: string, file: string, make: (path: string) => Promise<void> | void, says: RegExp, opts: { dataset?: 'oversampled' | 'smote'; db?: DbMode; flags?: readonly string[]; split?: string } = {}): BadInputCase {
  return {
    name: `data: ${name}`,
    files: { 'space.yaml': dataSpace(file, opts.dataset, opts.split) },
    setup: (dir) => make(join(dir, file)),
    argv: ['run', 'space.yaml', ...(opts.flags ?? [])],
    db: opts.db ?? 'fresh',
    says,
  };
}

/** A case that runs `hpsearch data inspect` or `data import` on a broken file. */
function dataCommandCase(name: string, file: string, make: (path: string) => Promise<void> | void, argv: readonly string[], says: RegExp, absent?: readonly string[]): BadInputCase {
  return { name: `data command: ${name}`, setup: (dir) => make(join(dir, file)), argv, db: 'own', says, untouched: [file], absent };
}

async function validH5(path: string): Promise<void> {
  await writeH5(path, setDatasets(SET()));
}

async function truncatedH5(path: string): Promise<void> {
  await validH5(path);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
}

function raggedCsv(path: string): void {
  writeSetCsv(path, SET());
  replaceLine(path, 3, '0.1,0.2,0.3,1');
}

function nonNumericCsv(path: string): void {
  writeSetCsv(path, SET());
  const lines = readFileSync(path, 'utf8').split('\n');
  const cells = lines[4]!.split(',');
  cells[6] = 'abc';
  lines[4] = cells.join(',');
  writeFileSync(path, lines.join('\n'));
}

function csvWithLabel(label: string): (path: string) => void {
  return (path) => {
    writeSetCsv(path, SET());
    const lines = readFileSync(path, 'utf8').split('\n');
    const cells = lines[9]!.split(',');
    cells[cells.length - 1] = label;
    lines[9] = cells.join(',');
    writeFileSync(path, lines.join('\n'));
  };
}

const DATA_CASES: readonly BadInputCase[] = [
  dataCase('HDF5 without a signal dataset', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[1]!]), /beats\.h5: \/: no signal dataset: expected one of \/X/),
  dataCase('HDF5 without a label dataset', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[0]!]), /beats\.h5: \/: no label dataset: expected one of \/y/),
  dataCase('signals of rank 1', 'beats.h5', (p) => writeH5(p, [{ name: 'X', data: SET().signals, shape: [60 * 32] }, setDatasets(SET())[1]!]), /beats\.h5: \/X: expected shape \[N, L\] or \[N, L, C\], found \[1920\]/),
  dataCase('signals of rank 4', 'beats.h5', (p) => writeH5(p, [{ name: 'X', data: SET().signals, shape: [60, 8, 2, 2] }, setDatasets(SET())[1]!]), /beats\.h5: \/X: expected shape \[N, L\] or \[N, L, C\], found \[60, 8, 2, 2\]/),
  dataCase('integer signals', 'beats.h5', (p) => writeH5(p, [{ name: 'X', data: new Int32Array(60 * 32), shape: [60, 32] }, setDatasets(SET())[1]!]), /beats\.h5: \/X: expected float32 or float64 signals, found int32/),
  dataCase('labels of another length than the signals', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[0]!, { name: 'y', data: SET().labels.subarray(0, 50), shape: [50] }]), /beats\.h5: \/y: has 50 rows but \/X has 60/),
  dataCase('NaN in the signals', 'beats.h5', (p) => writeH5(p, setDatasets(withSignal(SET(), 17, 5, NaN))), /beats\.h5: \/X: row 17 holds a non-finite value \(NaN\) at sample 5/),
  dataCase('+Infinity in the signals', 'beats.h5', (p) => writeH5(p, setDatasets(withSignal(SET(), 42, 0, Infinity))), /beats\.h5: \/X: row 42 holds a non-finite value \(Infinity\) at sample 0/),
  dataCase('NaN in signals read lazily (over the memory budget)', 'beats.h5', (p) => writeH5(p, setDatasets(withSignal(SET(), 59, 31, NaN))), /beats\.h5: \/X: row 59 holds a non-finite value \(NaN\) at sample 31/, { flags: ['--memory-budget', '1KB'] }),
  dataCase('a negative label', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[0]!, { name: 'y', data: Int32Array.from(SET().labels, (v, i) => (i === 8 ? -1 : v)), shape: [60] }]), /beats\.h5: \/y: class labels must be integers >= 0; row 8 holds -1/),
  dataCase('a non-integer label', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[0]!, { name: 'y', data: Float64Array.from(SET().labels, (v, i) => (i === 3 ? 1.5 : v)), shape: [60] }]), /beats\.h5: \/y: class labels must be integers >= 0; row 3 holds 1\.5/),
  dataCase('a label beyond the named classes', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[0]!, { name: 'y', data: Int32Array.from(SET().labels, (v, i) => (i === 11 ? 4 : v)), shape: [60] }], { classes: ['N', 'S', 'V'] }), /beats\.h5: \/y: label 4 at row 11 is out of range for the 3 classes/),
  dataCase('a multi-hot label that is not 0 or 1', 'beats.h5', (p) => writeH5(p, [{ name: 'X', data: SET().signals, shape: [60, 32] }, { name: 'y', data: Uint8Array.from({ length: 180 }, (_, i) => (i === 100 ? 2 : i % 3 === 0 ? 1 : 0)), shape: [60, 3] }]), /beats\.h5: \/y: multi-hot labels must be 0 or 1; row 33, label 1 holds 2/),
  dataCase('a class too small for SMOTE', 'beats.h5', (p) => writeH5(p, setDatasets(smallSet([40, 20, 4]))), /beats\.h5: \/y: class "2" has 2 training samples \(of 4 in the file\); SMOTE \(k_neighbors=5\) needs at least 6/, { dataset: 'smote' }),
  dataCase('a file with one class', 'beats.h5', (p) => writeH5(p, setDatasets(smallSet([0, 40]))), /beats\.h5: \/y: has only class "1" \(40 samples\): a classifier needs samples of at least two classes/),
  dataCase('group split without a groups dataset', 'beats.h5', validH5, /beats\.h5: .*group/, { split: '{val: 0.2, test: 0.2, by: group}' }),
  dataCase('a truncated HDF5 file', 'beats.h5', truncatedH5, /beats\.h5: truncated HDF5 file: \d+ bytes on disk, the superblock expects \d+/),
  dataCase('a text file named .h5', 'beats.h5', (p) => writeFileSync(p, 'these are not the beats you are looking for\n'), /beats\.h5: not an HDF5 file/),
  dataCase('an empty .h5 file', 'beats.h5', (p) => writeFileSync(p, ''), /beats\.h5: not an HDF5 file/),
  dataCase('a CSV with a ragged row', 'beats.csv', raggedCsv, /beats\.csv:3:\d+: expected 33 columns .* found 4/),
  dataCase('a CSV with a non-numeric cell', 'beats.csv', nonNumericCsv, /beats\.csv:5:7: expected a finite number, found "abc"/),
  dataCase('a CSV with a negative label', 'beats.csv', csvWithLabel('-1'), /beats\.csv:10:33: the label must be a class index/),
  dataCase('a MIT-BIH CSV with a label beyond its 5 classes', 'mitbih_train.csv', csvWithLabel('7'), /mitbih_train\.csv:10:33: label 7 is out of range for MIT-BIH \(0\.\.4/),
  dataCase('an empty CSV', 'beats.csv', (p) => writeFileSync(p, ''), /beats\.csv: no data rows/),
  dataCase('a CSV with a header row', 'beats.csv', (p) => {
    writeSetCsv(p, SET());
    writeFileSync(p, `${Array.from({ length: 33 }, (_, i) => `c${i}`).join(',')}\n${readFileSync(p, 'utf8')}`);
  }, /beats\.csv:1:1: expected a finite number, found "c0" \(Kaggle heartbeat CSVs have no header row\)/),
  dataCase('bad data against an existing database', 'beats.h5', truncatedH5, /beats\.h5: truncated HDF5 file/, { db: 'existing' }),
  {
    name: 'data: --data names a file that does not exist',
    files: { 'space.yaml': GOOD },
    argv: ['run', 'space.yaml', '--data', 'missing.h5'],
    db: 'fresh',
    says: /^--data: no such file missing\.h5/,
  },
  dataCommandCase('inspect a truncated HDF5 file', 'beats.h5', truncatedH5, ['data', 'inspect', 'beats.h5'], /^beats\.h5: truncated HDF5 file/),
  dataCommandCase('inspect an HDF5 file without signals', 'beats.h5', (p) => writeH5(p, [setDatasets(SET())[1]!]), ['data', 'inspect', 'beats.h5'], /^beats\.h5: \/: no signal dataset/),
  dataCommandCase('inspect a ragged CSV', 'beats.csv', raggedCsv, ['data', 'inspect', 'beats.csv'], /^beats\.csv:3:\d+: expected 33 columns/),
  dataCommandCase('import a ragged CSV writes no output', 'beats.csv', raggedCsv, ['data', 'import', 'beats.csv', '--out', 'out.h5'], /^beats\.csv:3:\d+: expected 33 columns/, ['out.h5']),
  dataCommandCase('import a CSV that does not exist', 'other.csv', raggedCsv, ['data', 'import', 'missing.csv', '--out', 'out.h5'], /^missing\.csv: (file not found|no such file)/, ['out.h5']),
  dataCommandCase('inspect a file that does not exist', 'other.h5', validH5, ['data', 'inspect', 'missing.h5'], /^missing\.h5: (file not found|no such file)/),
  dataCommandCase('inspect a directory', 'other.h5', (p) => {
    mkdirSync(join(p, '..', 'folder.h5'));
    return validH5(p);
  }, ['data', 'inspect', 'folder.h5'], /^folder\.h5: not a regular file/),
];

// ---------------------------------------------------------------- flags

function flagCase(name: string, flags: readonly string[], says: RegExp, db: DbMode = 'fresh'): BadInputCase {
  return { name: `flag: ${name}`, files: { 'space.yaml': GOOD }, argv: ['run', 'space.yaml', ...flags], db, says };
}

const FLAG_CASES: readonly BadInputCase[] = [
  flagCase('--backend nope', ['--backend', 'nope'], /^--backend: expected one of "auto", .*"cpu", got "nope"/),
  flagCase('--trials -1', ['--trials', '-1'], /^--trials: expected a positive integer, got -1/),
  flagCase('--trials 0', ['--trials', '0'], /^--trials: expected a positive integer, got 0/),
  flagCase('--trials ten', ['--trials', 'ten'], /^--trials: expected a positive integer, got "ten"/),
  flagCase('--trials without a value', ['--trials'], /^--trials: expected a value/),
  flagCase('--trials 1e20', ['--trials', '1e20'], /^--trials: expected a positive integer \(at most 9007199254740991\), got 100000000000000000000/),
  flagCase('--workers 0', ['--workers', '0'], /^--workers: expected a positive integer, got 0/),
  flagCase('--epochs 2.5', ['--epochs', '2.5'], /^--epochs: expected a positive integer, got 2\.5/),
  flagCase('--seed -3', ['--seed', '-3'], /^--seed: expected a non-negative integer, got -3/),
  flagCase('--memory-budget lots', ['--memory-budget', 'lots'], /^--memory-budget: expected a positive size in bytes.*got "lots"/),
  flagCase('--sampler nope', ['--sampler', 'nope'], /^--sampler: expected one of "random", "tpe", "gp", got "nope"/),
  flagCase('--pruner nope', ['--pruner', 'nope'], /^--pruner: expected one of "asha", "median", "none", got "nope"/),
  flagCase('--worker-heap-mb -5', ['--worker-heap-mb', '-5'], /^--worker-heap-mb: expected a positive integer, got -5/),
  flagCase('an unknown flag', ['--trails', '3'], /^--trails: unknown option \(hpsearch run --help lists the options\)/),
  flagCase('a bad flag against an existing database', ['--workers', '-2'], /^--workers: expected a positive integer, got -2/, 'existing'),
  { name: 'flag: resume --trials -2', argv: ['resume', 'tiny', '--trials', '-2'], db: 'existing', says: /^--trials: expected a positive integer, got -2/ },
  { name: 'flag: leaderboard --top 0', argv: ['leaderboard', '--top', '0'], db: 'existing', says: /^--top: expected a positive integer, got 0/ },
  { name: 'flag: leaderboard --format xml', argv: ['leaderboard', '--format', 'xml'], db: 'existing', says: /^--format: expected one of "table", "csv", "json", got "xml"/ },
  { name: 'flag: leaderboard --metric nope', argv: ['leaderboard', '--metric', 'nope'], db: 'existing', says: /^--metric: no trial of study "tiny" has a metric "nope"/ },
  { name: 'flag: trial number that is not a number', argv: ['trial', 'tiny', 'abc'], db: 'existing', says: /^<number>: expected a trial number \(0, 1, 2, \.\.\.\), got "abc"/ },
  { name: 'flag: data synth --n 0 writes nothing', argv: ['data', 'synth', '--out', 'x.h5', '--n', '0'], db: 'own', says: /^--n: expected a positive integer, got 0/, absent: ['x.h5'] },
  { name: 'flag: data import without --out', setup: (dir) => writeSetCsv(join(dir, 'beats.csv'), SET()), argv: ['data', 'import', 'beats.csv'], db: 'own', says: /^--out: missing/ },
  { name: 'flag: an unknown command', argv: ['frobnicate'], db: 'own', says: /^unknown command "frobnicate"/ },
  {
    name: 'flag: an unknown command with flags is named as the command, with the list of commands',
    argv: ['deploy-model', 'tiny', '--format', 'onnx', '--out', 'model'],
    db: 'own',
    says: /^unknown command "deploy-model" \(commands: run, resume, leaderboard, studies, trial, rerun, report, export, export-model, predict, data, db;/,
    absent: ['model'],
  },
  { name: 'flag: a misspelt command gets a suggestion', argv: ['leaderbord'], db: 'own', says: /^unknown command "leaderbord"; did you mean leaderboard\?/ },
  { name: 'flag: run without a search space', argv: ['run'], db: 'own', says: /^run: missing the argument <space>/ },
];

// ---------------------------------------------------------------- studies and databases

const NOTES = 'shopping list: milk, eggs\n';

/** An SQLite database of another program. */
function foreignDb(path: string): void {
  const db = new Database(path);
  db.exec("CREATE TABLE contacts (name TEXT, phone TEXT); INSERT INTO contacts VALUES ('Ada', '123');");
  db.close();
}

const STUDY_CASES: readonly BadInputCase[] = [
  { name: 'study: resume an unknown study', argv: ['resume', 'nope'], db: 'existing', says: /^trials\.db: no study named "nope" \(studies: tiny\)/ },
  { name: 'study: leaderboard of an unknown study', argv: ['leaderboard', '--study', 'nope'], db: 'existing', says: /^trials\.db: no study named "nope"/ },
  { name: 'study: trial of an unknown study', argv: ['trial', 'nope', '0'], db: 'existing', says: /^trials\.db: no study named "nope"/ },
  { name: 'study: rerun of an unknown study', argv: ['rerun', 'nope', '0'], db: 'existing', says: /^trials\.db: no study named "nope"/ },
  { name: 'study: export of an unknown study', argv: ['export', 'nope'], db: 'existing', says: /^trials\.db: no study named "nope"/ },
  { name: 'study: trial 999 does not exist', argv: ['trial', 'tiny', '999'], db: 'existing', says: /^trials\.db: study "tiny" has no trial 999/ },
  { name: 'study: rerun 999 does not exist', argv: ['rerun', 'tiny', '999'], db: 'existing', says: /^trials\.db: study "tiny" has no trial 999/ },
  { name: 'study: resume into a database that does not exist creates none', argv: ['resume', 'tiny'], db: 'fresh', says: /^fresh\.db: no such database/ },
  { name: 'db: leaderboard --db on a text file', files: { 'notes.txt': NOTES }, argv: ['leaderboard', '--db', 'notes.txt'], db: 'own', says: /^notes\.txt: not an SQLite database/, untouched: ['notes.txt'] },
  { name: 'db: run --db on a text file', files: { 'notes.txt': NOTES, 'space.yaml': GOOD }, argv: ['run', 'space.yaml', '--db', 'notes.txt'], db: 'own', says: /^notes\.txt: not an SQLite database/, untouched: ['notes.txt', 'space.yaml'] },
  { name: 'db: run --db on another program\'s SQLite database', setup: (dir) => foreignDb(join(dir, 'contacts.db')), files: { 'space.yaml': GOOD }, argv: ['run', 'space.yaml', '--db', 'contacts.db'], db: 'own', says: /^contacts\.db: an SQLite database of another program \(tables: contacts\)/, untouched: ['contacts.db'] },
  { name: 'db: leaderboard --db on an empty file', files: { 'empty.db': '' }, argv: ['leaderboard', '--db', 'empty.db'], db: 'own', says: /^empty\.db: the database holds no study yet/, untouched: ['empty.db'] },
  { name: 'db: run --db in a folder that does not exist', files: { 'space.yaml': GOOD }, argv: ['run', 'space.yaml', '--db', 'no/such/folder/trials.db'], db: 'own', says: /^--db no\/such\/folder\/trials\.db: the folder no\/such\/folder does not exist/, absent: ['no'] },
  { name: 'db: run --db on a directory', setup: (dir) => mkdirSync(join(dir, 'folder.db')), files: { 'space.yaml': GOOD }, argv: ['run', 'space.yaml', '--db', 'folder.db'], db: 'own', says: /^folder\.db: not a database file \(a directory\)/ },
  {
    name: 'db: export --db on a truncated database',
    setup: (dir) => writeFileSync(join(dir, 'cut.db'), readFileSync(join(dir, 'trials.db')).subarray(0, 4096 + 100)),
    argv: ['export', 'tiny', '--db', 'cut.db'],
    db: 'own',
    says: /^cut\.db: .*(malformed|corrupt|truncated)/,
    untouched: ['cut.db'],
  },
];

const CASES: readonly BadInputCase[] = [...YAML_CASES, ...DATA_CASES, ...FLAG_CASES, ...STUDY_CASES];

// ---------------------------------------------------------------- the suite

let root: string;
let baseDb: string;
let counter = 0;

/** The message block: from the line that starts with "hpsearch: " to the end of stderr. */
function messageOf(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  const first = lines.findIndex((l) => l.startsWith('hpsearch: '));
  return first < 0 ? [] : lines.slice(first);
}

describe('bad input: exit 2, one line naming the file and the place, nothing stored changed', { concurrency: 2 }, () => {
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'hpsearch-bad-input-'));
    mkdirSync(join(root, 'base'));
    baseDb = await tinyStudyDb(join(root, 'base'));
    assert.ok(!existsSync(`${baseDb}-wal`) || readFileSync(`${baseDb}-wal`).length === 0, 'the base database is checkpointed');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('has a catalogue of at least 40 distinct inputs', () => {
    assert.ok(CASES.length >= 40, `${CASES.length} cases`);
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const dir = join(root, `case-${++counter}`);
      mkdirSync(dir);
      // Every case has the tiny study's database at hand (some setups read it).
      copyFileSync(baseDb, join(dir, 'trials.db'));
      for (const [name, content] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), content);
      await c.setup?.(dir);
      const argv = [...c.argv];
      if (c.db === 'existing') argv.push('--db', 'trials.db');
      if (c.db === 'fresh') argv.push('--db', 'fresh.db');
      const dbBefore = dbFingerprint(join(dir, 'trials.db'));
      const untouched = new Map((c.untouched ?? []).map((f) => [f, sha256(join(dir, f))]));
      const entriesBefore = new Set(readdirSync(dir));

      const r = await hpsearchAsync(argv, { cwd: dir, timeoutMs: 120_000 });
      const shown = `hpsearch ${argv.join(' ')}\nexit ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`;

      assert.equal(r.code, 2, shown);
      assert.doesNotMatch(r.stderr, /^\s+at |node:internal|\n\s+at /m, `no stack trace\n${shown}`);
      const message = messageOf(r.stderr);
      assert.ok(message.length >= 1 && message.length <= 2, `a one- or two-line message\n${shown}`);
      if (c.argv[0] !== 'run') assert.equal(r.stderr.trimEnd().split('\n').length, message.length, `nothing but the message on stderr\n${shown}`);
      assert.match(message.join('\n').slice('hpsearch: '.length), c.says, shown);

      assert.deepEqual(dbFingerprint(join(dir, 'trials.db')), dbBefore, `the existing database is unchanged\n${shown}`);
      if (c.db === 'fresh') {
        for (const f of ['fresh.db', 'fresh.db-wal', 'fresh.db-shm', 'fresh.db-journal']) assert.ok(!existsSync(join(dir, f)), `${f} was created\n${shown}`);
      }
      for (const [f, hash] of untouched) assert.equal(sha256(join(dir, f)), hash, `${f} was modified\n${shown}`);
      for (const f of c.absent ?? []) assert.ok(!existsSync(join(dir, f)), `${f} was created\n${shown}`);
      // Nothing half-written: no partial outputs, journals or temporary files left behind.
      const leftovers = readdirSync(dir).filter((f) => !entriesBefore.has(f) && f !== '.hpsearch');
      assert.deepEqual(leftovers, [], `files left behind\n${shown}`);
    });
  }
});
