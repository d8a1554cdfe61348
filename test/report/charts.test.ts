import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParallelSeriesOption, ScatterSeriesOption, LineSeriesOption } from 'echarts/types/dist/option';
import { ABSENT, buildCharts, wrapAxisName } from '../../src/report/html/charts.js';
import type { ReportTrial, StudyReport } from '../../src/report/html/collect.js';
import { escapeHtml, formatMetric, formatParam, jsonForScript } from '../../src/report/html/format.js';
import { html } from '../../src/report/html/markup.js';
import type { TrialState } from '../../src/core/trial.js';

function trial(number: number, state: TrialState, value: number | null, params: ReportTrial['params'], curve: [number, number | null][]): ReportTrial {
  return { number, state, value, params, curve, backend: 'cpu', durationS: 1, failReason: state === 'FAIL' ? 'boom' : null };
}

/** A small study as `collectStudyReport` would describe it: a conditional log param, every state. */
function report(direction: 'minimize' | 'maximize'): StudyReport {
  const trials = [
    trial(0, 'COMPLETE', 0.5, { lr: 0.01, opt: 'a', wd: 1e-3, k: 2 }, [[1, 0.7], [2, 0.5]]),
    trial(1, 'COMPLETE', 0.3, { lr: 0.001, opt: 'b', k: 3 }, [[1, 0.6], [2, 0.3]]),
    trial(2, 'PRUNED', 0.9, { lr: 0.05, opt: 'a', wd: 1e-2, k: 1 }, [[1, 0.9]]),
    trial(3, 'FAIL', null, { lr: 0.02, opt: 'b', k: 1 }, [[1, 0.8]]),
    trial(4, 'FAIL', null, { lr: 0.02, opt: 'b', k: 1 }, []),
    trial(5, 'COMPLETE', 0.4, { lr: 0.003, opt: 'a', wd: 1e-4, k: 4 }, [[1, 0.5], [2, null], [3, 0.4]]),
  ];
  return {
    generatedAt: '2025-01-01T00:00:00.000Z',
    study: { name: 's', direction, metric: 'val_loss', model: 'cnngru', createdAt: '2025-01-01T00:00:00.000Z', origin: 'yaml' },
    budget: null,
    sampler: null,
    pruner: null,
    data: null,
    earlyStopping: null,
    backendRequested: 'auto',
    backendsUsed: [{ name: 'cpu', trials: 6 }],
    counts: { COMPLETE: 3, PRUNED: 1, FAIL: 2, RUNNING: 0, WAITING: 0 },
    wallTime: { start: null, end: null, seconds: null },
    space: [
      { name: 'lr', distribution: { type: 'float', low: 1e-4, high: 1e-1, log: true, step: null }, condition: null },
      { name: 'opt', distribution: { type: 'categorical', choices: ['a', 'b'] }, condition: null },
      { name: 'wd', distribution: { type: 'float', low: 1e-5, high: 1e-1, log: true, step: null }, condition: 'opt = a' },
      { name: 'k', distribution: { type: 'int', low: 1, high: 4, log: false, step: 1 }, condition: null },
    ],
    classes: ['N', 'S'],
    trials,
    leaderboard: [],
    best: { number: 1, value: 0.3, params: trials[1]!.params, confusion: { counts: [[5, 1], [2, 3]], split: 'test' }, perClass: [] },
    importance: { status: 'insufficient', reason: 'test', trialsUsed: 3 },
  };
}

test('history: complete and pruned points, the best-so-far line follows the direction', () => {
  for (const direction of ['minimize', 'maximize'] as const) {
    const h = buildCharts(report(direction)).history!;
    const series = h.series as (ScatterSeriesOption | LineSeriesOption)[];
    const points = (name: string): unknown[] => (series.find((s) => s.name === name)!.data as { value: unknown }[]).map((d) => d.value);
    assert.deepEqual(points('complete'), [[0, 0.5], [1, 0.3], [5, 0.4]]);
    assert.deepEqual(points('pruned'), [[2, 0.9]]);
    const best = series.find((s) => s.name === 'best so far')!.data;
    // Extended to the last trial number so the line spans the whole axis.
    assert.deepEqual(best, direction === 'minimize' ? [[0, 0.5], [1, 0.3], [5, 0.3]] : [[0, 0.5], [1, 0.5], [5, 0.5]]);
  }
});

test('curves: one line per trial with epochs, markers where pruned and failed trials stopped', () => {
  const c = buildCharts(report('minimize')).curves!;
  const series = c.series as (LineSeriesOption | ScatterSeriesOption)[];
  const lines = series.filter((s) => s.type === 'line');
  assert.deepEqual(lines.map((s) => s.id), ['trial-0', 'trial-1', 'trial-2', 'trial-3', 'trial-5']);
  // A NaN epoch stays a gap in its line.
  assert.deepEqual(lines.at(-1)!.data, [[1, 0.5], [2, null], [3, 0.4]]);
  const markers = (name: string): unknown[] => (series.find((s) => s.name === name)!.data as { value: unknown }[]).map((d) => d.value);
  assert.deepEqual(markers('pruned here'), [[1, 0.9]]);
  assert.deepEqual(markers('failed here'), [[1, 0.8]]);
  // The legend has one entry per state and marker, not one per trial.
  assert.deepEqual((c.legend as { data: string[] }).data, ['complete', 'pruned', 'failed', 'pruned here', 'failed here']);
});

