import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { MedianPruner } from '../../src/pruners/median.js';
import { PercentilePruner, bestIntermediateValue, isFirstInIntervalStep, nanPercentile } from '../../src/pruners/percentile.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { ctx, flat, frozen, type Reports } from './helpers.js';

function prunes(
  pruner: PercentilePruner,
  reports: Reports,
  others: readonly FrozenTrial[],
  direction: 'minimize' | 'maximize' = 'minimize',
): boolean {
  return pruner.prune(ctx(direction, frozen('RUNNING', reports), others));
}

/** `n` COMPLETE trials with a constant value at steps 0..lastStep. */
function completed(values: readonly number[], lastStep = 10): FrozenTrial[] {
  return values.map((v) => frozen('COMPLETE', flat(lastStep, v)));
}

describe('nanPercentile (numpy linear method)', () => {
  it('matches numpy.nanpercentile on hand-computed cases', () => {
    assert.equal(nanPercentile([3, 1, 2, 5, 4], 50), 3);
    assert.equal(nanPercentile([1, 2, 3, 4], 50), 2.5);
    assert.equal(nanPercentile([1, 2, 3, 4], 25), 1.75); // rank 0.75 between 1 and 2
    assert.equal(nanPercentile([1, 2, 3, 4, 5], 75), 4);
    assert.equal(nanPercentile([7], 50), 7);
    assert.equal(nanPercentile([1, Number.NaN, 3], 50), 2);
    assert.ok(Number.isNaN(nanPercentile([Number.NaN], 50)));
    assert.ok(Number.isNaN(nanPercentile([], 50)));
  });

  it('rounds as numpy does, so a value equal to the median on paper is judged as Optuna judges it', () => {
    // numpy: 0.7 − (0.7 − 0.1)·0.5 = 0.39999999999999997, not 0.1 + 0.3 = 0.4.
    assert.equal(nanPercentile([0.1, 0.7], 50), 0.39999999999999997);
    assert.equal(nanPercentile([0.1, 0.2, 0.7], 75), 0.44999999999999996);
    const p = new MedianPruner({ nStartupTrials: 0 });
    assert.equal(prunes(p, [[0, 0.4]], [frozen('COMPLETE', [[0, 0.1]]), frozen('COMPLETE', [[0, 0.7]])]), true);
  });
});

describe('bestIntermediateValue (nanmin / nanmax)', () => {
  it('ignores NaN unless every value is NaN', () => {
    const reports = [3, Number.NaN, 1, 2].map((value, step) => ({ step, value }));
    assert.equal(bestIntermediateValue(reports, 'minimize'), 1);
    assert.equal(bestIntermediateValue(reports, 'maximize'), 3);
    assert.ok(Number.isNaN(bestIntermediateValue([{ step: 0, value: Number.NaN }], 'minimize')));
  });
});

describe('isFirstInIntervalStep', () => {
  const steps = (...s: number[]) => s.map((step) => ({ step, value: 0 }));
  it('warm-up 0, interval 3: checks at 0, 3, 6 when every step is reported', () => {
    const checked: number[] = [];
    for (let step = 0; step <= 7; step++) {
      if (isFirstInIntervalStep(step, steps(...Array.from({ length: step + 1 }, (_, i) => i)), 0, 3)) checked.push(step);
    }
    assert.deepEqual(checked, [0, 3, 6]);
  });

  it('warm-up 2, interval 3: checks at 2, 5, 8', () => {
    const checked: number[] = [];
    for (let step = 2; step <= 9; step++) {
      if (isFirstInIntervalStep(step, steps(...Array.from({ length: step + 1 }, (_, i) => i)), 2, 3)) checked.push(step);
    }
    assert.deepEqual(checked, [2, 5, 8]);
  });

  it('a check with no report is made at the next report', () => {
    // Interval 3, reports at 0, 2, 4: the check due at 3 happens at 4; then not again at 5.
    assert.equal(isFirstInIntervalStep(4, steps(0, 2, 4), 0, 3), true);
    assert.equal(isFirstInIntervalStep(5, steps(0, 2, 4, 5), 0, 3), false);
  });
});

