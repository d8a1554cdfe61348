/**
 * What a training run's checkpoint holds, in the one-file format of checkpoint.ts: every
 * tensor that evolves (weights with BN statistics, optimiser slots, early stopping's best
 * weights) and the rest of the run's state as JSON meta (optimiser step and learning rate,
 * callback state, the dropout step counter, the history), plus a fingerprint of the
 * configuration so that a checkpoint of another trial is never resumed.
 */
import * as tf from '@tensorflow/tfjs';

import type { Params } from '../core/search-space.js';
import type { EarlyStoppingState, ReduceLROnPlateauState } from './callbacks.js';
import { type CheckpointTensor, checkpointMeta, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { TrainTrialOptions } from './options.js';
import type { EpochRecord } from './result.js';
import type { TrialRun } from './run-state.js';

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

/** Writes the state of `run` after `epoch` to the checkpoint in `dir` (atomically). */
export async function saveRunCheckpoint(run: TrialRun, dir: string, epoch: number): Promise<void> {
  const { model, stepCounter } = run.built;
  const tensors: CheckpointTensor[] = [];
  const weights = model.weights;
  for (let i = 0; i < weights.length; i++) {
    const t = weights[i].read();
    tensors.push({ name: `weight/${i}/${weights[i].originalName}`, shape: t.shape, data: await tensorData(t) });
  }
  const slots = run.optimizer.slotsFor(run.trainable);
  for (let i = 0; i < slots.length; i++) {
    tensors.push({ name: `adam_m/${i}`, shape: slots[i].m.shape, data: await tensorData(slots[i].m) });
    tensors.push({ name: `adam_v/${i}`, shape: slots[i].v.shape, data: await tensorData(slots[i].v) });
  }
  const best = run.earlyStopping?.bestWeights ?? null;
  for (let i = 0; i < (best?.length ?? 0); i++) {
    const t = (best as readonly tf.Tensor[])[i];
    tensors.push({ name: `best/${i}`, shape: t.shape, data: await tensorData(t) });
  }
  const meta: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    fingerprint: fingerprint(run.opts),
    epoch,
    dropoutStep: stepCounter.value,
    optimizer: { step: run.optimizer.step, learningRate: run.optimizer.learningRate },
    earlyStopping: run.earlyStopping?.getState() ?? null,
    reduceLr: run.reduceLr?.getState() ?? null,
    history: run.history,
    counts: { weights: weights.length, slots: slots.length, best: best?.length ?? 0 },
  };
  await writeCheckpoint(dir, meta, tensors);
}

/** Loads the checkpoint in `dir` into `run`; returns its epoch, or null when there is none. */
export async function loadRunCheckpoint(run: TrialRun, dir: string): Promise<number | null> {
  const ck = await readCheckpoint<CheckpointMeta>(dir);
  if (ck === null) return null;
  const meta = ck.meta;
  if (meta.format !== CHECKPOINT_FORMAT) throw new Error(`checkpoint in ${dir} has format ${meta.format}, expected ${CHECKPOINT_FORMAT}`);
  if (meta.fingerprint !== fingerprint(run.opts)) {
    throw new Error(`checkpoint in ${dir} belongs to another configuration (${meta.fingerprint}), not ${fingerprint(run.opts)}`);
  }
  const { model, stepCounter } = run.built;
  const slots = run.optimizer.slotsFor(run.trainable);
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
  run.optimizer.step = meta.optimizer.step;
  run.optimizer.learningRate = meta.optimizer.learningRate;
  stepCounter.value = meta.dropoutStep;
  if (run.earlyStopping !== null && meta.earlyStopping !== null) run.earlyStopping.setState(meta.earlyStopping, best);
  else if (best !== null) tf.dispose(best);
  if (run.reduceLr !== null && meta.reduceLr !== null) run.reduceLr.setState(meta.reduceLr);
  run.history = meta.history;
  return meta.epoch;
}

/** The epoch a run checkpoint's bytes were written after (a stored one, before it is restored). */
export function runCheckpointEpoch(bytes: Uint8Array, origin: string): number {
  return checkpointMeta<CheckpointMeta>(bytes, origin).epoch;
}
