/**
 * `hpsearch export-model`: a COMPLETE trial's best weights as a deployable folder — the
 * model in ONNX or TF.js Layers form (export/), hpsearch's own weights (which `predict DIR`
 * runs, with no ONNX runtime), and the model card — written whole or not at all.
 */
import { hpsearchVersion } from '../core/version.js';
import { signalFormatOf } from '../data/signal-format.js';
import { EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME, toOnnxModel, toTfjsLayers } from '../export/index.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import { checkExportFolder, writeExportFolder } from './export-folder.js';
import { HPSEARCH_WEIGHTS_FILE, MODEL_CARD_FILE, MODEL_CARD_FORMAT, type ExportFormat, type ModelCard } from './model-card.js';
import { storedMetricsOf, studySettingsOf } from './trial-weights.js';
import { loadTrialModel } from './loaded-model.js';

/** The study system attribute holding the data's fingerprint, when the study records one. */
export const DATA_FINGERPRINT_ATTR = 'data fingerprint';

export interface ExportOptions {
  readonly storage: Storage;
  readonly record: StudyRecord;
  /** The trial; default the best COMPLETE one. */
  readonly trial?: number;
  readonly format: ExportFormat;
  readonly out: string;
  readonly force: boolean;
  /** The SQLite database path, for the data cache a retraining reads. */
  readonly dbPath: string;
  /** Names the storage in messages. */
  readonly where: string;
  readonly log: (message: string) => void;
}

export interface ExportSummary {
  readonly trial: number;
  readonly files: readonly string[];
  readonly retrained: boolean;
}

export async function exportModel(opts: ExportOptions): Promise<ExportSummary> {
  const { storage, record } = opts;
  const settings = studySettingsOf(record);
  // Refused before any work (a retraining can take minutes), and again when writing.
  checkExportFolder(opts.out, opts.force, '--out');
  const loaded = await loadTrialModel(storage, record, opts.trial, opts.dbPath, opts.where, opts.log);
  const { built, info, trial } = loaded;
  const seed = trial.seed as number;
  const files = new Map<string, Uint8Array | string>();
  let modelFile: string;
  let weightsFile: string | null = null;
  try {
    if (opts.format === 'onnx') {
      modelFile = 'model.onnx';
      files.set(modelFile, toOnnxModel(built, { length: info.length, channels: info.channels }, { producerVersion: hpsearchVersion(), docString: `hpsearch study ${record.name}, trial ${trial.number}` }));
    } else {
      const tfjs = toTfjsLayers(built);
      modelFile = 'model.json';
      weightsFile = tfjs.weightsPath;
      files.set(modelFile, JSON.stringify(tfjs.modelJson));
      files.set(weightsFile, tfjs.weightData);
    }
  } finally {
    built.model.dispose();
  }
  files.set(HPSEARCH_WEIGHTS_FILE, loaded.weights);

  const stored = storedMetricsOf(trial);
  const format = await signalFormatOf(settings.data);
  const fingerprint = (await storage.getStudyAttrs(record.id)).system[DATA_FINGERPRINT_ATTR];
  const cm = stored.test?.confusion_matrix;
  const card: ModelCard = {
    card_format: MODEL_CARD_FORMAT,
    hpsearch_version: hpsearchVersion(),
    exported_at: new Date().toISOString(),
    format: opts.format,
    files: { model: modelFile, weights: weightsFile, hpsearch_weights: HPSEARCH_WEIGHTS_FILE },
    study: record.name,
    trial: trial.number,
    model: built.name,
    classes: info.classes,
    multilabel: info.multilabel,
    input: {
      name: EXPORT_INPUT_NAME,
      shape: [null, info.length, info.channels],
      dtype: 'float32',
      length: info.length,
      channels: info.channels,
      sampling_rate_hz: format.samplingRateHz,
      normalisation: format.normalisation,
    },
    output: { name: EXPORT_OUTPUT_NAME, kind: built.output, shape: [null, info.numClasses] },
    params: trial.params,
    seed,
    defaults: settings.defaults,
    augment: loaded.augment,
    data: { source: settings.data.source, fingerprint: typeof fingerprint === 'string' ? fingerprint : null },
    objective: { metric: record.metric, direction: record.direction, value: trial.value },
    metrics: { validation: stored.validation, test: stored.test },
    confusion_matrix: Array.isArray(cm) ? (cm as number[][]) : null,
  };
  files.set(MODEL_CARD_FILE, `${JSON.stringify(card, null, 2)}\n`);
  writeExportFolder(opts.out, files, opts.force);
  return { trial: trial.number, files: [...files.keys()], retrained: loaded.retrained };
}
