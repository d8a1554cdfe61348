/**
 * One trial: build the model, train it epoch by epoch with our own loop (not
 * `model.fit`, so that every source of randomness, every callback and every checkpoint is
 * ours), report each epoch, and evaluate the best weights on the test split.
 *
 * Reproducibility: weights are seeded from (seed, layer), dropout masks from (seed, layer,
 * step), and the data layer's batches are a pure function of (seed, epoch). Same params,
 * seed and backend therefore give bit-identical metrics (and kept weights), and a run resumed from the
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

import { countParams } from '../models/index.js';
import type { Metrics } from '../core/trial.js';
import { removeCheckpoint } from './checkpoint.js';
import { encodeModelWeights } from './model-weights.js';
import type { TrainTrialOptions } from './options.js';
import type { TrialOutcome, TrialResult } from './result.js';
import { loadRunCheckpoint, saveRunCheckpoint } from './run-checkpoint.js';
import { TrialRun } from './run-state.js';

/** A function, not an inline test: TypeScript would narrow `signal.aborted` across the awaits in between. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
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
    let model: Uint8Array | null = null;
    if (state === 'COMPLETE') {
      run.earlyStopping?.restore(run.built.model);
      if (opts.data.testSize > 0) testMetrics = await run.evaluate('test');
      model = await encodeModelWeights(run.built, run.info);
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
      model,
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
      if (opts.resume === true) resumedFromEpoch = await loadRunCheckpoint(run, dir);
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
      if (dir !== null) await saveRunCheckpoint(run, dir, epoch);

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
