import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { printableJson } from '../core/printable.js';
import { positiveIntFlag, typedValue, type GlobalArgs } from './common.js';
import type { DataFileSummary } from '../data/commands.js';

/** The data layer (HDF5 through WebAssembly), loaded only when a data command runs. */
const dataCommands = (): Promise<typeof import('../data/commands.js')> => import('../data/commands.js');

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
  readonly lead?: string;
  readonly json: boolean;
}
interface InspectArgs extends GlobalArgs {
  readonly file: string;
  readonly json: boolean;
}

async function print(summary: DataFileSummary, json: boolean): Promise<void> {
  console.log(json ? printableJson(summary, 2) : (await dataCommands()).formatDataSummary(summary));
}

const synth: CommandModule<GlobalArgs, SynthArgs> = {
  command: 'synth',
  describe: 'Write the built-in synthetic ECG heartbeat set to HDF5',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output .h5 file' })
      .option('n', { type: 'number', default: 6000, describe: 'Beats' })
      .option('seed', { type: 'number', default: 0, describe: 'Seed of the generator' })
      .option('multilabel', { type: 'boolean', default: false, describe: 'Multi-lead, multi-label variant (for cnn1d)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary of the written file as JSON' })
      .example('$0 data synth --out beats.h5 --n 20000 --seed 1', 'a 20,000-beat set, 5 classes with MIT-BIH class shares')
      .example('$0 data synth --out multilabel.h5 --multilabel', 'the multi-label variant ([N, 187, 3] signals, 5 labels)'),
  handler: async (a) => {
    positiveIntFlag('n', a.n);
    if (!Number.isSafeInteger(a.seed)) throw new InputError(`--seed: expected an integer, got ${typedValue('seed', a.seed)}`);
    await print(await (await dataCommands()).synthCommand({ out: a.out, n: a.n, seed: a.seed, multilabel: a.multilabel }), a.json);
  },
};

const importFiles: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <files..>',
  describe: 'Convert Kaggle heartbeat CSVs, or PhysioNet WFDB records (.hea files or folders) cut into beats, to HDF5',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'CSV files (concatenated in order), or WFDB .hea files / folders of them' })
      .option('out', { type: 'string', demandOption: true, describe: 'Output .h5 file' })
      .option('lead', { type: 'string', describe: 'WFDB: the lead to read, by its name in the header (default MLII; a record without it gives its first signal, said on stderr)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary of the written file as JSON' })
      .example('$0 data import mitbih_train.csv --out mitbih_train.h5', 'the Kaggle MIT-BIH training set (classes N, S, V, F, Q)')
      .example('$0 data import ptbdb_normal.csv ptbdb_abnormal.csv --out ptbdb.h5', 'both PTB files in one set (classes normal, abnormal)')
      .example('$0 data import mitdb/ --out mitdb-beats.h5 --lead MLII', 'every record of a PhysioNet folder, beats at 125 Hz (N, S, V, F, Q), one group per record'),
  handler: async (a) => {
    const commands = await dataCommands();
    const summary = await commands.importCommand({ files: a.files, out: a.out, lead: a.lead, warn: (m) => console.error(m) });
    await print(summary, a.json);
  },
};

const inspect: CommandModule<GlobalArgs, InspectArgs> = {
  command: 'inspect <file>',
  describe: 'Shapes, dtypes, class counts and groups of an .h5 or .csv data file',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: '.h5/.hdf5 or Kaggle .csv file' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' })
      .example('$0 data inspect mitbih_train.h5', 'datasets, shapes, dtypes, chunking, class counts, groups')
      .example('$0 data inspect mitbih_test.csv', 'rows, columns and class counts of a Kaggle CSV'),
  handler: async (a) => print(await (await dataCommands()).inspectFile(a.file), a.json),
};

export const dataCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'data <command>',
  describe: 'Data files: synth, import, inspect',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(synth as unknown as CommandModule<GlobalArgs, GlobalArgs>)
      .command(importFiles as unknown as CommandModule<GlobalArgs, GlobalArgs>)
      .command(inspect as unknown as CommandModule<GlobalArgs, GlobalArgs>)
      .demandCommand(1),
  handler: () => {},
};
