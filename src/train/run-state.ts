/**
 * The state of one training run (model, optimiser, callbacks, epoch history) and its two
 * operations, an optimiser step and an evaluation. What of it a checkpoint keeps is in
 * run-checkpoint.ts; the epoch loop that drives it is loop.ts.
 */
import * as tf from '@tensorflow/tfjs';

import { newClassIndex, type ClassIndex } from '../data/labels.js';
import type { Batch, TrainingData } from '../data/types.js';
import { type BuiltModel, buildModel } from '../models/index.js';
import { numberParam } from '../models/hyper.js';
import type { Metrics } from '../core/trial.js';
import { EarlyStopping, ReduceLROnPlateau } from './callbacks.js';
import { epochMetricNames } from './epoch-metrics.js';
import { classificationMetrics, multilabelMetrics, sigmoidCrossEntropy, softmaxCrossEntropyOfLabels } from './metrics.js';
import { type AdamW, clipByGlobalNorm, createOptimizer } from './optimizers.js';
import { DEFAULT_EVAL_BATCH_SIZE, type TrainTrialOptions } from './options.js';
import type { EpochRecord } from './result.js';
import { resolveTrainingHyper, type TrainingHyper } from './training-hyper.js';

/** State of one run of trainTrial, with the pieces the epoch loop needs. */
export class TrialRun {
  readonly built: BuiltModel;
  readonly optimizer: AdamW;
  readonly trainable: tf.Variable[];
  readonly hyper: TrainingHyper;
  readonly earlyStopping: EarlyStopping | null;
  readonly reduceLr: ReduceLROnPlateau | null;
  readonly info: TrainingData['info'];
  history: EpochRecord[] = [];

  constructor(readonly opts: TrainTrialOptions) {
    this.info = opts.data.info;
    this.hyper = resolveTrainingHyper(opts.model, opts.params, opts.defaults);
    const names = epochMetricNames(this.info.multilabel);
    const checkMonitor = (monitor: string, who: string): void => {
      if (!names.includes(monitor)) throw new Error(`${who}.monitor "${monitor}" is not an epoch metric (${names.join(', ')})`);
    };
    const es = opts.earlyStopping ?? null;
    if (es !== null) checkMonitor(es.monitor, 'early_stopping');
    const lrs = opts.lrSchedule ?? null;
    if (lrs !== null) checkMonitor(lrs.monitor, 'lr_schedule');

    // Callbacks first: they only validate, and nothing holds tensors yet if they throw.
    this.earlyStopping =
      es === null
        ? null
        : new EarlyStopping({ monitor: es.monitor, patience: es.patience, minDelta: es.min_delta, restoreBestWeights: es.restore_best_weights });
    this.reduceLr =
      lrs === null
        ? null
        : new ReduceLROnPlateau({
            monitor: lrs.monitor,
            factor: numberParam('lr_factor', opts.params, opts.defaults, lrs.factor, { min: 0, max: 1, maxExclusive: true }),
            patience: lrs.patience,
            minLr: lrs.min_lr,
          });
    this.built = buildModel(opts.model, opts.params, this.info, opts.seed, opts.defaults);
    this.trainable = this.built.model.trainableWeights.map((w) => w.read() as tf.Variable);
    try {
      this.optimizer = createOptimizer(this.hyper.optimizer);
    } catch (err) {
      this.built.model.dispose();
      throw err;
    }
    // Slots exist from the start so that their order (and the checkpoint layout) is fixed.
    this.optimizer.slotsFor(this.trainable);
  }

  dispose(): void {
    this.earlyStopping?.dispose();
    this.optimizer.dispose();
    this.built.model.dispose();
  }

