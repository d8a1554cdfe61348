/**
 * `hpsearch predict`: a trained model over a data file, batch by batch in file order, each
 * batch's predictions written before the next batch is read (data/beat-stream.ts), so the
 * file may be larger than memory. With labels in the file, the metrics of the training loop
 * (train/metrics.ts) are computed over every beat at the end.
 *
 * Test-time augmentation (`tta` > 0) averages the probabilities of `tta` augmented views of
 * each batch, drawn with the trial's training augmentations (data/augment.ts; mixup, which
 * mixes beats and labels, left out) from streams named by (seed, batch, view): the same seed
 * and batch size give the same output.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.js';
import type { Metrics } from '../core/trial.js';
import { augmentBatch, augmentationEnabled, type AugmentStrengths } from '../data/augment.js';
import { streamBeats, type BeatBatch } from '../data/beat-stream.js';
import { randomStream } from '../data/rng.js';
import { classificationMetrics, multilabelMetrics, sigmoidCrossEntropy, softmaxCrossEntropy } from '../train/metrics.js';
import type { LoadedModel } from './loaded-model.js';

export type PredictionFormat = 'csv' | 'json';
export const PREDICTION_FORMATS: readonly PredictionFormat[] = ['csv', 'json'];
export const DEFAULT_PREDICT_BATCH = 256;
/** Views drawn when the trial trained without augmentation: light amplitude jitter and noise. */
export const LIGHT_TTA: AugmentStrengths = { amplitude_scale: 0.05, gaussian_noise: 0.01 };

/** Where predictions go, in order; `write` resolves once the text is handed on (backpressure). */
export interface PredictionSink {
  write(text: string): Promise<void>;
}

export interface PredictOptions {
  readonly model: LoadedModel;
  readonly file: string;
  readonly sink: PredictionSink;
  readonly format: PredictionFormat;
  readonly batchSize?: number;
  /** Augmented views averaged per beat; 0 = none. */
  readonly tta?: number;
  readonly seed?: number;
}

export interface PredictSummary {
  readonly beats: number;
  /** Metrics over every beat (with `loss`), or null when the file has no labels. */
  readonly metrics: Metrics | null;
  /** The augmentations the views were drawn with (null without tta). */
  readonly ttaAugment: AugmentStrengths | null;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The augmentations test-time views are drawn with: the trial's, without mixup, else LIGHT_TTA. */
export function ttaAugmentOf(trained: AugmentStrengths): AugmentStrengths {
  const { mixup: _mixup, ...rest } = trained;
  return augmentationEnabled(rest) ? rest : LIGHT_TTA;
}

export async function predictFile(opts: PredictOptions): Promise<PredictSummary> {
  const { model, sink, format } = opts;
  const { info, built } = model;
  const k = info.numClasses;
  const sigmoid = built.output === 'sigmoid';
  const tta = opts.tta ?? 0;
  const augment = tta > 0 ? ttaAugmentOf(model.augment) : null;
  const classes = info.classes;

  const logitParts: Float32Array[] = [];
  const classParts: Int32Array[] = [];
  const hotParts: Uint8Array[] = [];
  let labelled = true;
  let written = 0;

  const forward = (x: Float32Array, n: number): Float32Array =>
    tf.tidy(() => {
      const out = built.model.apply(tf.tensor3d(x, [n, info.length, info.channels]), { training: false }) as tf.Tensor;
      return out.dataSync() as Float32Array;
    });
  /** Probabilities per beat, from the logits (float64 arithmetic). */
  const probabilities = (logits: Float32Array, n: number): Float64Array => {
    const p = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      if (sigmoid) {
        for (let j = 0; j < k; j++) p[i * k + j] = 1 / (1 + Math.exp(-logits[i * k + j]!));
        continue;
      }
      let max = -Infinity;
      for (let j = 0; j < k; j++) max = Math.max(max, logits[i * k + j]!);
      let sum = 0;
      for (let j = 0; j < k; j++) sum += p[i * k + j] = Math.exp(logits[i * k + j]! - max);
      for (let j = 0; j < k; j++) p[i * k + j]! /= sum;
    }
    return p;
  };

