import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  RungLadder,
  SuccessiveHalvingPruner,
  estimateMinResource,
  isPromotableToNextRung,
  recordedRungValue,
} from '../../src/pruners/successive-halving.js';
import type { FrozenTrial } from '../../src/core/trial.js';
import { ctx, flat, frozen, type Reports } from './helpers.js';

/** Would `pruner` prune a trial with these reports, given the other trials? */
function prunes(
  pruner: SuccessiveHalvingPruner,
  reports: Reports,
  others: readonly FrozenTrial[],
  direction: 'minimize' | 'maximize' = 'minimize',
): boolean {
  return pruner.prune(ctx(direction, frozen('RUNNING', reports), others));
}

describe('RungLadder: rung k completes at r·η^(s+k)', () => {
  const cases: Array<[r: number, eta: number, s: number, steps: number[]]> = [
    [1, 3, 0, [1, 3, 9, 27]],
    [1, 2, 0, [1, 2, 4, 8]],
    [2, 3, 0, [2, 6, 18, 54]],
    [1, 3, 1, [3, 9, 27, 81]],
    [4, 2, 2, [16, 32, 64, 128]],
    [5, 4, 0, [5, 20, 80, 320]],
  ];
  for (const [r, eta, s, steps] of cases) {
    it(`r=${r} η=${eta} s=${s} → ${steps.join(', ')}`, () => {
      const ladder = new RungLadder(r, eta, s);
      assert.deepEqual([0, 1, 2, 3].map((k) => ladder.step(k)), steps);
    });
  }

  it('firstRungAfter finds the next rung strictly after a step', () => {
    const ladder = new RungLadder(1, 3, 0); // 1, 3, 9
    assert.equal(ladder.firstRungAfter(-Infinity), 0);
    assert.equal(ladder.firstRungAfter(0), 0);
    assert.equal(ladder.firstRungAfter(1), 1);
    assert.equal(ladder.firstRungAfter(2), 1);
    assert.equal(ladder.firstRungAfter(3), 2);
    assert.equal(ladder.firstRungAfter(9), 3);
  });
});

describe('isPromotableToNextRung', () => {
  it('promotes the best ⌊n/η⌋ (ties included), else only the best', () => {
    // n = 9, η = 3: best 3 promoted.
    const nine = [5, 1, 9, 3, 7, 2, 8, 4, 6];
    for (const v of nine) {
      assert.equal(isPromotableToNextRung(v, nine, 3, 'minimize'), v <= 3, `minimize ${v}`);
      assert.equal(isPromotableToNextRung(v, nine, 3, 'maximize'), v >= 7, `maximize ${v}`);
    }
    // n = 2 < η = 3: only the best.
    assert.equal(isPromotableToNextRung(1, [1, 2], 3, 'minimize'), true);
    assert.equal(isPromotableToNextRung(2, [1, 2], 3, 'minimize'), false);
    assert.equal(isPromotableToNextRung(2, [1, 2], 3, 'maximize'), true);
    // Tie with the best promotes.
    assert.equal(isPromotableToNextRung(1, [1, 1], 3, 'minimize'), true);
    // n = 6, η = 3: best 2.
    assert.equal(isPromotableToNextRung(2, [6, 5, 4, 3, 2, 1], 3, 'minimize'), true);
    assert.equal(isPromotableToNextRung(3, [6, 5, 4, 3, 2, 1], 3, 'minimize'), false);
  });
});

