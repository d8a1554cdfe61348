#!/usr/bin/env node
import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isInputError } from '../core/errors.js';
import { usageFailure } from './usage-errors.js';
import type { GlobalArgs } from './common.js';
import { studiesCommand } from './studies.js';
import { leaderboardCommand } from './leaderboard.js';
import { exportCommand } from './export.js';
import { trialCommand } from './trial.js';
import { runCommand, resumeCommand } from './run.js';
import { rerunCommand } from './rerun.js';
import { dataCommand } from './data.js';
import { reportCommand } from './report.js';
import { dbCommand } from './db.js';
import { exportModelCommand } from './export-model.js';
import { predictCommand } from './predict.js';

// Every command module is typed on its own arguments; yargs' builder chain widens them.
const commands = [runCommand, resumeCommand, leaderboardCommand, studiesCommand, trialCommand, rerunCommand, reportCommand, exportCommand, exportModelCommand, predictCommand, dataCommand, dbCommand] as unknown as CommandModule<GlobalArgs, GlobalArgs>[];

/**
 * Exit codes (README "Commands"): 0 success, 1 runtime failure, 2 bad input. A bad-input message is
 * printed alone, without a stack trace unless --verbose.
 */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let cli = yargs(argv)
    .scriptName('hpsearch')
    .usage('$0 <command> [options]\n\nHyperparameter search for ECG/EEG classifiers in TensorFlow.js, stored in SQLite or PostgreSQL.')
    .option('db', { type: 'string', requiresArg: true, describe: 'SQLite database of the studies (default ./trials.db, or HPSEARCH_STORAGE)', global: true })
    .option('storage', { type: 'string', requiresArg: true, describe: 'Storage URL: postgresql://user:pass@host:port/db, sqlite:///path.db, or a path (default: HPSEARCH_STORAGE, else ./trials.db)', global: true })
    .option('verbose', { type: 'boolean', default: false, describe: 'Print stack traces of errors', global: true })
    .demandCommand(1, 'name a command (hpsearch --help lists them)')
    .strict()
    .recommendCommands()
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      throw usageFailure(
        msg,
        err,
        argv,
        commands.map((c) => String(c.command)),
        commands.filter((c) => c.describe !== false).map((c) => String(c.command)),
      );
    });
  for (const c of commands) cli = cli.command(c);
  try {
    await cli.parseAsync();
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (isInputError(err)) {
      process.stderr.write(`hpsearch: ${err.message}\n`);
      if (verbose) process.stderr.write(`${err.stack}\n`);
      return 2;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`hpsearch: ${e.message}\n`);
    if (verbose) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`hpsearch: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
