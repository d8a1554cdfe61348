import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { MedianPruner, NopPruner, SuccessiveHalvingPruner, createPruner } from '../../src/pruners/index.js';
import { ctx, flat, frozen } from './helpers.js';

describe('createPruner', () => {
  it('none → NopPruner, which never prunes', () => {
    const p = createPruner({ type: 'none' });
    assert.ok(p instanceof NopPruner);
    assert.equal(p.name, 'none');
    const rivals = Array.from({ length: 10 }, () => frozen('COMPLETE', flat(10, 0)));
    assert.equal(p.prune(ctx('minimize', frozen('RUNNING', flat(9, Number.NaN)), rivals)), false);
  });

  it('asha → SuccessiveHalvingPruner with the settings', () => {
    const p = createPruner({ type: 'asha', min_resource: 2, reduction_factor: 4, min_early_stopping_rate: 1, bootstrap_count: 3 });
    assert.ok(p instanceof SuccessiveHalvingPruner);
    assert.equal(p.name, 'asha');
    assert.equal(p.resolvedMinResource, 2);
    assert.equal(p.reductionFactor, 4);
    assert.equal(p.minEarlyStoppingRate, 1);
    assert.equal(p.bootstrapCount, 3);
    const auto = createPruner({ type: 'asha', min_resource: 'auto', reduction_factor: 3, min_early_stopping_rate: 0, bootstrap_count: 0 });
    assert.ok(auto instanceof SuccessiveHalvingPruner);
    assert.equal(auto.resolvedMinResource, null);
  });

  it('median → MedianPruner with the settings', () => {
    const p = createPruner({ type: 'median', n_startup_trials: 2, n_warmup_steps: 3, interval_steps: 4 });
    assert.ok(p instanceof MedianPruner);
    assert.equal(p.name, 'median');
    assert.equal(p.nStartupTrials, 2);
    assert.equal(p.nWarmupSteps, 3);
    assert.equal(p.intervalSteps, 4);
  });

  it('rejects invalid settings', () => {
    assert.throws(
      () => createPruner({ type: 'asha', min_resource: 1, reduction_factor: 1, min_early_stopping_rate: 0, bootstrap_count: 0 }),
      /reduction_factor/,
    );
    assert.throws(
      () => createPruner({ type: 'asha', min_resource: 'auto', reduction_factor: 3, min_early_stopping_rate: 0, bootstrap_count: 2 }),
      /bootstrap_count/,
    );
    assert.throws(() => createPruner({ type: 'median', n_startup_trials: 5, n_warmup_steps: 0, interval_steps: 0 }), /interval_steps/);
  });
});
