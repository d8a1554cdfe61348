import type { CommandModule } from 'yargs';
import type { BackendName, StudySettings } from '../config/settings.js';
import type { Metrics } from '../core/trial.js';
import { InputError } from '../core/errors.js';
import { cacheDir, checkpointRootOf } from '../study/paths.js';
import { metricDifferences } from '../train/metric-differences.js';
import { openExisting, storageTarget, pickStudy, trialNumber, withStorage, type GlobalArgs } from './common.js';

interface Args extends GlobalArgs {
  readonly study: string;
  /** As typed (a string, so that a message can quote it); see `trialNumber`. */
  readonly number: string;
  readonly json: boolean;
}

export const rerunCommand: CommandModule<GlobalArgs, Args> = {
  command: 'rerun <study> <number>',
  describe: 'Retrain one trial from its stored params and seed and say whether the metrics match bit for bit',
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .positional('number', { type: 'string', demandOption: true, describe: 'Number of a COMPLETE or PRUNED trial' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the comparison as JSON' })
      .example('$0 rerun cnngru 4', 'retrain trial 4 of study cnngru and compare every epoch; exit 1 on any difference'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    const number = trialNumber(argv.number);
    await withStorage(await openExisting(where), async (storage) => {
      const record = await pickStudy(storage, argv.study, where.label);
      const settings = record.settings as StudySettings;
      if (!settings || !('model' in settings)) throw new InputError(`study "${record.name}" was created through the library API: it has no model to retrain`);
      const trial = await storage.getTrial(record.id, number);
      if (!trial) throw new InputError(`${where.label}: study "${record.name}" has no trial ${number}`);
      if (trial.state !== 'COMPLETE' && trial.state !== 'PRUNED') {
        throw new InputError(`trial ${trial.number} is ${trial.state}: only COMPLETE and PRUNED trials have metrics to compare`);
      }
      if (trial.seed === null) throw new InputError(`trial ${trial.number} has no stored seed`);
      const { taskOf } = await import('../study/drive.js');
      const { trainHere } = await import('../worker/train-here.js');
      const { kernelCores } = await import('../worker/kernel-threads.js');
      const ctx = { settings, checkpointRoot: checkpointRootOf(where.ref, record) };
      const task = taskOf(ctx, { id: trial.id, number: trial.number, params: trial.params, seed: trial.seed });
      const stored = new Map(trial.intermediate.map((iv) => [iv.step, iv.metrics ?? {}]));
      const lastStep = trial.intermediate.at(-1)?.step ?? 0;
      const rerun = new Map<number, Metrics>();
      const started = performance.now();
      const result = await trainHere(task, {
        backend: (trial.backend as BackendName | null) ?? settings.backend,
        data: { cacheDir: cacheDir(where.ref) },
        onEpoch: (epoch, metrics) => {
          rerun.set(epoch, metrics);
          // A pruned trial stopped where the pruner stopped it; so does its rerun.
          return trial.state === 'PRUNED' && epoch >= lastStep ? 'prune' : 'continue';
        },
        checkpoint: false,
        kernelThreads: kernelCores(),
      });
      const diffs: string[] = [];
      for (const [step, metrics] of stored) {
        const again = rerun.get(step);
        if (!again) diffs.push(`epoch ${step}: not reached by the rerun`);
        else diffs.push(...metricDifferences(metrics, again, `epoch ${step}`));
      }
      for (const step of rerun.keys()) if (!stored.has(step)) diffs.push(`epoch ${step}: run by the rerun only`);
      const finalStored = trial.userAttrs.final_metrics as Metrics | undefined;
      if (trial.state === 'COMPLETE' && finalStored) diffs.push(...metricDifferences(finalStored, result.testMetrics ?? {}, 'test'));
      if (result.backend !== trial.backend && trial.backend !== null) diffs.unshift(`backend: stored ${trial.backend}, rerun ${result.backend}`);
      const match = diffs.length === 0;
      const seconds = (performance.now() - started) / 1000;
      if (argv.json) {
        console.log(JSON.stringify({ study: record.name, trial: trial.number, backend: result.backend, epochs: rerun.size, match, differences: diffs, duration_s: seconds }, null, 2));
      } else if (match) {
        console.log(`trial ${trial.number} of ${record.name}: rerun on ${result.backend} (${rerun.size} epochs, ${seconds.toFixed(1)} s) matches the stored metrics bit for bit`);
      } else {
        console.log(`trial ${trial.number} of ${record.name}: rerun on ${result.backend} differs from the stored metrics (${diffs.length} differences):`);
        for (const d of diffs.slice(0, 20)) console.log(`  ${d}`);
      }
      if (!match) process.exitCode = 1;
    });
  },
};
