import type { CommandModule } from 'yargs';
import { openExisting, storageTarget, withStorage, type FormatArgs, type GlobalArgs } from './common.js';
import { OUTPUT_FORMATS, renderRows } from '../report/table.js';

type Args = GlobalArgs & FormatArgs;

export const studiesCommand: CommandModule<GlobalArgs, Args> = {
  command: 'studies',
  describe: 'List the studies of a database with trial counts and best values',
  builder: (y) =>
    y
      .option('format', { choices: OUTPUT_FORMATS, default: 'table' as const, describe: 'Output format' })
      .example('$0 studies', 'one row per study in ./trials.db')
      .example('$0 studies --db /data/trials.db --format json', 'the same as JSON, from another database'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    await withStorage(await openExisting(where), async (storage) => {
      const studies = await storage.listStudies();
      const rows = studies.map((s) => ({
        name: s.name,
        model: s.model,
        direction: s.direction,
        metric: s.metric,
        complete: s.counts.COMPLETE,
        pruned: s.counts.PRUNED,
        failed: s.counts.FAIL,
        running: s.counts.RUNNING,
        waiting: s.counts.WAITING,
        best_value: s.bestValue,
        best_trial: s.bestNumber,
        created: s.createdAt.toISOString(),
      }));
      if (argv.format === 'json') console.log(JSON.stringify(rows, null, 2));
      else console.log(renderRows(Object.keys(rows[0] ?? { name: '' }), rows, argv.format));
    });
  },
};
