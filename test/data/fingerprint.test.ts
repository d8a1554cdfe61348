import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { FingerprintHasher } from '../../src/data/fingerprint.js';
import { multiClassLabels } from '../../src/data/labels.js';
import { randomSignals } from './helpers.js';

test('a data set keeps its fingerprint whether its class labels are held in one byte or four (studies stored before keep matching)', () => {
  const n = 200_000; // more than one hashing block of one-byte labels
  const signals = randomSignals(n, 3, 1, 4);
  const wide = Int32Array.from({ length: n }, (_, i) => (i * 13) % 5);
  const digest = (labels: Int32Array | Uint8Array, groups: Int32Array | null): string => {
    const h = new FingerprintHasher({ count: n, length: 3, channels: 1 });
    h.addSignals(signals);
    return h.digest(multiClassLabels(labels, ['N', 'S', 'V', 'F', 'Q']), groups);
  };
  const groups = Int32Array.from({ length: n }, (_, i) => i >> 10);
  assert.equal(digest(Uint8Array.from(wide), groups), digest(wide, groups));
  assert.equal(digest(Uint8Array.from(wide), null), digest(wide, null));
  const changed = Uint8Array.from(wide);
  changed[n - 1] = (changed[n - 1]! + 1) % 5;
  assert.notEqual(digest(changed, null), digest(wide, null), 'a changed label changes it');
});
