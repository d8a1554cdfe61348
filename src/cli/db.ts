import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { StudyNotFoundError } from '../storage/errors.js';
import { readStudySnapshot } from '../storage/study-snapshot.js';
import { parseStorageUrl } from '../storage/url.js';
import { checkDbFile, checkDbFolder } from './db-file.js';
import { openExisting, openForWrite, targetAt, withStorage, type GlobalArgs } from './common.js';

interface CopyArgs extends GlobalArgs {
  readonly study: string;
  readonly from: string;
  readonly to: string;
}

/**
 * `hpsearch db copy`, as `optuna.copy_study`: the study, its attributes and settings, and
 * every trial with its params, distributions, values, intermediate values, attributes and
 * artifacts, under the same numbers. The target is written in one transaction, so a copy
 * that fails leaves nothing behind; a study of that name already in the target is refused.
 */
const copy: CommandModule<GlobalArgs, CopyArgs> = {
  command: 'copy <study>',
  describe: 'Copy a study with all its trials from one storage to another (SQLite or PostgreSQL, either way)',
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .option('from', { type: 'string', demandOption: true, requiresArg: true, describe: 'Storage URL or SQLite path to copy from' })
      .option('to', { type: 'string', demandOption: true, requiresArg: true, describe: 'Storage URL or SQLite path to copy to (the study must not exist there)' })
      .example('$0 db copy cnngru --from trials.db --to postgresql://hp:secret@db.lab:5432/hpsearch', 'move a study to a server shared by several machines')
      .example('$0 db copy cnngru --from postgresql://hp:secret@db.lab/hpsearch --to sqlite:///cnngru.db', 'take a copy home as one file'),
  handler: async (argv) => {
    if (argv.storage !== undefined || argv.db !== undefined) throw new InputError('db copy: name the storages with --from and --to, not --storage or --db');
    const from = targetAt(parseStorageUrl(argv.from, '--from'), '--from');
    const to = targetAt(parseStorageUrl(argv.to, '--to'), '--to');
    if (to.location.kind === 'sqlite' && checkDbFile(to.location.path) === 'absent') checkDbFolder(to.location.path);
    const snapshot = await withStorage(await openExisting(from), async (source) => {
      try {
        return await readStudySnapshot(source, argv.study);
      } catch (err) {
        if (!(err instanceof StudyNotFoundError)) throw err;
        const names = (await source.listStudies()).map((s) => s.name);
        throw new InputError(`--from ${from.label}: no study named "${argv.study}"${names.length ? ` (studies: ${names.join(', ')})` : ''}`);
      }
    });
    await withStorage(await openForWrite(to), async (target) => {
      if ((await target.getStudy(argv.study)) !== null) throw new InputError(`--to ${to.label}: study "${argv.study}" already exists there; nothing was copied`);
      await target.importStudy(snapshot);
    });
    console.log(`copied study "${argv.study}" (${snapshot.trials.length} trials, ${snapshot.artifacts.length} artifacts) from ${from.label} to ${to.label}`);
  },
};

export const dbCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'db <command>',
  describe: 'Storages: copy a study between them',
  builder: (y: Argv<GlobalArgs>) => y.command(copy as unknown as CommandModule<GlobalArgs, GlobalArgs>).demandCommand(1),
  handler: () => {},
};