describe('MedianPruner', () => {
  it('validates and defaults as Optuna', () => {
    const p = new MedianPruner();
    assert.equal(p.name, 'median');
    assert.equal(p.percentile, 50);
    assert.equal(p.nStartupTrials, 5);
    assert.equal(p.nWarmupSteps, 0);
    assert.equal(p.intervalSteps, 1);
    assert.throws(() => new MedianPruner({ nStartupTrials: -1 }), RangeError);
    assert.throws(() => new MedianPruner({ nWarmupSteps: -1 }), RangeError);
    assert.throws(() => new MedianPruner({ intervalSteps: 0 }), RangeError);
    assert.throws(() => new PercentilePruner(101), RangeError);
  });

  it('waits for n_startup_trials COMPLETE trials (others do not count)', () => {
    const p = new MedianPruner({ nStartupTrials: 5 });
    const four = completed([1, 2, 3, 4]);
    const notComplete = [frozen('PRUNED', flat(10, 0)), frozen('RUNNING', flat(10, 0)), frozen('FAIL', flat(10, 0))];
    assert.equal(prunes(p, flat(2, 100), [...four, ...notComplete]), false);
    assert.equal(prunes(p, flat(2, 100), [...four, ...completed([5])]), true);
  });

  it('never prunes with no completed trial, even when n_startup_trials is 0', () => {
    const p = new MedianPruner({ nStartupTrials: 0 });
    assert.equal(prunes(p, flat(2, Number.NaN), []), false);
  });

  it('does nothing before the first report', () => {
    assert.equal(prunes(new MedianPruner({ nStartupTrials: 0 }), [], completed([1])), false);
  });

  it('n_warmup_steps: the earliest prune is at step == n_warmup_steps', () => {
    const p = new MedianPruner({ nStartupTrials: 1, nWarmupSteps: 3 });
    const rivals = completed([1, 2, 3]);
    assert.equal(prunes(p, flat(2, 100), rivals), false);
    assert.equal(prunes(p, flat(3, 100), rivals), true);
  });

  it('interval_steps: only the first report of each interval is checked', () => {
    const p = new MedianPruner({ nStartupTrials: 1, nWarmupSteps: 1, intervalSteps: 2 }); // checks at 1, 3, 5
    const rivals = completed([1, 2, 3]);
    const pruned = [0, 1, 2, 3, 4, 5].map((last) => prunes(p, flat(last, 100), rivals));
    assert.deepEqual(pruned, [false, true, false, true, false, true]);
  });

  describe('the median rule: prune when the best value so far is worse than the median at this step', () => {
    // Median of 1..5 at every step is 3.
    const rivals = completed([1, 2, 3, 4, 5]);

    it('minimize', () => {
      const p = new MedianPruner();
      assert.equal(prunes(p, [[0, 5], [1, 4], [2, 3]], rivals), false); // equal to the median
      assert.equal(prunes(p, [[0, 5], [1, 4], [2, 3.5]], rivals), true);
      // The best so far (1 at step 0) counts, not the latest value.
      assert.equal(prunes(p, [[0, 1], [1, 10], [2, 10]], rivals), false);
    });

    it('maximize', () => {
      const p = new MedianPruner();
      assert.equal(prunes(p, [[0, 2], [1, 2], [2, 2.5]], rivals, 'maximize'), true);
      assert.equal(prunes(p, [[0, 2], [1, 2], [2, 3]], rivals, 'maximize'), false);
      assert.equal(prunes(p, [[0, 4], [1, 0], [2, 0]], rivals, 'maximize'), false);
    });

    it('an even number of rivals interpolates (median of 1..4 is 2.5)', () => {
      const p = new MedianPruner({ nStartupTrials: 4 });
      const four = completed([1, 2, 3, 4]);
      assert.equal(prunes(p, [[0, 2.5]], four), false);
      assert.equal(prunes(p, [[0, 2.6]], four), true);
    });

    it('uses only the rivals\' values at the current step', () => {
      const p = new MedianPruner({ nStartupTrials: 1 });
      // Rivals: one good run that stopped at step 1, two that went on to step 5.
      const mixed = [frozen('COMPLETE', flat(1, 0)), ...completed([4, 6], 5)];
      assert.equal(prunes(p, flat(1, 3), mixed), false); // median of 0, 4, 6 is 4
      assert.equal(prunes(p, [[0, 9], [1, 9], [2, 5.5]], mixed), true); // median of 4, 6 is 5
      // No rival reported step 7: nothing to compare with.
      assert.equal(prunes(p, flat(7, 100), mixed), false);
    });

    it('NaN: an all-NaN trial is pruned; NaN rival values are ignored', () => {
      const p = new MedianPruner();
      assert.equal(prunes(p, [[0, Number.NaN], [1, Number.NaN]], rivals), true);
      assert.equal(prunes(p, [[0, 2], [1, Number.NaN]], rivals), false);
      const withNaN = [...completed([1, 2, 3, 4, 5]), frozen('COMPLETE', flat(10, Number.NaN))];
      assert.equal(prunes(p, [[0, 3]], withNaN), false); // median still 3, not shifted
    });
  });
});

describe('PercentilePruner', () => {
  it('keeps the best 25% (cut at the 25th percentile minimizing, the 75th maximizing)', () => {
    const p = new PercentilePruner(25, { nStartupTrials: 0 });
    const rivals = completed([1, 2, 3, 4, 5]);
    assert.equal(prunes(p, [[0, 2]], rivals), false);
    assert.equal(prunes(p, [[0, 2.5]], rivals), true);
    assert.equal(prunes(p, [[0, 4]], rivals, 'maximize'), false);
    assert.equal(prunes(p, [[0, 3.5]], rivals, 'maximize'), true);
  });

  it('n_min_trials: needs that many rival values at the step', () => {
    const p = new PercentilePruner(50, { nStartupTrials: 0, nMinTrials: 3 });
    assert.equal(prunes(p, [[0, 100]], completed([1, 2])), false);
    assert.equal(prunes(p, [[0, 100]], completed([1, 2, 3])), true);
  });
});
