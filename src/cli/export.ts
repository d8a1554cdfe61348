import type { CommandModule } from 'yargs';
import { exportTable, trialJson } from '../report/rows.js';
import { openExisting, storageTarget, pickStudy, withStorage, type GlobalArgs } from './common.js';
import { renderRows } from '../report/table.js';

interface Args extends GlobalArgs {
  readonly study: string;
  readonly format: 'csv' | 'json';
}

export const exportCommand: CommandModule<GlobalArgs, Args> = {
  command: 'export <study>',
  describe: 'All trials of a study with params, metrics and states',
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .option('format', { choices: ['csv', 'json'] as const, requiresArg: true, default: 'csv' as const, describe: 'csv: one row per trial; json: everything stored, epoch curves included' })
      .example('$0 export cnngru > trials.csv', 'one row per trial: params, last-epoch and test metrics')
      .example('$0 export cnngru --format json > trials.json', 'every trial with its epoch curve'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    await withStorage(await openExisting(where), async (storage) => {
      const study = await pickStudy(storage, argv.study, where.label);
      const trials = await storage.getTrials(study.id);
      if (argv.format === 'json') {
        console.log(JSON.stringify({ study: study.name, direction: study.direction, metric: study.metric, trials: trials.map(trialJson) }, null, 2));
      } else {
        const t = exportTable(trials);
        console.log(renderRows(t.columns, t.rows, 'csv'));
      }
    });
  },
};
