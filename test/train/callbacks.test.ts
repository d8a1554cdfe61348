import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import * as tf from '@tensorflow/tfjs';

import { EarlyStopping, metricMode, ReduceLROnPlateau, type WeightOwner } from '../../src/train/callbacks.js';
import { useTestBackend } from './fixtures/backend.js';

/** Feeds a scripted metric sequence; returns the learning rate after each epoch. */
function lrTrace(cb: ReduceLROnPlateau, monitor: string, values: number[], lr: number): number[] {
  return values.map((v) => (lr = cb.onEpochEnd({ [monitor]: v }, lr)));
}

describe('ReduceLROnPlateau (Keras semantics)', () => {
  it('infers min for losses and max for scores', () => {
    assert.equal(metricMode('val_loss'), 'min');
    assert.equal(metricMode('recall_macro'), 'max');
    assert.equal(metricMode('auroc_macro'), 'max');
  });

  it('reduces after `patience` epochs without improvement, down to min_lr', () => {
    const cb = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2, minLr: 0.1 });
    const losses = [1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8];
    assert.deepEqual(lrTrace(cb, 'val_loss', losses, 1), [
      1, 1, 1, 0.5, // e3, e4 no better than 0.9: reduce at e4
      0.5, 0.5, // e6 improves (0.5)
      0.5, 0.25, // e7, e8 worse: reduce
      0.25, 0.125, // reduce again
      0.125, 0.1, // clamped at min_lr
      0.1, 0.1, // already at min_lr: unchanged
    ]);
  });

  it('needs an improvement larger than min_delta (default 1e-4)', () => {
    const cb = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.1, patience: 1, minLr: 0 });
    assert.deepEqual(lrTrace(cb, 'val_loss', [1, 0.99995], 1), [1, 0.1]);
    const relaxed = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.1, patience: 1, minLr: 0, minDelta: 0 });
    assert.deepEqual(lrTrace(relaxed, 'val_loss', [1, 0.99995], 1), [1, 1]);
  });

  it('maximises score metrics and honours cooldown', () => {
    const cb = new ReduceLROnPlateau({ monitor: 'recall_macro', factor: 0.5, patience: 1, minLr: 0, cooldown: 2 });
    // e1 best; e2 worse → reduce, cooldown 2; e3 in cooldown; e4 ends the cooldown and (as in
    // Keras, which re-checks in_cooldown() after decrementing) already counts → reduce; e5 cooldown.
    assert.deepEqual(lrTrace(cb, 'recall_macro', [0.8, 0.7, 0.7, 0.7, 0.7], 1), [1, 0.5, 0.5, 0.25, 0.25]);
  });

  it('continues identically from a saved state', () => {
    const values = [1, 0.8, 0.85, 0.9, 0.95, 0.7, 0.75, 0.8];
    const full = lrTrace(new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.3, patience: 2, minLr: 1e-4 }), 'val_loss', values, 0.01);
    const first = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.3, patience: 2, minLr: 1e-4 });
    const head = lrTrace(first, 'val_loss', values.slice(0, 3), 0.01);
    const state = JSON.parse(JSON.stringify(first.getState())) as ReturnType<ReduceLROnPlateau['getState']>;
    const second = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.3, patience: 2, minLr: 1e-4 });
    second.setState(state);
    const tail = lrTrace(second, 'val_loss', values.slice(3), head[head.length - 1]);
    assert.deepEqual([...head, ...tail], full);
  });

  it('names the missing metric instead of silently doing nothing', () => {
    const cb = new ReduceLROnPlateau({ monitor: 'val_los', factor: 0.5, patience: 1, minLr: 0 });
    assert.throws(() => cb.onEpochEnd({ val_loss: 1, accuracy: 0.5 }, 1), /"val_los" is not among the epoch metrics \(val_loss, accuracy\)/);
  });
});

