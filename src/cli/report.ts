import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError } from '../core/errors.js';
import { collectStudyReport } from '../report/html/collect.js';
import { loadEchartsSource, renderReportHtml } from '../report/html/render.js';
import { safeFolderName } from '../study/paths.js';
import { openExisting, storageTarget, pickStudy, withStorage, type GlobalArgs } from './common.js';

interface Args extends GlobalArgs {
  readonly study: string;
  readonly out?: string;
}

export function defaultReportPath(study: string): string {
  return `report-${safeFolderName(study)}.html`;
}

/** Checks `--out` before any work: its folder must exist and it must not be a folder. */
function checkOutPath(out: string): string {
  const path = resolve(out);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`--out ${out}: folder ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`--out ${out}: is a folder; name the .html file to write`);
  return path;
}

/**
 * Writes `text` to `path` through a temporary file in the same folder and a rename, so a
 * reader (or a crash) sees either the old file or the whole new one, never half of it.
 */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export const reportCommand: CommandModule<GlobalArgs, Args> = {
  command: 'report <study>',
  describe: 'Write a self-contained HTML report of a study (works offline)',
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .option('out', { type: 'string', describe: 'HTML file to write (default: report-<study>.html in the current folder)' })
      .example('$0 report cnngru', 'write report-cnngru.html')
      .example('$0 report cnngru --out cnngru.html --db runs/trials.db', 'from another database, to a chosen file'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    const out = checkOutPath(argv.out ?? defaultReportPath(argv.study));
    // Reads only (one read transaction per query): a study running meanwhile is not disturbed.
    const report = await withStorage(await openExisting(where), async (storage) => {
      const study = await pickStudy(storage, argv.study, where.label);
      return collectStudyReport(storage, study);
    });
    writeFileAtomic(out, renderReportHtml(report, loadEchartsSource()));
    console.log(out);
  },
};
