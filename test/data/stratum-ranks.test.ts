import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { multiClassLabels, multiLabelLabels, rowsByStratum, strataOf, stratumRows, type LabelSet } from '../../src/data/labels.js';
import { BLOCK, memberOf, stratumCounts, stratumRanks } from '../../src/data/stratum-ranks.js';

/** Every member of every stratum through the rank table, as rowsByStratum's table lists them. */
function assertSameAsTable(labels: LabelSet, train: Int32Array): void {
  const { stratum, numStrata } = strataOf(labels, train);
  const table = rowsByStratum(stratum, numStrata, train);
  const ranks = stratumRanks(labels, train);
  assert.deepEqual(Array.from(stratumCounts(ranks)), Array.from({ length: numStrata }, (_, s) => stratumRows(table, s).length));
  for (let s = 0; s < numStrata; s++) {
    const rows = stratumRows(table, s);
    const viaRanks = Array.from(rows, (_, j) => memberOf(ranks, labels, train, s, j));
    assert.deepEqual(viaRanks, Array.from(rows), `stratum ${s} of ${train.length} training rows`);
    assert.throws(() => memberOf(ranks, labels, train, s, rows.length), RangeError);
  }
}

describe('stratum ranks: the members of each training stratum without a table of them', () => {
  it('finds the same rows in the same order as the table of members, for every size around a block', () => {
    for (const n of [1, BLOCK - 1, BLOCK, BLOCK + 1, 5 * BLOCK + 17, 3000]) {
      // Class 3 is absent and class 4 rare, so empty and one-member strata are covered.
      const classIndex = Int32Array.from({ length: n + 40 }, (_, i) => (i % 97 === 5 ? 4 : Math.floor((Math.sin(i * 7.1) + 1) * 1.49)));
      const labels = multiClassLabels(classIndex, ['N', 'S', 'V', 'F', 'Q']);
      // The training rows: an ascending subset, as splits produce it.
      const train = Int32Array.from({ length: n + 40 }, (_, i) => i).filter((i) => i % 11 !== 3).subarray(0, n);
      assertSameAsTable(labels, train);
    }
  });

  it('uses the rarest positive label among the training rows as a multi-label sample\'s stratum', () => {
    const n = 700;
    const k = 4;
    const hot = Uint8Array.from({ length: n * k }, (_, i) => (Math.cos(i * 3.7) > (i % k) * 0.3 ? 1 : 0));
    const labels = multiLabelLabels(hot, ['a', 'b', 'c', 'd']);
    const train = Int32Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 0);
    assertSameAsTable(labels, train);
  });

  it('holds a few bytes per block of training rows, not one entry per row', () => {
    const labels = multiClassLabels(Int32Array.from({ length: 64_000 }, (_, i) => i % 5), ['N', 'S', 'V', 'F', 'Q']);
    const train = Int32Array.from({ length: 64_000 }, (_, i) => i);
    assert.equal(stratumRanks(labels, train).before.byteLength, (64_000 / BLOCK + 1) * 5 * 4);
  });
});
