/**
 * `model-card.json`: what an exported model is and what it must be fed, written beside the
 * model file by `hpsearch export-model` (README, "From study to deployed model") and read
 * back by `hpsearch predict DIR`. Its keys are snake_case JSON, stable within a card format
 * version: a card of a newer format than this hpsearch knows is refused, never half read.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelName } from '../config/settings.js';
import type { Direction, Params } from '../core/search-space.js';
import type { Metrics } from '../core/trial.js';
import { InputError } from '../core/errors.js';
import type { OutputKind } from '../models/index.js';
import type { AugmentStrengths } from '../data/augment.js';

export const MODEL_CARD_FILE = 'model-card.json';
/** Bumped when a key changes meaning or goes away (adding keys keeps the version). */
export const MODEL_CARD_FORMAT = 1;
/** hpsearch's own weights (train/model-weights.ts), which `predict DIR` runs. */
export const HPSEARCH_WEIGHTS_FILE = 'weights.hpw';

export type ExportFormat = 'onnx' | 'tfjs';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['onnx', 'tfjs'];

export interface ModelCard {
  readonly card_format: number;
  readonly hpsearch_version: string;
  readonly exported_at: string;
  readonly format: ExportFormat;
  /** Files of the folder, relative to it: the model (model.onnx or model.json), its weights, hpsearch's weights. */
  readonly files: { readonly model: string; readonly weights: string | null; readonly hpsearch_weights: string };
  readonly study: string;
  readonly trial: number;
  readonly model: ModelName;
  readonly classes: readonly string[];
  readonly multilabel: boolean;
  readonly input: {
    readonly name: string;
    /** [batch, length, channels]; batch is null (any). */
    readonly shape: readonly [null, number, number];
    readonly dtype: 'float32';
    readonly length: number;
    readonly channels: number;
    readonly sampling_rate_hz: number | null;
    readonly normalisation: string;
  };
  readonly output: {
    readonly name: string;
    /** softmax: one class per beat (the largest probability); sigmoid: each label independently (≥ 0.5). */
    readonly kind: OutputKind;
    readonly shape: readonly [null, number];
  };
  readonly params: Params;
  readonly seed: number;
  /** The study's fixed hyperparameters the trial fell back on. */
  readonly defaults: Params;
  /** The trial's training augmentations (what `predict --tta` draws views from). */
  readonly augment: AugmentStrengths;
  readonly data: { readonly source: string; readonly fingerprint: string | null };
  readonly objective: { readonly metric: string; readonly direction: Direction; readonly value: number | null };
  readonly metrics: { readonly validation: Metrics; readonly test: Metrics | null };
  /** Of the test split (rows: true class, columns: predicted), or null. */
  readonly confusion_matrix: readonly (readonly number[])[] | null;
}

/** The card of an export folder, checked enough to be run by `predict`; InputError otherwise. */
export function readModelCard(dir: string): ModelCard {
  const file = join(dir, MODEL_CARD_FILE);
  let card: unknown;
  try {
    card = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `${dir}: no ${MODEL_CARD_FILE} (not a folder written by hpsearch export-model)` : `${file}: not a readable model card (${(err as Error).message})`);
  }
  const c = card as Partial<ModelCard> | null;
  if (c === null || typeof c !== 'object' || typeof c.card_format !== 'number') throw new InputError(`${file}: not a model card (no card_format)`);
  if (c.card_format > MODEL_CARD_FORMAT) {
    throw new InputError(`${file}: model card format ${c.card_format} (hpsearch ${String(c.hpsearch_version)}) is newer than this hpsearch ${MODEL_CARD_FORMAT}; upgrade hpsearch to run it`);
  }
  for (const key of ['files', 'model', 'params', 'seed', 'input', 'output', 'classes'] as const) {
    if (c[key] === undefined || c[key] === null) throw new InputError(`${file}: the model card has no "${key}"`);
  }
  return c as ModelCard;
}
