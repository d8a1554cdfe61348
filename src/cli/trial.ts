import type { CommandModule } from 'yargs';
import type { Metrics } from '../core/trial.js';
import { trialJson } from '../report/rows.js';
import { scalarMetrics } from '../core/trial.js';
import { InputError } from '../core/errors.js';
import { keepModelsOf } from '../config/defaults.js';
import type { StudySettings } from '../config/settings.js';
import { MODEL_ARTIFACT } from '../study/kept-models.js';
import { openExisting, storageTarget, pickStudy, trialNumber, withStorage, type FormatArgs, type GlobalArgs } from './common.js';
import { OUTPUT_FORMATS, formatCell, renderRows, type Cell } from '../report/table.js';

interface Args extends GlobalArgs, FormatArgs {
  readonly study: string;
  /** As typed (a string, so that a message can quote it); see `trialNumber`. */
  readonly number: string;
}

/** Whether `hpsearch export-model` finds the trial's weights, or has to retrain it. */
function keptModelLine(bytes: number | null, keep: number | 'all'): string {
  if (bytes !== null) return `model: kept (${formatBytes(bytes)}; hpsearch export-model exports it)`;
  const why = keep === 'all' ? 'not stored' : `not in the top ${keep} (keep_models)`;
  return `model: not kept, ${why}; hpsearch export-model retrains it (bit-exact) to export it`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 ** 2).toFixed(1)} MiB`;
}

export const trialCommand: CommandModule<GlobalArgs, Args> = {
  command: 'trial <study> <number>',
  describe: 'One trial: params, seed, state, backend, epoch curve, final metrics, confusion matrix',
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .positional('number', { type: 'string', demandOption: true, describe: 'Trial number (as in the leaderboard)' })
      .option('format', { choices: OUTPUT_FORMATS, requiresArg: true, default: 'table' as const, describe: 'table: everything; csv: the epoch curve; json: everything stored' })
      .example('$0 trial cnngru 3', 'trial 3 of study cnngru: params, epochs, test metrics, confusion matrix')
      .example('$0 trial cnngru 3 --format csv > curve.csv', 'its per-epoch curve as CSV'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    const number = trialNumber(argv.number);
    await withStorage(await openExisting(where), async (storage) => {
      const study = await pickStudy(storage, argv.study, where.label);
      const trial = await storage.getTrial(study.id, number);
      if (!trial) throw new InputError(`${where.label}: study "${study.name}" has no trial ${number}`);
      const json = trialJson(trial);
      const kept = (await storage.listTrialArtifacts(study.id)).find((a) => a.number === trial.number && a.key === MODEL_ARTIFACT) ?? null;
      if (argv.format === 'json') {
        console.log(JSON.stringify({ ...json, model: { kept: kept !== null, bytes: kept?.size ?? null } }, null, 2));
        return;
      }
      const curve = trial.intermediate.map((iv) => ({ epoch: iv.step, [study.metric]: iv.value, ...scalarMetrics(iv.metrics ?? {}) }));
      if (argv.format === 'csv') {
        const cols = [...new Set(curve.flatMap((r) => Object.keys(r)))];
        console.log(renderRows(cols, curve as Record<string, Cell>[], 'csv'));
        return;
      }
      const lines: string[] = [];
      lines.push(`study ${study.name}, trial ${trial.number}: ${trial.state}${trial.value !== null ? `, ${study.metric} = ${formatCell(trial.value)}` : ''}`);
      lines.push(`seed ${trial.seed ?? '-'}, backend ${trial.backend ?? '-'}, epochs ${trial.intermediate.length}, retries ${trial.retries}`);
      if (json.duration_s !== null) lines.push(`duration ${formatCell(json.duration_s as number)} s`);
      if (trial.failReason) lines.push(`failure: ${trial.failReason}`);
      if (trial.state === 'COMPLETE') lines.push(keptModelLine(kept?.size ?? null, keepModelsOf(study.settings as StudySettings | null)));
      lines.push('', 'params:');
      for (const [k, v] of Object.entries(trial.params)) lines.push(`  ${k}: ${formatCell(v as Cell)}`);
      if (curve.length > 0) {
        const cols = [...new Set(curve.flatMap((r) => Object.keys(r)))];
        lines.push('', 'epochs:', renderRows(cols, curve as Record<string, Cell>[], 'table'));
      }
      const final = trial.userAttrs.final_metrics as Metrics | undefined;
      if (final) {
        lines.push('', 'test metrics (best weights):');
        for (const [k, v] of Object.entries(scalarMetrics(final))) lines.push(`  ${k}: ${formatCell(v)}`);
        const cm = final.confusion_matrix;
        if (Array.isArray(cm) && Array.isArray(cm[0])) {
          const stored = (await storage.getStudyAttrs(study.id)).system.classes;
          const classes = Array.isArray(stored) && stored.length === cm.length ? stored.map(String) : cm.map((_, i) => String(i));
          lines.push('', 'confusion matrix (rows: true class, columns: predicted):');
          const rows = (cm as number[][]).map((r, i) => ({ class: classes[i] ?? String(i), ...Object.fromEntries(r.map((v, j) => [classes[j] ?? String(j), v])) }));
          lines.push(renderRows(['class', ...classes.map(String)], rows as Record<string, Cell>[], 'table'));
        }
      }
      console.log(lines.join('\n'));
    });
  },
};
