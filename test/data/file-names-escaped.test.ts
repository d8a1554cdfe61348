/**
 * Names that come from a data file reach the terminal escaped: a `classes` attribute holding
 * `\x1b[2J` (clear screen) must not clear the screen of `hpsearch data inspect`.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { printable, printableJson } from '../../src/core/printable.js';
import { renderRows } from '../../src/report/table.js';
import { hpsearch } from '../cli/helpers.js';
import { labelsWithCounts, randomSignals, tempDir, writeRawHdf5 } from './helpers.js';

const ESC = '\x1b';
const CSI = '\u009b';

test('printable escapes C0, DEL and C1 and keeps other text', () => {
  assert.equal(printable('N\x1b[2J'), 'N\\x1b[2J');
  assert.equal(printable('a\tb\nc\rd\x00\x7f\u0085\u009b'), 'a\\x09b\\x0ac\\x0dd\\x00\\x7f\\x85\\x9b');
  assert.equal(printable('Vorhofflimmern ü, 心房細動'), 'Vorhofflimmern ü, 心房細動');
  assert.equal(JSON.parse(printableJson({ c: 'x\u009b\x7fy' })).c, 'x\u009b\x7fy', 'the JSON parses to the same text');
  assert.ok(!/[\x7f-\x9f]/.test(printableJson({ c: 'x\u009b\x7fy' })));
});

test('leaderboard/trial tables and CSV escape control characters in cells and column names', () => {
  for (const format of ['table', 'csv'] as const) {
    const out = renderRows(['class', `recall_${ESC}[2J`], [{ class: `N${ESC}]0;pwned\x07`, [`recall_${ESC}[2J`]: 0.5 }], format);
    assert.ok(!out.includes(ESC) && !out.includes('\x07'), `${format}: ${JSON.stringify(out)}`);
    assert.ok(out.includes('N\\x1b]0;pwned\\x07'));
  }
});

test('hpsearch data inspect on an HDF5 file whose classes and groups hold escape sequences prints no ESC byte', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'evil.h5');
  const n = 40;
  await writeRawHdf5(
    file,
    [
      { name: 'X', data: randomSignals(n, 16), shape: [n, 16] },
      { name: 'y', data: labelsWithCounts([20, 20]), shape: [n] },
      { name: 'groups', data: Array.from({ length: n }, (_, i) => (i % 2 ? `p${ESC}[2J` : `q${CSI}31m`)), shape: [n] },
    ],
    { classes: [`N${ESC}[2J`, `S${CSI}0m`] },
  );
  for (const flags of [[], ['--json']]) {
    const r = hpsearch(['data', 'inspect', 'evil.h5', ...flags], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!r.stdout.includes(ESC), `no ESC byte in ${JSON.stringify(r.stdout)}`);
    assert.ok(!r.stdout.includes(CSI), 'no C1 CSI either');
    if (flags.length === 0) {
      assert.match(r.stdout, /N\\x1b\[2J 20 \(50\.0 %\), S\\x9b0m 20 \(50\.0 %\)/);
      assert.match(r.stdout, /p\\x1b\[2J +20: N\\x1b\[2J \d+, S\\x9b0m \d+/);
    } else {
      const summary = JSON.parse(r.stdout) as { classes: string[] };
      assert.deepEqual(summary.classes, [`N${ESC}[2J`, `S${CSI}0m`], 'JSON keeps the names, escaped as \\u001b / \\u009b');
    }
  }
});