  /** One optimiser step; returns the batch's mean loss (read back: NaN must be caught at its step). */
  async trainStep(batch: Batch): Promise<number> {
    const { model, output, stepCounter } = this.built;
    const { length, channels, numClasses } = this.info;
    const lossTensor = tf.tidy(() => {
      const x = tf.tensor3d(batch.x, [batch.size, length, channels]);
      const y = tf.tensor2d(batch.y, [batch.size, numClasses]);
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        return output === 'sigmoid' ? tf.losses.sigmoidCrossEntropy(y, logits) : tf.losses.softmaxCrossEntropy(y, logits);
      }, this.trainable);
      const present: tf.NamedTensorMap = {};
      for (const [name, g] of Object.entries(grads)) if (g != null) present[name] = g;
      this.optimizer.applyGradients(clipByGlobalNorm(present, this.hyper.clipNorm));
      return value;
    });
    stepCounter.advance();
    const value = (await lossTensor.data())[0];
    lossTensor.dispose();
    return value;
  }

  /**
   * Loss and metrics of the current weights on a split (inference mode). The logits and labels
   * go straight into arrays of the split's size: collecting per-batch parts and concatenating
   * them held twice as much, ~88 bytes per validation beat at the peak (docs/performance.md,
   * "Lazy data by the batch").
   */
  async evaluate(split: 'val' | 'test'): Promise<Metrics> {
    const { model } = this.built;
    const { length, channels, numClasses, multilabel } = this.info;
    const n = split === 'val' ? this.opts.data.valSize : this.opts.data.testSize;
    const buffers = this.evaluationBuffers();
    const logits = buffers.logits.subarray(0, n * numClasses);
    const targets = multilabel ? buffers.targets.subarray(0, n * numClasses) : null;
    const labels = multilabel ? null : buffers.labels.subarray(0, n);
    let at = 0;
    for await (const batch of this.opts.data.evalBatches(split, this.opts.evalBatchSize ?? DEFAULT_EVAL_BATCH_SIZE)) {
      if (at + batch.size > n) throw new Error(`the ${split} split yielded more than its ${n} samples`);
      const out = tf.tidy(() => model.apply(tf.tensor3d(batch.x, [batch.size, length, channels]), { training: false }) as tf.Tensor);
      logits.set(await out.data(), at * numClasses);
      out.dispose();
      if (targets) targets.set(batch.y, at * numClasses);
      else labels!.set(batch.labels.length === batch.size ? batch.labels : labelsFromOneHot(batch.y, batch.size, numClasses), at);
      at += batch.size;
    }
    if (at !== n) throw new Error(`the ${split} split yielded ${at} of its ${n} samples`);
    if (targets) return { loss: sigmoidCrossEntropy(logits, targets, n, numClasses), ...multilabelMetrics(logits, targets, n, numClasses, buffers.scores) };
    return { loss: softmaxCrossEntropyOfLabels(logits, labels!, n, numClasses), ...classificationMetrics(logits, labels!, numClasses, this.opts.ignoreClasses, buffers.scores) };
  }

  private buffers: EvaluationBuffers | null = null;

  /**
   * One set of evaluation arrays per trial, sized for the larger of the validation and test
   * splits and reused by every pass: fresh arrays each pass lived on as garbage until a major
   * collection, which a worker busy with small batches seldom runs — the test pass of an 8 GiB
   * study held the validation pass's arrays too, ~20 bytes per beat per trial
   * (docs/performance.md, "Lazy data by the batch").
   */
  private evaluationBuffers(): EvaluationBuffers {
    if (this.buffers === null) {
      const n = Math.max(this.opts.data.valSize, this.opts.data.testSize);
      const { numClasses: k, multilabel } = this.info;
      this.buffers = {
        logits: new Float32Array(n * k),
        targets: new Float32Array(multilabel ? n * k : 0),
        labels: multilabel ? new Uint8Array(0) : newClassIndex(n, k),
        scores: new Float64Array(n),
      };
    }
    return this.buffers;
  }

}

interface EvaluationBuffers {
  readonly logits: Float32Array;
  readonly targets: Float32Array;
  readonly labels: ClassIndex;
  /** The AUROC's scratch (metrics.ts). */
  readonly scores: Float64Array;
}

function labelsFromOneHot(y: Float32Array, n: number, k: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (y[i * k + j] > y[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}
