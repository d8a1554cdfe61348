/**
 * One trial: build the model, train it epoch by epoch with our own loop (not
 * `model.fit`, so that every source of randomness, every callback and every checkpoint is
 * ours), report each epoch, and evaluate the best weights on the test split.
 *
 * Reproducibility: weights are seeded from (seed, layer), dropout masks from (seed, layer,
 * step), and the data layer's batches are a pure function of (seed, epoch). Same params,
 * seed and backend therefore give bit-identical metrics, and a run resumed from the
 * checkpoint of epoch k continues exactly as the uninterrupted run did: the checkpoint
 * holds everything else that evolves (weights, BN statistics, optimiser slots and step,
 * learning rate, callback state, the dropout step counter, the history).
 *
 * Epochs are numbered from 1 (epoch e = e epochs trained): that number is the step
 * reported to `onEpoch` (and so to the pruner) and the `epoch` passed to
 * `TrainingData.trainBatches`.
 *
 * Epoch metrics (keys): `loss` (training loss, mean over the epoch's samples), `val_loss`,
 * and on the validation split `accuracy`, `recall_macro` (balanced accuracy),
 * `precision_macro`, `f1_macro`, `recall_per_class`, `precision_per_class`,
 * `f1_per_class`, `confusion_matrix` — or for multi-label data `auroc_macro`, `f1_micro`,
 * `f1_macro`, `precision_*`, `recall_*`, `accuracy`, `subset_accuracy`, `*_per_class` —
 * and `lr`, the learning rate the epoch trained with. Test metrics use the same names,
 * with `loss` being the test loss.
 */
import { performance } from 'node:perf_hooks';

import * as tf from '@tensorflow/tfjs';

import type { Batch, TrainingData } from '../data/types.js';
import { type BuiltModel, buildModel, countParams } from '../models/index.js';
import { numberParam } from '../models/hyper.js';
import type { EarlyStoppingSettings, LrScheduleSettings, ModelName } from '../space/settings.js';
import type { Params } from '../core/search-space.js';
import type { Metrics } from '../core/trial.js';
import { EarlyStopping, type EarlyStoppingState, ReduceLROnPlateau, type ReduceLROnPlateauState } from './callbacks.js';
import { type CheckpointTensor, readCheckpoint, removeCheckpoint, writeCheckpoint } from './checkpoint.js';
import { classificationMetrics, multilabelMetrics, scalarMetricNames, sigmoidCrossEntropy, softmaxCrossEntropy } from './metrics.js';
import { type AdamW, clipByGlobalNorm, createOptimizer, type OptimizerSettings, optimizerSettings } from './optimizers.js';

export type EpochDecision = 'continue' | 'prune';

/** COMPLETE, PRUNED and FAIL as in the study; INTERRUPTED = stopped by the abort signal, resumable. */
export type TrialOutcome = 'COMPLETE' | 'PRUNED' | 'FAIL' | 'INTERRUPTED';

export interface EpochRecord {
  readonly epoch: number;
  readonly metrics: Metrics;
  /** Wall time of the epoch (training and validation). Not a metric: it is not reproducible. */
  readonly durationS: number;
}

export interface TrainTrialOptions {
  readonly model: ModelName;
  readonly params: Params;
  /** The study's fixed hyperparameters (`StudySettings.defaults`) for names absent from params. */
  readonly defaults?: Params;
  readonly seed: number;
  /** Owned by the caller (not closed here). */
  readonly data: TrainingData;
  readonly epochs: number;
  readonly earlyStopping?: EarlyStoppingSettings | null;
  /** ReduceLROnPlateau; its factor is replaced by the `lr_factor` parameter when there is one. */
  readonly lrSchedule?: LrScheduleSettings | null;
  /** Folder of this trial's checkpoint (written after every epoch), or null for none. */
  readonly checkpointDir: string | null;
  /**
   * Called after every epoch, once the epoch's checkpoint is on disk; 'prune' ends the
   * trial as PRUNED. After a resume it is called again for the last checkpointed epoch
   * (the previous process may have died before delivering it), so treat a repeated epoch
   * number as the same report.
   */
  readonly onEpoch?: (epoch: number, metrics: Metrics) => EpochDecision | Promise<EpochDecision>;
  /** Continue from the checkpoint in checkpointDir when there is one (else start afresh). */
  readonly resume?: boolean;
  /** When aborted, the trial stops after the current epoch (checkpoint written) as INTERRUPTED. */
  readonly signal?: AbortSignal;
  /**
   * With `signal`: stop at the next step instead of the end of the epoch. The partial epoch
   * is discarded (its checkpoint is never written) and a resume redoes it from the previous
   * checkpoint, so results stay identical; use it when an epoch is too long to wait for.
   */
  readonly stopWithinEpoch?: boolean;
  /** Batch size of validation and test passes (inference only; default 256). */
  readonly evalBatchSize?: number;
}