/** A one-weight "model" whose weight we set to the epoch number, to see which epoch gets restored. */
function weightModel(): { model: WeightOwner & { dispose(): void }; set(v: number): void; value(): number } {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1], useBias: false })] });
  return {
    model: m,
    set: (v) => tf.tidy(() => m.setWeights([tf.tensor2d([[v]])])),
    value: () => m.getWeights()[0].dataSync()[0],
  };
}

describe('EarlyStopping (Keras semantics)', () => {
  before(async () => {
    await useTestBackend();
  });

  function script(es: EarlyStopping, values: number[], monitor = 'val_loss'): { stoppedAt: number | null; w: ReturnType<typeof weightModel> } {
    const w = weightModel();
    let stoppedAt: number | null = null;
    for (let e = 1; e <= values.length && stoppedAt === null; e++) {
      w.set(e);
      if (es.onEpochEnd(e, { [monitor]: values[e - 1] }, w.model)) stoppedAt = e;
    }
    return { stoppedAt, w };
  }

  it('stops after `patience` epochs without improvement and restores the best epoch', () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 2, restoreBestWeights: true });
    const { stoppedAt, w } = script(es, [1.0, 0.8, 0.85, 0.9, 0.7]);
    assert.equal(stoppedAt, 4);
    assert.equal(es.bestEpoch, 2);
    assert.equal(w.value(), 4, 'the model holds the last epoch until restore');
    assert.equal(es.restore(w.model), true);
    assert.equal(w.value(), 2);
    es.dispose();
    w.model.dispose();
  });

  it('without restore_best_weights leaves the last weights', () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 1 });
    const { stoppedAt, w } = script(es, [1.0, 1.2]);
    assert.equal(stoppedAt, 2);
    assert.equal(es.restore(w.model), false);
    assert.equal(w.value(), 2);
    w.model.dispose();
  });

  it('maximises scores, applies min_delta, and never stops on the first epoch', () => {
    const es = new EarlyStopping({ monitor: 'recall_macro', patience: 1, minDelta: 0.05, restoreBestWeights: true });
    // 0.52 is not > 0.5 + 0.05: no improvement, stop at epoch 2.
    const { stoppedAt, w } = script(es, [0.5, 0.52, 0.9], 'recall_macro');
    assert.equal(stoppedAt, 2);
    assert.equal(es.bestEpoch, 1);
    es.restore(w.model);
    assert.equal(w.value(), 1);
    es.dispose();
    w.model.dispose();

    const zero = new EarlyStopping({ monitor: 'val_loss', patience: 0 });
    assert.equal(zero.onEpochEnd(1, { val_loss: NaN }, weightModel().model), false, 'epoch 1 never stops');
  });

  it('keeps the first weights as best when the metric is never a number', () => {
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 5, restoreBestWeights: true });
    const { w } = script(es, [NaN, NaN, NaN]);
    assert.equal(es.bestEpoch, 1);
    es.restore(w.model);
    assert.equal(w.value(), 1);
    es.dispose();
    w.model.dispose();
  });

  it('continues identically from a saved state with its best weights', () => {
    const values = [1.0, 0.8, 0.85, 0.9, 0.95];
    const first = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
    const w = weightModel();
    for (let e = 1; e <= 3; e++) {
      w.set(e);
      assert.equal(first.onEpochEnd(e, { val_loss: values[e - 1] }, w.model), false);
    }
    const state = JSON.parse(JSON.stringify(first.getState())) as ReturnType<EarlyStopping['getState']>;
    const best = (first.bestWeights ?? []).map((t) => t.clone());
    first.dispose();
    const second = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
    second.setState(state, best);
    w.set(4);
    assert.equal(second.onEpochEnd(4, { val_loss: values[3] }, w.model), false);
    w.set(5);
    assert.equal(second.onEpochEnd(5, { val_loss: values[4] }, w.model), true, 'third epoch after the best of epoch 2');
    second.restore(w.model);
    assert.equal(w.value(), 2);
    second.dispose();
    w.model.dispose();
  });
});
