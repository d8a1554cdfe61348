/**
 * A COMPLETE trial's best weights: the ones the study kept (study/kept-models.ts), or, for a
 * trial that fell out of the top `keep_models`, the weights of a retraining. Reruns are
 * bit-exact (train/loop.ts), so a retrained trial must reproduce the stored validation and
 * test metrics exactly; if it does not, its weights are not the trial's and are refused.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { BackendName, StudySettings } from '../config/settings.js';
import { keepModelsOf } from '../config/defaults.js';
import { InputError } from '../core/errors.js';
import type { FrozenTrial, Metrics } from '../core/trial.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import { FINAL_METRICS_ATTR } from '../storage/codec.js';
import { MODEL_ARTIFACT } from '../study/kept-models.js';
import { cacheDir, checkpointRootOf } from '../study/paths.js';
import { taskOf } from '../study/drive.js';
import { metricDifferences } from '../train/metric-differences.js';
import { kernelCores } from '../worker/kernel-threads.js';
import { trainHere } from '../worker/train-here.js';

/** The settings of a study created by the CLI (API studies have no model to rebuild). */
export function studySettingsOf(record: StudyRecord): StudySettings {
  const settings = record.settings as StudySettings | null;
  if (settings === null || typeof settings !== 'object' || !('model' in settings)) {
    throw new InputError(`study "${record.name}" was created through the library API: it has no model to export`);
  }
  return settings;
}

/** The trial to export: the one numbered, else the best COMPLETE one. */
export async function trialToExport(storage: Storage, record: StudyRecord, number: number | undefined, where: string): Promise<FrozenTrial> {
  if (number === undefined) {
    const [best] = await storage.leaderboard(record.id, { top: 1 });
    if (best === undefined) throw new InputError(`${where}: study "${record.name}" has no COMPLETE trial to export yet`);
    number = best.number;
  }
  const trial = await storage.getTrial(record.id, number);
  if (trial === null) throw new InputError(`${where}: study "${record.name}" has no trial ${number}`);
  if (trial.state !== 'COMPLETE') throw new InputError(`trial ${number} of study "${record.name}" is ${trial.state}: only COMPLETE trials have best weights to export`);
  if (trial.seed === null) throw new InputError(`trial ${number} of study "${record.name}" has no stored seed`);
  return trial;
}

/**
 * What the study stored of a COMPLETE trial's best weights: the validation metrics of the
 * epoch they come from (the `train` attribute's best_epoch, as the leaderboard reads it)
 * and the test metrics measured with them.
 */
export function storedMetricsOf(trial: FrozenTrial): { readonly bestEpoch: number | null; readonly validation: Metrics; readonly test: Metrics | null } {
  const train = trial.systemAttrs.train as { best_epoch?: number | null } | undefined;
  const bestEpoch = train?.best_epoch ?? trial.intermediate.at(-1)?.step ?? null;
  const validation = trial.intermediate.find((iv) => iv.step === bestEpoch)?.metrics ?? {};
  return { bestEpoch, validation, test: (trial.userAttrs[FINAL_METRICS_ATTR] as Metrics | undefined) ?? null };
}

export interface TrialWeights {
  readonly bytes: Uint8Array;
  /** Retrained here, not read from the storage. */
  readonly retrained: boolean;
}

/**
 * The trial's kept weights, or (none kept) its weights retrained from its params and seed,
 * after the retraining's metrics were found equal to the stored ones. `dbPath` locates the
 * study's data cache. `log` is told of a retraining and how long it took.
 */
export async function trialWeights(storage: Storage, record: StudyRecord, trial: FrozenTrial, dbPath: string, log: (message: string) => void): Promise<TrialWeights> {
  const kept = await storage.getTrialArtifact(trial.id, MODEL_ARTIFACT);
  if (kept !== null) return { bytes: kept, retrained: false };
  const settings = studySettingsOf(record);
  if (settings.data.cv !== undefined) {
    throw new InputError(`trial ${trial.number} of study "${record.name}" is cross-validated: it trained one model per fold and none is the trial's; export a trial of a study without data.cv`);
  }
  const source = settings.data.source;
  if (source !== 'synthetic' && !existsSync(source)) {
    throw new InputError(`trial ${trial.number} of study "${record.name}": its weights are not kept and its data file ${source} is missing, so it cannot be retrained`);
  }
  const keep = keepModelsOf(settings);
  log(`trial ${trial.number}: weights not kept (${keep === 'all' ? 'never stored' : `not in the top ${keep}`}); retraining it from its params and seed (bit-exact) ...`);
  const started = performance.now();
  const task = taskOf({ settings, checkpointRoot: checkpointRootOf(dbPath, record) }, { id: trial.id, number: trial.number, params: trial.params, seed: trial.seed as number });
  const result = await trainHere(task, {
    backend: (trial.backend as BackendName | null) ?? settings.backend,
    data: { cacheDir: cacheDir(dbPath) },
    onEpoch: () => 'continue',
    checkpoint: false,
    kernelThreads: kernelCores(),
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.state !== 'COMPLETE' || result.model === null) {
    throw new Error(`trial ${trial.number}: the retraining ended ${result.state}${result.failReason ? ` (${result.failReason})` : ''}, the stored trial COMPLETE; not exporting`);
  }
  const stored = storedMetricsOf(trial);
  const diffs = [
    ...(result.bestEpoch !== stored.bestEpoch ? [`best epoch: stored ${stored.bestEpoch}, rerun ${result.bestEpoch}`] : []),
    ...metricDifferences(stored.validation, result.bestMetrics ?? {}, 'validation'),
    ...metricDifferences(stored.test ?? {}, result.testMetrics ?? {}, 'test'),
  ];
  if (diffs.length > 0) {
    throw new Error(`trial ${trial.number}: the retrained weights do not reproduce the stored metrics (${diffs.slice(0, 3).join('; ')}${diffs.length > 3 ? `; ${diffs.length - 3} more` : ''}); not exporting`);
  }
  log(`trial ${trial.number}: retrained in ${seconds.toFixed(1)} s on ${result.backend}; validation and test metrics match the stored ones bit for bit`);
  return { bytes: result.model, retrained: true };
}
