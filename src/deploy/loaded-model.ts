/**
 * A trained model ready to predict, from either place `hpsearch predict` accepts: an export
 * folder (its card and hpsearch's weights file beside it) or a study's trial (its kept
 * weights, or a bit-exact retraining). Both run hpsearch's own network on our tfjs backend,
 * exactly as the trial was evaluated, so no ONNX runtime is needed at run time (the ONNX and
 * TF.js files are for other runtimes; tests check they agree).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../config/settings.js';
import { InputError } from '../core/errors.js';
import { initBackend } from '../backend/index.js';
import type { AugmentStrengths } from '../data/augment.js';
import type { DataInfo } from '../data/types.js';
import type { BuiltModel } from '../models/index.js';
import type { FrozenTrial } from '../core/trial.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import { taskOf } from '../study/drive.js';
import { buildWithWeights, decodeModelWeights } from '../train/model-weights.js';
import { trainingDataOptions } from '../worker/task.js';
import { readModelCard } from './model-card.js';
import { studySettingsOf, trialToExport, trialWeights } from './trial-weights.js';

export interface LoadedModel {
  readonly built: BuiltModel;
  readonly info: DataInfo;
  /** The trial's training augmentations (for test-time augmentation). */
  readonly augment: AugmentStrengths;
  /** What it is, for messages: `export folder DIR (study s, trial 3)`. */
  readonly description: string;
}

/** The model of an export folder (hpsearch export-model). */
export async function loadExportFolder(dir: string): Promise<LoadedModel> {
  const card = readModelCard(dir);
  const file = join(dir, card.files.hpsearch_weights);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InputError(`${file}: cannot read the model's weights (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let weights;
  try {
    weights = decodeModelWeights(bytes, file);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
  await initBackend('auto');
  const built = buildWithWeights(weights, { params: card.params, seed: card.seed, defaults: card.defaults }, file);
  return { built, info: weights.meta.info, augment: card.augment ?? {}, description: `export folder ${dir} (study ${card.study}, trial ${card.trial})` };
}

/** The model of a study's trial (default its best), retrained when its weights are not kept. */
export async function loadTrialModel(
  storage: Storage,
  record: StudyRecord,
  number: number | undefined,
  dbPath: string,
  where: string,
  log: (m: string) => void,
): Promise<LoadedModel & { readonly trial: FrozenTrial; readonly retrained: boolean; readonly weights: Uint8Array }> {
  const settings = studySettingsOf(record);
  const trial = await trialToExport(storage, record, number, where);
  const { bytes, retrained } = await trialWeights(storage, record, trial, dbPath, log);
  const what = `the weights of trial ${trial.number}`;
  const weights = decodeModelWeights(bytes, what);
  await initBackend((trial.backend as BackendName | null) ?? settings.backend);
  const seed = trial.seed as number;
  const built = buildWithWeights(weights, { params: trial.params, seed, defaults: settings.defaults }, what);
  const task = taskOf({ settings, checkpointRoot: '' }, { id: trial.id, number: trial.number, params: trial.params, seed });
  return {
    built,
    info: weights.meta.info,
    augment: trainingDataOptions(task).augment ?? {},
    description: `study ${record.name}, trial ${trial.number}`,
    trial,
    retrained,
    weights: bytes,
  };
}