test('parallel coordinates: category, log and value axes; a missing conditional number sits below its range', () => {
  const p = buildCharts(report('minimize')).parallel!;
  const axes = p.parallelAxis as { name: string; type: string; min?: number; data?: string[] }[];
  assert.deepEqual(axes.map((a) => [a.name, a.type]), [['lr', 'log'], ['opt', 'category'], ['wd', 'log'], ['k', 'value'], ['val_loss', 'value']]);
  assert.deepEqual(axes[1]!.data, ['a', 'b'], 'opt is set in every trial: no "(not set)" category');
  const wd = axes[2]!;
  // 12 % of the axis below the range, in log space: 10^(-5 - 4·0.12/0.88).
  assert.ok(Math.abs(Math.log10(wd.min!) - (-5 - (4 * 0.12) / 0.88)) < 1e-9, `wd axis min ${wd.min}`);
  const rows = ((p.series as ParallelSeriesOption[])[0]!.data as { name: string; value: unknown[] }[]).map((d) => [d.name, d.value]);
  assert.deepEqual(rows, [
    ['trial 0', [0.01, 'a', 1e-3, 2, 0.5]],
    ['trial 1', [0.001, 'b', wd.min, 3, 0.3]],
    ['trial 5', [0.003, 'a', 1e-4, 4, 0.4]],
  ]);
  assert.equal(ABSENT, '(not set)');
});

test('parallel coordinates: the objective axis ends on round numbers, printed as such', () => {
  // The main job's values: 6 × 0.1 in binary is 0.6000000000000001, an unreadable axis label.
  const r = report('maximize');
  const values = [0.6391, 0.9066, 0.8531];
  const trials = r.trials.map((t) => (t.state === 'COMPLETE' ? { ...t, value: values.shift()! } : t));
  const axes = buildCharts({ ...r, trials }).parallel!.parallelAxis as { min?: number; max?: number }[];
  assert.deepEqual([axes[4]!.min, axes[4]!.max], [0.6, 1]);
});

test('charts without data are left out: no importance chart when fANOVA had too little to go on', () => {
  const charts = buildCharts(report('minimize'));
  assert.deepEqual(Object.keys(charts), ['history', 'curves', 'parallel', 'confusion']);
  const cm = charts.confusion!;
  assert.deepEqual((cm.xAxis as { data: string[] }).data, ['N', 'S']);
  // Cells: [predicted, true, count, share of the true class].
  const cells = ((cm.series as { data: { value: number[] }[] }[])[0]!.data).map((d) => d.value);
  assert.deepEqual(cells, [[0, 0, 5, 0.833], [1, 0, 1, 0.167], [0, 1, 2, 0.4], [1, 1, 3, 0.6]]);
});

test('long axis names wrap onto two lines, at an underscore when there is one', () => {
  assert.equal(wrapAxisName('lr', 11), 'lr');
  const wrapped = wrapAxisName('learning_rate_of_the_optimizer', 11);
  const lines = wrapped.split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], 'learning_');
  assert.ok(lines[1]!.endsWith('…'));
  assert.ok(lines.every((l) => l.length <= 13), wrapped);
  // Few axes leave room for 24 characters on a line.
  assert.equal(wrapAxisName('learning_rate_of_the_opt', 3), 'learning_rate_of_the_opt');
  assert.equal(wrapAxisName('learning_rate_of_the_optimizer', 3), 'learning_rate_of_the_\noptimizer');
});

test('escaping: markup and script blocks cannot be broken out of', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  const evil = { name: '</script><script>alert(1)</script>\u2028' };
  const json = jsonForScript(evil);
  assert.ok(!/[<>&\u2028]/.test(json), json);
  assert.deepEqual(JSON.parse(json), evil);
  assert.equal(html`<td title="${'"x"'}">${'<b>'}${html`<i>ok</i>`}</td>`.text, '<td title="&#34;x&#34;">&#60;b&#62;<i>ok</i></td>');
});

test('numbers: metrics to four significant digits, params as typed when short', () => {
  assert.equal(formatMetric(1), '1.000');
  assert.equal(formatMetric(0.90472), '0.9047');
  assert.equal(formatMetric(0.000278), '2.78e-4');
  assert.equal(formatMetric(null), '—');
  assert.equal(formatParam(0.2), '0.2');
  assert.equal(formatParam(32), '32');
  assert.equal(formatParam(0.010896432), '0.01090');
  assert.equal(formatParam('adamw'), 'adamw');
  assert.equal(formatParam(undefined), '—');
});