export interface TrialResult {
  readonly state: TrialOutcome;
  /** Why a FAIL failed, e.g. "loss became NaN at epoch 3 step 17". */
  readonly failReason: string | null;
  /** Completed epochs, including those before a resume. */
  readonly epochsRun: number;
  readonly history: readonly EpochRecord[];
  /** The early-stopping monitor's best epoch (without early stopping: the last epoch). */
  readonly bestEpoch: number | null;
  /** Validation metrics of bestEpoch. */
  readonly bestMetrics: Metrics | null;
  /** Test-split metrics of the final weights (the best ones with restore_best_weights); COMPLETE only. */
  readonly testMetrics: Metrics | null;
  readonly stoppedEarly: boolean;
  /** The checkpointed epoch this run continued from, or null for a fresh start. */
  readonly resumedFromEpoch: number | null;
  /** tfjs backend the trial ran on. */
  readonly backend: string;
  readonly numParams: number;
  /** Wall time of this call. */
  readonly durationS: number;
}

export const DEFAULT_BATCH_SIZE = 32;
export const DEFAULT_EVAL_BATCH_SIZE = 256;

/** Every scalar an epoch reports: what early stopping and the LR schedule may monitor. */
export function epochMetricNames(multilabel: boolean): string[] {
  return ['loss', 'val_loss', ...scalarMetricNames(multilabel), 'lr'];
}

/** Training hyperparameters read from params (then defaults). */
export interface TrainingHyper {
  readonly batchSize: number;
  /** Global-norm gradient clipping threshold; 0 = off. */
  readonly clipNorm: number;
  readonly optimizer: OptimizerSettings;
}

export function resolveTrainingHyper(params: Params, defaults?: Params): TrainingHyper {
  return {
    batchSize: numberParam('batch_size', params, defaults, DEFAULT_BATCH_SIZE, { integer: true, min: 1 }),
    clipNorm: numberParam('clip_norm', params, defaults, 0, { min: 0 }),
    optimizer: optimizerSettings(params, defaults),
  };
}

const CHECKPOINT_FORMAT = 1;

interface CheckpointMeta {
  format: number;
  /** Identifies the trial: a checkpoint of another configuration must not be resumed. */
  fingerprint: string;
  epoch: number;
  dropoutStep: number;
  optimizer: { step: number; learningRate: number };
  earlyStopping: EarlyStoppingState | null;
  reduceLr: ReduceLROnPlateauState | null;
  history: EpochRecord[];
  counts: { weights: number; slots: number; best: number };
}

function sortedJson(p: Params | undefined): string {
  if (p === undefined) return '{}';
  return JSON.stringify(Object.fromEntries(Object.keys(p).sort().map((k) => [k, p[k]])));
}

function fingerprint(opts: TrainTrialOptions): string {
  const info = opts.data.info;
  return JSON.stringify({
    model: opts.model,
    seed: opts.seed,
    params: sortedJson(opts.params),
    defaults: sortedJson(opts.defaults),
    data: [info.length, info.channels, info.numClasses, info.multilabel],
    // The callbacks change the trajectory; a different `epochs` does not (it only moves the end).
    earlyStopping: opts.earlyStopping ?? null,
    lrSchedule: opts.lrSchedule ?? null,
  });
}

async function tensorData(t: tf.Tensor): Promise<Float32Array> {
  if (t.dtype !== 'float32') throw new Error(`checkpoint: only float32 tensors are supported, got ${t.dtype}`);
  return (await t.data()) as Float32Array;
}

/** State of one run of trainTrial, with the pieces the epoch loop needs. */
class TrialRun {
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
    this.hyper = resolveTrainingHyper(opts.params, opts.defaults);
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

  /** Loss and metrics of the current weights on a split (inference mode). */
  async evaluate(split: 'val' | 'test'): Promise<Metrics> {
    const { model } = this.built;
    const { length, channels, numClasses, multilabel } = this.info;
    const logitParts: Float32Array[] = [];
    const targetParts: Float32Array[] = [];
    const labelParts: Int32Array[] = [];
    let n = 0;
    for await (const batch of this.opts.data.evalBatches(split, this.opts.evalBatchSize ?? DEFAULT_EVAL_BATCH_SIZE)) {
      const out = tf.tidy(() => model.apply(tf.tensor3d(batch.x, [batch.size, length, channels]), { training: false }) as tf.Tensor);
      logitParts.push(Float32Array.from(await out.data()));
      out.dispose();
      targetParts.push(Float32Array.from(batch.y));
      labelParts.push(batch.labels.length === batch.size ? Int32Array.from(batch.labels) : labelsFromOneHot(batch.y, batch.size, numClasses));
      n += batch.size;
    }
    const logits = concat(logitParts, Float32Array);
    const targets = concat(targetParts, Float32Array);
    if (multilabel) {
      return { loss: sigmoidCrossEntropy(logits, targets, n, numClasses), ...multilabelMetrics(logits, targets, n, numClasses) };
    }
    const labels = concat(labelParts, Int32Array);
    return { loss: softmaxCrossEntropy(logits, targets, n, numClasses), ...classificationMetrics(logits, labels, numClasses) };
  }