describe('SuccessiveHalvingPruner', () => {
  it('validates its options as Optuna does', () => {
    assert.throws(() => new SuccessiveHalvingPruner({ minResource: 0 }), RangeError);
    assert.throws(() => new SuccessiveHalvingPruner({ minResource: 1.5 }), RangeError);
    assert.throws(() => new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 1 }), RangeError);
    assert.throws(() => new SuccessiveHalvingPruner({ minResource: 1, minEarlyStoppingRate: -1 }), RangeError);
    assert.throws(() => new SuccessiveHalvingPruner({ minResource: 1, bootstrapCount: -1 }), RangeError);
    assert.throws(() => new SuccessiveHalvingPruner({ minResource: 'auto', bootstrapCount: 1 }), RangeError);
    const p = new SuccessiveHalvingPruner();
    assert.equal(p.reductionFactor, 3);
    assert.equal(p.minEarlyStoppingRate, 0);
    assert.equal(p.bootstrapCount, 0);
    assert.equal(p.resolvedMinResource, null);
  });

  it('does nothing before the first report', () => {
    const p = new SuccessiveHalvingPruner({ minResource: 1 });
    assert.equal(prunes(p, [], [frozen('COMPLETE', flat(10, 0))]), false);
  });

  describe('9 competitors at rung 0 (r=1, η=3): the best 3 go on, the 4th and worse stop', () => {
    const values = [50, 10, 90, 30, 70, 20, 80, 40, 60];
    for (const direction of ['minimize', 'maximize'] as const) {
      it(direction, () => {
        const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 });
        // Rank 1..9 from the best for this direction.
        const ranked = [...values].sort((a, b) => (direction === 'minimize' ? a - b : b - a));
        for (const v of values) {
          const others = values.filter((o) => o !== v).map((o) => frozen('RUNNING', [[0, 0], [1, o]]));
          const rank = ranked.indexOf(v) + 1;
          assert.equal(prunes(p, [[0, 0], [1, v]], others, direction), rank > 3, `value ${v} rank ${rank}`);
        }
      });
    }

    it('a tie with the 3rd best is promoted', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1 });
      const others = [10, 20, 30, 40, 50, 60, 70, 80].map((o) => frozen('COMPLETE', [[1, o]]));
      assert.equal(prunes(p, [[1, 30]], others), false);
      assert.equal(prunes(p, [[1, 30.5]], others), true);
    });
  });

  describe('fewer than η competitors: only the best so far is promoted', () => {
    it('the first trial is never pruned (Optuna: first_trial_is_not_pruned)', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
      for (let last = 0; last < 10; last++) assert.equal(prunes(p, flat(last, 1), []), false);
    });

    it('a second trial worse than the first is pruned (Optuna: intermediate_values)', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
      const first = [frozen('RUNNING', [[1, 1]])];
      assert.equal(prunes(p, [[1, 2]], first, 'minimize'), true);
      assert.equal(prunes(p, [[1, 0.5]], first, 'maximize'), true);
      assert.equal(prunes(p, [[1, 0.5]], first, 'minimize'), false);
      assert.equal(prunes(p, [[1, 1]], first, 'minimize'), false); // tie
    });

    it('η=3 with 2 others (n=3): ⌊3/3⌋ = 1, still only the best', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 });
      const others = [frozen('COMPLETE', [[1, 5]]), frozen('PRUNED', [[1, 7]])];
      assert.equal(prunes(p, [[1, 4]], others), false);
      assert.equal(prunes(p, [[1, 6]], others), true);
    });
  });

  describe('bootstrap_count (Optuna: the first bootstrap_count trials at a rung are pruned)', () => {
    it('r=1, η=2, bootstrap 1 (Optuna: bootstrap_parameter)', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, bootstrapCount: 1 });
      assert.equal(prunes(p, [[1, 1]], []), true);
      assert.equal(prunes(p, [[1, 1]], [frozen('PRUNED', [[1, 1]])]), false);
    });

    it('r=1, η=3, bootstrap 2: the third trial at the rung is the first to be judged', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3, bootstrapCount: 2 });
      const a = frozen('PRUNED', [[1, 5]]);
      const b = frozen('PRUNED', [[1, 6]]);
      assert.equal(prunes(p, [[1, 0]], []), true);
      assert.equal(prunes(p, [[1, 0]], [a]), true);
      assert.equal(prunes(p, [[1, 0]], [a, b]), false);
      assert.equal(prunes(p, [[1, 5.5]], [a, b]), true);
      // Before the rung the bootstrap does not apply.
      assert.equal(prunes(p, [[0, 9]], []), false);
    });

    it('counts the current trial once even if the caller lists it among the others', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, bootstrapCount: 1 });
      const t = frozen('RUNNING', [[1, 1]]);
      assert.equal(p.prune(ctx('minimize', t, [t])), true);
    });
  });

  describe('NaN', () => {
    it('is pruned at a rung, not between rungs (Optuna: with_nan)', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 2, reductionFactor: 2 });
      assert.equal(prunes(p, [[1, Number.NaN]], []), false);
      assert.equal(prunes(p, [[1, Number.NaN], [2, Number.NaN]], []), true);
    });

    it('is never a competitor', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 });
      const others = [frozen('PRUNED', [[1, Number.NaN]]), frozen('FAIL', [[0, 1], [1, Number.NaN]])];
      assert.equal(prunes(p, [[1, 5]], others), false);
    });
  });

  it('never prunes between rungs (r=1, η=3: rungs at 1, 3, 9)', () => {
    const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 });
    // Eight rivals at 0 at every step; ours is 100 except at the rungs 1 and 3, where it ties.
    const others = Array.from({ length: 8 }, () => frozen('COMPLETE', flat(20, 0)));
    const ours: Array<[number, number]> = [];
    for (let step = 0; step <= 9; step++) {
      ours.push([step, step === 1 || step === 3 ? 0 : 100]);
      assert.equal(prunes(p, ours, others), step === 9, `step ${step}`);
    }
  });

  it('min_early_stopping_rate shifts the rungs (r=1, η=2: s=0 → 1, 2, 4; s=1 → 2, 4, 8)', () => {
    const rival = [frozen('COMPLETE', flat(10, 0))];
    const s0 = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 0 });
    const s1 = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 1 });
    assert.equal(prunes(s0, flat(1, 5), rival), true);
    assert.equal(prunes(s1, flat(1, 5), rival), false);
    assert.equal(prunes(s1, flat(2, 5), rival), true);
    // With s=1 a trial that tied at step 2 is next judged at 4, not 3.
    const ours: Reports = [[0, 5], [1, 5], [2, 0], [3, 5]];
    assert.equal(prunes(s1, ours, rival), false);
    assert.equal(prunes(s1, [...ours, [4, 5]], rival), true);
  });

  it('min_resource moves the first rung (r=2, η=3: rungs at 2, 6, 18)', () => {
    const p = new SuccessiveHalvingPruner({ minResource: 2, reductionFactor: 3 });
    const rival = [frozen('COMPLETE', flat(20, 0))];
    assert.equal(prunes(p, flat(1, 5), rival), false);
    assert.equal(prunes(p, flat(2, 5), rival), true);
    const passed: Reports = [[0, 5], [1, 5], [2, 0], [3, 5], [4, 5], [5, 5]];
    assert.equal(prunes(p, passed, rival), false);
    assert.equal(prunes(p, [...passed, [6, 5]], rival), true);
  });

  it('a rival is compared at its first report at or after the rung step', () => {
    const p = new SuccessiveHalvingPruner({ minResource: 3, reductionFactor: 2 }); // rung 0 at 3
    // The rival reported at 0, 5, 10: its rung-0 value is the one of step 5.
    const rival = [frozen('COMPLETE', [[0, 0], [5, 2], [10, 0]])];
    assert.equal(prunes(p, [[3, 1.5]], rival), false);
    assert.equal(prunes(p, [[3, 2.5]], rival), true);
  });

  it('reproduces Optuna\'s rung_check test (all reports at step 7, r=1, η=2: rungs 1, 2, 4)', () => {
    const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    // Trial 0 (0.1) passed every rung; 0.2..0.7 and 0.75 were pruned at rung 0.
    const trials: FrozenTrial[] = [frozen('RUNNING', [[7, 0.1]])];
    for (const v of [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75]) {
      assert.equal(prunes(p, [[7, v]], trials), true, `value ${v}`);
      trials.push(frozen('PRUNED', [[7, v]]));
    }
    const ladder = new RungLadder(1, 2, 0);
    assert.deepEqual([0, 1, 2].map((k) => recordedRungValue(trials[1]!, k, ladder)), [0.2, undefined, undefined]);
    // 0.25: 9 values at rung 0, best ⌊9/2⌋ = 4 pass (0.25 is 3rd); at rung 1 it meets only 0.1.
    assert.equal(prunes(p, [[7, 0.25]], trials), true);
    trials.push(frozen('PRUNED', [[7, 0.25]]));
    // 0.05 beats everything at rungs 0, 1 and 2; rung 3 is at step 8.
    assert.equal(prunes(p, [[7, 0.05]], trials), false);
  });

  describe("min_resource 'auto'", () => {
    it('estimates max(1, ⌊largest last step of a COMPLETE trial / 100⌋)', () => {
      assert.equal(estimateMinResource([]), null);
      assert.equal(estimateMinResource([frozen('RUNNING', flat(1000, 0)), frozen('PRUNED', flat(500, 0))]), null);
      assert.equal(estimateMinResource([frozen('COMPLETE', [])]), null);
      assert.equal(estimateMinResource([frozen('COMPLETE', flat(9, 0))]), 1);
      assert.equal(estimateMinResource([frozen('COMPLETE', flat(199, 0))]), 1);
      assert.equal(estimateMinResource([frozen('COMPLETE', flat(200, 0))]), 2);
      assert.equal(estimateMinResource([frozen('COMPLETE', flat(150, 0)), frozen('COMPLETE', flat(349, 0))]), 3);
    });

    it('prunes nothing until a trial completes, then uses and keeps the estimate', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 'auto', reductionFactor: 3 });
      // Even NaN and a far worse value are let through while r is unknown.
      assert.equal(prunes(p, flat(50, Number.NaN), [frozen('RUNNING', flat(50, 0))]), false);
      assert.equal(p.resolvedMinResource, null);

      const done = frozen('COMPLETE', flat(299, 0)); // last step 299 → r = 2: rungs 2, 6, 18
      assert.equal(prunes(p, flat(1, 5), [done]), false);
      assert.equal(p.resolvedMinResource, 2);
      assert.equal(prunes(p, flat(2, 5), [done]), true);

      // A later, longer trial does not change the estimate (Optuna caches it).
      const longer = frozen('COMPLETE', flat(999, 0));
      assert.equal(prunes(p, flat(2, 5), [done, longer]), true);
      assert.equal(p.resolvedMinResource, 2);
    });

    it('does not judge a running trial retroactively at rungs it passed before r was known', () => {
      const p = new SuccessiveHalvingPruner({ minResource: 'auto', reductionFactor: 3 });
      const done = frozen('COMPLETE', flat(99, 0)); // r = 1: rungs 1, 3, 9
      assert.equal(prunes(p, flat(5, 5), [done]), false); // previous step 4: next rung is 9
      assert.equal(prunes(p, flat(9, 5), [done]), true);
    });
  });
});

