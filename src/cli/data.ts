import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from './common.js';
import { inspectFile, synthCommand, importCommand, formatDataSummary, type DataFileSummary } from '../data/commands.js';

interface SynthArgs extends GlobalArgs {
  readonly out: string;
  readonly n: number;
  readonly seed: number;
  readonly multilabel: boolean;
  readonly json: boolean;
}
interface ImportArgs extends GlobalArgs {
  readonly files: string[];
  readonly out: string;
  readonly json: boolean;
}
interface InspectArgs extends GlobalArgs {
  readonly file: string;
  readonly json: boolean;
}

function print(summary: DataFileSummary, json: boolean): void {
  console.log(json ? JSON.stringify(summary, null, 2) : formatDataSummary(summary));
}

const synth: CommandModule<GlobalArgs, SynthArgs> = {
  command: 'synth',
  describe: 'Write the built-in synthetic ECG heartbeat set to HDF5',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output .h5 file' })
      .option('n', { type: 'number', default: 6000, describe: 'Beats' })
      .option('seed', { type: 'number', default: 0 })
      .option('multilabel', { type: 'boolean', default: false, describe: 'Multi-lead, multi-label variant (for cnn1d)' })
      .option('json', { type: 'boolean', default: false })
      .example('$0 data synth --out beats.h5 --n 20000 --seed 1', 'a 20,000-beat set'),
  handler: async (a) => print(await synthCommand({ out: a.out, n: a.n, seed: a.seed, multilabel: a.multilabel }), a.json),
};

const importCsv: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <files..>',
  describe: 'Convert Kaggle heartbeat CSVs (no header, 187 signal columns, label last) to HDF5',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true })
      .option('out', { type: 'string', demandOption: true, describe: 'Output .h5 file' })
      .option('json', { type: 'boolean', default: false })
      .example('$0 data import mitbih_train.csv --out mitbih_train.h5', 'the Kaggle MIT-BIH training set'),
  handler: async (a) => print(await importCommand({ files: a.files, out: a.out }), a.json),
};

const inspect: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <file>',
  describe: 'Shapes, dtypes, class counts and groups of an .h5 or .csv data file',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true })
      .option('json', { type: 'boolean', default: false })
      .example('$0 data inspect mitbih_train.h5', ''),
  handler: async (a) => print(await inspectFile(a.file), a.json),
};

export const dataCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'data <command>',
  describe: 'Data files: synth, import, inspect',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(synth as unknown as CommandModule<GlobalArgs, GlobalArgs>)
      .command(importCsv as unknown as CommandModule<GlobalArgs, GlobalArgs>)
      .command(inspect as unknown as CommandModule<GlobalArgs, GlobalArgs>)
      .demandCommand(1),
  handler: () => {},
};
