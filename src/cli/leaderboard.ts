import type { CommandModule } from 'yargs';
import type { LeaderboardRow } from '../storage/types.js';
import { leaderboardJson, leaderboardTable } from '../report/rows.js';
import { InputError } from '../core/errors.js';
import { metricDirection } from '../core/direction.js';
import { openExisting, storageTarget, pickStudy, positiveIntFlag, withStorage, type FormatArgs, type GlobalArgs } from './common.js';
import { OUTPUT_FORMATS, renderRows } from '../report/table.js';

interface Args extends GlobalArgs, FormatArgs {
  readonly study?: string;
  readonly top: number;
  readonly metric?: string;
  readonly all: boolean;
}

/** Re-ranks rows by one of their epoch metrics (rows lacking it go last). */
export function rankByMetric(rows: readonly LeaderboardRow[], metric: string): LeaderboardRow[] {
  const sign = metricDirection(metric) === 'minimize' ? 1 : -1;
  const key = (r: LeaderboardRow): number => {
    const v = r.metrics[metric];
    return typeof v === 'number' && Number.isFinite(v) ? sign * v : Number.POSITIVE_INFINITY;
  };
  return [...rows].sort((a, b) => key(a) - key(b) || a.number - b.number).map((r, i) => ({ ...r, rank: i + 1 }));
}

export const leaderboardCommand: CommandModule<GlobalArgs, Args> = {
  command: 'leaderboard',
  describe: 'Trials of a study ranked by the objective',
  builder: (y) =>
    y
      .option('study', { type: 'string', requiresArg: true, describe: 'Study name (default: the newest study)' })
      .option('top', { type: 'number', requiresArg: true, default: 10, describe: 'Rows to show' })
      .option('metric', { type: 'string', requiresArg: true, describe: 'Rank by this epoch metric instead of the objective' })
      .option('all', { type: 'boolean', default: false, describe: 'Include pruned and failed trials' })
      .option('format', { choices: OUTPUT_FORMATS, requiresArg: true, default: 'table' as const, describe: 'Output format' })
      .check((a) => {
        positiveIntFlag('top', a.top);
        return true;
      })
      .example('$0 leaderboard', 'the ten best completed trials of the newest study in ./trials.db')
      .example('$0 leaderboard --study cnngru --top 5 --format json', 'the five best trials as JSON')
      .example('$0 leaderboard --study cnngru --all --metric val_loss --format csv > trials.csv', 'every finished trial, ranked by its val_loss, as CSV'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    await withStorage(await openExisting(where), async (storage) => {
      const study = await pickStudy(storage, argv.study, where.label);
      let rows: LeaderboardRow[];
      if (argv.metric !== undefined) {
        const all = await storage.leaderboard(study.id, { all: argv.all });
        if (all.length > 0 && !all.some((r) => typeof r.metrics[argv.metric!] === 'number')) {
          const known = [...new Set(all.flatMap((r) => Object.keys(r.metrics)))].join(', ');
          throw new InputError(`--metric: no trial of study "${study.name}" has a metric "${argv.metric}" (known: ${known})`);
        }
        rows = rankByMetric(all, argv.metric).slice(0, argv.top);
      } else {
        rows = await storage.leaderboard(study.id, { top: argv.top, all: argv.all });
      }
      printLeaderboard(rows, argv.format, study.metric);
    });
  },
};

export function printLeaderboard(rows: readonly LeaderboardRow[], format: 'table' | 'csv' | 'json', metric?: string): void {
  if (format === 'json') {
    console.log(JSON.stringify(rows.map(leaderboardJson), null, 2));
    return;
  }
  if (rows.length === 0 && format === 'table') {
    console.log('no finished trial yet');
    return;
  }
  const t = leaderboardTable(rows, { compact: format === 'table', metric });
  console.log(renderRows(t.columns, t.rows, format));
}