describe('recordedRungValue (r=1, η=2: rungs 1, 2, 4, 8)', () => {
  const ladder = new RungLadder(1, 2, 0);
  const at = (t: FrozenTrial): Array<number | undefined> => [0, 1, 2, 3].map((k) => recordedRungValue(t, k, ladder));

  it('takes the first report at or after each rung step', () => {
    assert.deepEqual(at(frozen('COMPLETE', [[0, 10], [1, 11], [2, 12], [7, 17]])), [11, 12, 17, undefined]);
    assert.deepEqual(at(frozen('RUNNING', [[0, 10], [7, 17]])), [17, 17, 17, undefined]);
  });

  it('counts a PRUNED trial only at the first rung its last report crossed', () => {
    assert.deepEqual(at(frozen('PRUNED', [[0, 10], [1, 11], [2, 12], [7, 17]])), [11, 12, 17, undefined]);
    assert.deepEqual(at(frozen('PRUNED', [[0, 10], [7, 17]])), [17, undefined, undefined, undefined]);
    assert.deepEqual(at(frozen('PRUNED', [[0, 10], [1, 11], [5, 15]])), [11, 15, undefined, undefined]);
  });

  it('never records NaN', () => {
    assert.deepEqual(at(frozen('FAIL', [[1, Number.NaN], [2, 2]])), [undefined, 2, undefined, undefined]);
  });
});