  const onBatch = async (b: BeatBatch): Promise<void> => {
    let logits = forward(b.x, b.size);
    let p = probabilities(logits, b.size);
    if (augment !== null) {
      p.fill(0);
      const y = new Float32Array(b.size * k);
      for (let v = 0; v < tta; v++) {
        const x = b.x.slice();
        augmentBatch(x, y, { size: b.size, length: info.length, channels: info.channels, numClasses: k }, augment, randomStream('tta', opts.seed ?? 0, b.start, v));
        const pv = probabilities(forward(x, b.size), b.size);
        for (let i = 0; i < p.length; i++) p[i]! += pv[i]! / tta;
      }
      // The metrics read logits: those whose softmax (sigmoid) is the averaged probability.
      logits = Float32Array.from(p, (q) => {
        const c = Math.min(Math.max(q, 1e-12), 1 - 1e-12);
        return sigmoid ? Math.log(c / (1 - c)) : Math.log(c);
      });
    }
    if (b.classIndex === null && b.multiHot === null) labelled = false;
    if (labelled) {
      logitParts.push(logits);
      if (b.classIndex !== null) {
        const bad = b.classIndex.findIndex((c) => c >= k);
        if (bad >= 0) throw new InputError(`${opts.file}: beat ${b.start + bad} is labelled ${b.classIndex[bad]}, the model knows ${k} classes (${classes.join(', ')})`);
        classParts.push(Int32Array.from(b.classIndex));
      }
      if (b.multiHot !== null) hotParts.push(b.multiHot.slice());
    }
    let text = '';
    for (let i = 0; i < b.size; i++) {
      const row = Array.from(p.subarray(i * k, (i + 1) * k));
      let predicted: string | string[];
      if (sigmoid) {
        predicted = classes.filter((_, j) => row[j]! >= 0.5);
      } else {
        let best = 0;
        for (let j = 1; j < k; j++) if (row[j]! > row[best]!) best = j;
        predicted = classes[best]!;
      }
      if (format === 'json') {
        text += `${written === 0 ? '[\n' : ',\n'}${JSON.stringify({ probabilities: row, class: predicted })}`;
      } else {
        text += `${b.start + i},${csvCell(Array.isArray(predicted) ? predicted.join('|') : predicted)},${row.join(',')}\n`;
      }
      written++;
    }
    await sink.write(text);
  };

  const beats = await streamBeats(opts.file, opts.batchSize ?? DEFAULT_PREDICT_BATCH, {
    onShape: (shape) => {
      if (shape.length !== info.length || shape.channels !== info.channels) {
        throw new InputError(`${shape.place}: beats of ${shape.length} samples x ${shape.channels} channel(s), but the model (${model.description}) takes ${info.length} samples x ${info.channels} channel(s)`);
      }
    },
    onLabels: (labels) => {
      if (labels.numClasses > 0 && (labels.multilabel !== info.multilabel || labels.numClasses !== k)) {
        throw new InputError(`${opts.file}: its labels are ${labels.multilabel ? `multi-hot over ${labels.numClasses} labels` : `${labels.numClasses} classes`}, the model's ${info.multilabel ? `multi-hot over ${k} labels` : `${k} classes`}`);
      }
    },
    onBatch: async (b) => {
      if (written === 0 && format === 'csv') await sink.write(`beat,class,${classes.map(csvCell).join(',')}\n`);
      await onBatch(b);
    },
  });
  await sink.write(format === 'json' ? (written === 0 ? '[]\n' : '\n]\n') : '');
  return { beats, metrics: labelled ? metricsOf(logitParts, classParts, hotParts, k, sigmoid) : null, ttaAugment: augment };
}

function concat<T extends Float32Array | Int32Array | Uint8Array>(parts: readonly T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, at);
    at += p.length;
  }
  return out;
}

function metricsOf(logitParts: Float32Array[], classParts: Int32Array[], hotParts: Uint8Array[], k: number, multilabel: boolean): Metrics {
  const logits = concat(logitParts, (n) => new Float32Array(n));
  const n = logits.length / k;
  if (multilabel) {
    const targets = Float32Array.from(concat(hotParts, (m) => new Uint8Array(m)));
    return { loss: sigmoidCrossEntropy(logits, targets, n, k), ...multilabelMetrics(logits, targets, n, k) };
  }
  const labels = concat(classParts, (m) => new Int32Array(m));
  const targets = new Float32Array(n * k);
  for (let i = 0; i < n; i++) targets[i * k + labels[i]!] = 1;
  return { loss: softmaxCrossEntropy(logits, targets, n, k), ...classificationMetrics(logits, labels, k) };
}
