import { createWriteStream, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { scalarMetrics, type Metrics } from '../core/trial.js';
import { isDataFileName } from '../config/data-source.js';
import { loadExportFolder, loadTrialModel, type LoadedModel } from '../deploy/loaded-model.js';
import { DEFAULT_PREDICT_BATCH, PREDICTION_FORMATS, predictFile, type PredictionFormat, type PredictionSink } from '../deploy/predict.js';
import { formatCell, renderRows, type Cell } from '../report/table.js';
import type { Storage } from '../storage/types.js';
import { openExisting, pickStudy, positiveIntFlag, storageTarget, trialNumber, type GlobalArgs } from './common.js';

interface Args extends GlobalArgs {
  readonly model: string;
  readonly data: string;
  readonly out?: string;
  readonly format: PredictionFormat;
  readonly tta: number;
  readonly seed: number;
  readonly 'batch-size': number;
  readonly metrics?: string;
}

/** `study` or `study:3`; the trial number after the last colon. */
function studyAndTrial(spec: string): { study: string; trial: number | undefined } {
  const m = /^(.+):(\d+)$/.exec(spec);
  return m ? { study: m[1]!, trial: trialNumber(m[2]!) } : { study: spec, trial: undefined };
}

function sinkOf(stream: Writable): PredictionSink {
  return {
    write: async (text) => {
      if (text !== '' && !stream.write(text)) await once(stream, 'drain');
    },
  };
}

function printMetrics(metrics: Metrics, classes: readonly string[]): void {
  const lines = ['metrics (the file has labels):'];
  for (const [k, v] of Object.entries(scalarMetrics(metrics))) lines.push(`  ${k}: ${formatCell(v)}`);
  const cm = metrics.confusion_matrix;
  if (Array.isArray(cm) && Array.isArray(cm[0])) {
    lines.push('confusion matrix (rows: true class, columns: predicted):');
    const rows = (cm as number[][]).map((r, i) => ({ class: classes[i] ?? String(i), ...Object.fromEntries(r.map((v, j) => [classes[j] ?? String(j), v])) }));
    lines.push(renderRows(['class', ...classes], rows as Record<string, Cell>[], 'table'));
  }
  process.stderr.write(`${lines.join('\n')}\n`);
}

export const predictCommand: CommandModule<GlobalArgs, Args> = {
  command: 'predict <model> <data>',
  describe: 'Class probabilities and the predicted class of every beat of a data file, from an export folder or a study trial',
  builder: (y) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'An export-model folder, or study[:trial] (default trial: the best)' })
      .positional('data', { type: 'string', demandOption: true, describe: 'Beats to classify: .h5 or Kaggle-format .csv' })
      .option('out', { type: 'string', requiresArg: true, describe: 'File to write (default: standard output)' })
      .option('format', { choices: PREDICTION_FORMATS, requiresArg: true, default: 'csv' as const, describe: 'csv: beat, class, one column per class; json: an array of {probabilities, class}' })
      .option('tta', { type: 'number', requiresArg: true, default: 0, describe: "Average this many augmented views per beat (the trial's training augmentations)" })
      .option('seed', { type: 'number', requiresArg: true, default: 0, describe: 'Seed of the --tta views' })
      .option('batch-size', { type: 'number', requiresArg: true, default: DEFAULT_PREDICT_BATCH, describe: 'Beats read and predicted at a time' })
      .option('metrics', { type: 'string', requiresArg: true, describe: 'With labels in the file: also write the metrics and confusion matrix to this JSON file' })
      .example('$0 predict model/ beats.h5 --out pred.csv', 'run an exported model over beats.h5')
      .example('$0 predict cnngru:4 mitbih_test.csv --format json --tta 8', 'trial 4 of study cnngru, 8 augmented views per beat'),
  handler: async (argv) => {
    if (!(Number.isSafeInteger(argv.tta) && argv.tta >= 0)) throw new InputError(`--tta: expected a number of views >= 0, got ${argv.tta}`);
    if (!Number.isSafeInteger(argv.seed)) throw new InputError(`--seed: expected an integer, got ${argv.seed}`);
    positiveIntFlag('batch-size', argv['batch-size']);
    if (!isDataFileName(argv.data)) throw new InputError(`${argv.data}: expected an .h5/.hdf5 or .csv data file`);
    if (!existsSync(argv.data)) throw new InputError(`${argv.data}: file not found`);
    if (argv.out !== undefined && existsSync(argv.out) && statSync(argv.out).isDirectory()) throw new InputError(`--out ${argv.out}: a folder, not a file`);

    let storage: Storage | null = null;
    let model: LoadedModel;
    const log = (m: string): void => void process.stderr.write(`${m}\n`);
    try {
      if (existsSync(argv.model) && statSync(argv.model).isDirectory()) {
        model = await loadExportFolder(argv.model);
      } else {
        const { study, trial } = studyAndTrial(argv.model);
        const where = storageTarget(argv);
        storage = await openExisting(where);
        const record = await pickStudy(storage, study, where.label);
        model = await loadTrialModel(storage, record, trial, where.ref, where.label, log);
      }
    } finally {
      await storage?.close();
    }

    // Written to a temporary file renamed at the end: a refused or failed run leaves nothing.
    const tmp = argv.out === undefined ? null : `${argv.out}.partial-${process.pid}`;
    const stream = tmp === null ? process.stdout : createWriteStream(tmp);
    // A reader that stops early (`| head`) has what it wanted: end quietly, as cat does.
    if (tmp === null) process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? process.exit(0) : undefined));
    try {
      const summary = await predictFile({ model, file: argv.data, sink: sinkOf(stream), format: argv.format, batchSize: argv['batch-size'], tta: argv.tta, seed: argv.seed });
      if (tmp !== null) {
        stream.end();
        await once(stream, 'finish');
        renameSync(tmp, argv.out as string);
      }
      log(`predicted ${summary.beats} beats of ${argv.data} with ${model.description}${summary.ttaAugment ? `, ${argv.tta} augmented views each (${JSON.stringify(summary.ttaAugment)})` : ''}`);
      if (summary.metrics !== null) {
        printMetrics(summary.metrics, model.info.classes);
        if (argv.metrics !== undefined) {
          writeFileSync(argv.metrics, `${JSON.stringify({ beats: summary.beats, metrics: summary.metrics, classes: model.info.classes }, null, 2)}\n`);
        }
      }
    } catch (err) {
      if (tmp !== null) {
        stream.destroy();
        rmSync(tmp, { force: true });
      }
      throw err;
    } finally {
      model.built.model.dispose();
    }
  },
};