  async saveCheckpoint(dir: string, epoch: number): Promise<void> {
    const { model, stepCounter } = this.built;
    const tensors: CheckpointTensor[] = [];
    const weights = model.weights;
    for (let i = 0; i < weights.length; i++) {
      const t = weights[i].read();
      tensors.push({ name: `weight/${i}/${weights[i].originalName}`, shape: t.shape, data: await tensorData(t) });
    }
    const slots = this.optimizer.slotsFor(this.trainable);
    for (let i = 0; i < slots.length; i++) {
      tensors.push({ name: `adam_m/${i}`, shape: slots[i].m.shape, data: await tensorData(slots[i].m) });
      tensors.push({ name: `adam_v/${i}`, shape: slots[i].v.shape, data: await tensorData(slots[i].v) });
    }
    const best = this.earlyStopping?.bestWeights ?? null;
    for (let i = 0; i < (best?.length ?? 0); i++) {
      const t = (best as readonly tf.Tensor[])[i];
      tensors.push({ name: `best/${i}`, shape: t.shape, data: await tensorData(t) });
    }
    const meta: CheckpointMeta = {
      format: CHECKPOINT_FORMAT,
      fingerprint: fingerprint(this.opts),
      epoch,
      dropoutStep: stepCounter.value,
      optimizer: { step: this.optimizer.step, learningRate: this.optimizer.learningRate },
      earlyStopping: this.earlyStopping?.getState() ?? null,
      reduceLr: this.reduceLr?.getState() ?? null,
      history: this.history,
      counts: { weights: weights.length, slots: slots.length, best: best?.length ?? 0 },
    };
    await writeCheckpoint(dir, meta, tensors);
  }

