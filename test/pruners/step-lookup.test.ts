import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { firstReportAtOrAfter, reportAt } from '../../src/pruners/step-lookup.js';
import { SuccessiveHalvingPruner } from '../../src/pruners/successive-halving.js';
import { MedianPruner } from '../../src/pruners/median.js';
import { ctx, flat, frozen } from './helpers.js';

describe('report lookup', () => {
  const reports = [0, 2, 5, 9].map((step) => ({ step, value: step * 10 }));

  it('firstReportAtOrAfter', () => {
    assert.deepEqual([-1, 0, 1, 2, 3, 5, 6, 9, 10].map((s) => firstReportAtOrAfter(reports, s)), [0, 0, 1, 1, 2, 2, 3, 3, -1]);
    assert.equal(firstReportAtOrAfter([], 0), -1);
  });

  it('reportAt', () => {
    assert.equal(reportAt(reports, 5)?.value, 50);
    assert.equal(reportAt(reports, 4), undefined);
    assert.equal(reportAt(reports, 10), undefined);
  });
});

describe('cost', () => {
  it('judges a report against 2,000 trials of 100 steps in a few milliseconds', () => {
    const trials = Array.from({ length: 2000 }, (_, i) => frozen(i % 3 === 0 ? 'PRUNED' : 'COMPLETE', flat(99, (i * 7919) % 1000)));
    const asha = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 3 });
    const median = new MedianPruner();
    const reports = flat(81, 1); // step 81 is rung 4
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      asha.prune(ctx('minimize', frozen('RUNNING', reports), trials));
      median.prune(ctx('minimize', frozen('RUNNING', reports), trials));
    }
    const msPerCall = (performance.now() - started) / 20;
    assert.ok(msPerCall < 50, `${msPerCall.toFixed(2)} ms per call`);
  });
});
