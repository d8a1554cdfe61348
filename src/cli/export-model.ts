import type { CommandModule } from 'yargs';
import { EXPORT_FORMATS, type ExportFormat } from '../deploy/model-card.js';
import { exportModel } from '../deploy/export-model.js';
import { openExisting, pickStudy, storageTarget, trialNumber, withStorage, type GlobalArgs } from './common.js';

interface Args extends GlobalArgs {
  readonly study: string;
  /** As typed; see `trialNumber`. Default: the best trial. */
  readonly trial?: string;
  readonly format: ExportFormat;
  readonly out: string;
  readonly force: boolean;
}

export const exportModelCommand: CommandModule<GlobalArgs, Args> = {
  command: 'export-model <study> [trial]',
  describe: "A trial's best weights (default: the best trial) as ONNX or a TF.js Layers model, with a model card",
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .positional('trial', { type: 'string', describe: 'Number of a COMPLETE trial (default: the best one)' })
      .option('format', { choices: EXPORT_FORMATS, requiresArg: true, default: 'onnx' as const, describe: 'onnx: DIR/model.onnx; tfjs: DIR/model.json + weights (tf.loadLayersModel)' })
      .option('out', { type: 'string', requiresArg: true, demandOption: true, describe: 'Folder to write (created; must be empty unless --force)' })
      .option('force', { type: 'boolean', default: false, describe: 'Replace the contents of a folder that is not empty' })
      .example('$0 export-model cnngru --out model/', 'the best trial of study cnngru as model/model.onnx + model/model-card.json')
      .example('$0 export-model cnngru 4 --format tfjs --out web/', 'trial 4 as a TF.js Layers model'),
  handler: async (argv) => {
    const number = argv.trial === undefined ? undefined : trialNumber(argv.trial);
    const where = storageTarget(argv);
    await withStorage(await openExisting(where), async (storage) => {
      const record = await pickStudy(storage, argv.study, where.label);
      const log = (m: string): void => void process.stderr.write(`${m}\n`);
      const done = await exportModel({ storage, record, trial: number, format: argv.format, out: argv.out, force: argv.force, dbPath: where.ref, where: where.label, log });
      console.log(`trial ${done.trial} of ${record.name}${done.retrained ? ' (retrained)' : ''} exported to ${argv.out}: ${done.files.join(', ')}`);
    });
  },
};