  /** Loads the checkpoint in `dir` into this run; returns its epoch, or null when there is none. */
  async loadCheckpoint(dir: string): Promise<number | null> {
    const ck = await readCheckpoint<CheckpointMeta>(dir);
    if (ck === null) return null;
    const meta = ck.meta;
    if (meta.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint in ${dir} has format ${meta.format}, expected ${CHECKPOINT_FORMAT}`);
    if (meta.fingerprint !== fingerprint(this.opts)) {
      throw new Error(`checkpoint in ${dir} belongs to another configuration (${meta.fingerprint}), not ${fingerprint(this.opts)}`);
    }
    const { model, stepCounter } = this.built;
    const slots = this.optimizer.slotsFor(this.trainable);
    const expected = { weights: model.weights.length, slots: slots.length };
    if (meta.counts.weights !== expected.weights || meta.counts.slots !== expected.slots) {
      throw new Error(`checkpoint in ${dir} holds ${meta.counts.weights} weights / ${meta.counts.slots} slots, the model has ${expected.weights} / ${expected.slots}`);
    }
    let next = 0;
    const take = (shape: readonly number[]): tf.Tensor => {
      const entry = ck.tensors[next++];
      if (entry === undefined || entry.shape.join('x') !== shape.join('x')) {
        throw new Error(`checkpoint in ${dir}: tensor ${next - 1} has shape ${entry?.shape.join('x')}, expected ${shape.join('x')}`);
      }
      // A copy: a view would keep the whole file's buffer alive.
      return tf.tensor(entry.data.slice(), [...shape], 'float32');
    };
    const weightValues = model.weights.map((w) => take(w.read().shape));
    model.setWeights(weightValues);
    tf.dispose(weightValues);
    for (const { m, v } of slots) {
      const mv = take(m.shape);
      const vv = take(v.shape);
      m.assign(mv);
      v.assign(vv);
      tf.dispose([mv, vv]);
    }
    const best = meta.counts.best > 0 ? model.weights.map((w) => take(w.read().shape)) : null;
    this.optimizer.step = meta.optimizer.step;
    this.optimizer.learningRate = meta.optimizer.learningRate;
    stepCounter.value = meta.dropoutStep;
    if (this.earlyStopping !== null && meta.earlyStopping !== null) this.earlyStopping.setState(meta.earlyStopping, best);
    else if (best !== null) tf.dispose(best);
    if (this.reduceLr !== null && meta.reduceLr !== null) this.reduceLr.setState(meta.reduceLr);
    this.history = meta.history;
    return meta.epoch;
  }
}

/** A function, not an inline test: TypeScript would narrow `signal.aborted` across the awaits in between. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
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

function concat<T extends Float32Array | Int32Array>(parts: T[], ctor: { new (n: number): T }): T {
  const out = new ctor(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Trains one configuration. Resolves with the outcome; a NaN or infinite training loss is
 * a FAIL result (not an exception). Other errors (bad parameters, I/O, out of memory) reject.
 */
export async function trainTrial(opts: TrainTrialOptions): Promise<TrialResult> {
  const started = performance.now();
  if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new Error(`epochs must be a positive integer, got ${opts.epochs}`);
  if (opts.data.valSize < 1) throw new Error('the validation split is empty: epoch metrics need one');
  const run = new TrialRun(opts);
  const numParams = countParams(run.built.model);
  let resumedFromEpoch: number | null = null;

  const finish = async (state: TrialOutcome, failReason: string | null = null): Promise<TrialResult> => {
    let testMetrics: Metrics | null = null;
    if (state === 'COMPLETE') {
      run.earlyStopping?.restore(run.built.model);
      if (opts.data.testSize > 0) testMetrics = await run.evaluate('test');
    }
    const last = run.history.length > 0 ? run.history[run.history.length - 1].epoch : null;
    const bestEpoch = run.earlyStopping?.bestEpoch ?? last;
    return {
      state,
      failReason,
      epochsRun: last ?? 0,
      history: run.history,
      bestEpoch,
      bestMetrics: run.history.find((r) => r.epoch === bestEpoch)?.metrics ?? null,
      testMetrics,
      stoppedEarly: run.earlyStopping?.stopped ?? false,
      resumedFromEpoch,
      backend: tf.getBackend(),
      numParams,
      durationS: (performance.now() - started) / 1000,
    };
  };

  try {
    const dir = opts.checkpointDir;
    if (dir !== null) {
      if (opts.resume === true) resumedFromEpoch = await run.loadCheckpoint(dir);
      else await removeCheckpoint(dir);
    }
    if (resumedFromEpoch !== null && run.history.length > 0 && opts.onEpoch !== undefined) {
      const last = run.history[run.history.length - 1];
      if ((await opts.onEpoch(last.epoch, last.metrics)) === 'prune') return await finish('PRUNED');
    }

    for (let epoch = (resumedFromEpoch ?? 0) + 1; epoch <= opts.epochs && !(run.earlyStopping?.stopped ?? false); epoch++) {
      if (isAborted(opts.signal)) return await finish('INTERRUPTED');
      const epochStart = performance.now();
      const lr = run.optimizer.learningRate;
      let lossSum = 0;
      let seen = 0;
      let step = 0;
      for await (const batch of opts.data.trainBatches(epoch, run.hyper.batchSize)) {
        if (opts.stopWithinEpoch === true && isAborted(opts.signal)) return await finish('INTERRUPTED');
        step++;
        const loss = await run.trainStep(batch);
        if (!Number.isFinite(loss)) return await finish('FAIL', `loss became ${loss} at epoch ${epoch} step ${step}`);
        lossSum += loss * batch.size;
        seen += batch.size;
      }
      if (seen === 0) throw new Error(`epoch ${epoch}: the training split produced no batches`);

      const val = await run.evaluate('val');
      const { loss: valLoss, ...valMetrics } = val;
      const metrics: Metrics = { loss: lossSum / seen, val_loss: valLoss, ...valMetrics, lr };
      run.earlyStopping?.onEpochEnd(epoch, metrics, run.built.model);
      if (run.reduceLr !== null) run.optimizer.learningRate = run.reduceLr.onEpochEnd(metrics, run.optimizer.learningRate);
      run.history.push({ epoch, metrics, durationS: (performance.now() - epochStart) / 1000 });
      if (dir !== null) await run.saveCheckpoint(dir, epoch);

      if (opts.onEpoch !== undefined && (await opts.onEpoch(epoch, metrics)) === 'prune') return await finish('PRUNED');
      if (isAborted(opts.signal)) {
        // Stopped on request after a complete epoch: resumable, unless this was the last one anyway.
        const done = epoch >= opts.epochs || (run.earlyStopping?.stopped ?? false);
        if (!done) return await finish('INTERRUPTED');
      }
    }
    return await finish('COMPLETE');
  } finally {
    run.dispose();
  }
}
