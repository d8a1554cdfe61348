/**
 * ECharts options of the report's charts, built from a `StudyReport` on the Node side so
 * that they are typed; the page only hands them to `echarts.init(...).setOption`.
 *
 * Options are plain JSON. Where a chart needs a function (tooltips), the option holds a
 * marker string `$fn:<name>` that the page's script swaps for the function of that name
 * (`client.ts`); the data a tooltip shows travels with the data item (`tip`: its lines).
 */
import type {
  BarSeriesOption,
  EChartsOption,
  HeatmapSeriesOption,
  LineSeriesOption,
  ParallelSeriesOption,
  ScatterSeriesOption,
} from 'echarts/types/dist/option';
import { isBetter } from '../../core/direction.js';
import type { Distribution, ParamValue } from '../../core/search-space.js';
import type { TrialState } from '../../core/trial.js';
import type { ReportTrial, StudyReport } from './collect.js';
import { formatMetric, formatParam } from './format.js';

/** Ids of the chart containers, in page order. */
export type ChartId = 'history' | 'curves' | 'parallel' | 'importance' | 'confusion';

export type ReportCharts = Partial<Record<ChartId, EChartsOption>>;

/**
 * Names of the page-side formatter factories an option may refer to as `$fn:<name>` or
 * `$fn:<name>:<number>` (the number is the factory's argument).
 */
export type FormatterName = 'tip' | 'curve' | 'notSet' | 'percent';
const fn = (name: FormatterName, arg?: number): string => `$fn:${name}${arg === undefined ? '' : `:${arg}`}`;

export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

export const STATE_COLORS: Readonly<Record<TrialState, string>> = {
  COMPLETE: '#2563eb',
  PRUNED: '#d97706',
  FAIL: '#dc2626',
  RUNNING: '#7c3aed',
  WAITING: '#6b7280',
};
const BEST_COLOR = '#059669';
export const STATE_LABELS: Readonly<Record<TrialState, string>> = {
  COMPLETE: 'complete',
  PRUNED: 'pruned',
  FAIL: 'failed',
  RUNNING: 'running',
  WAITING: 'waiting',
};

/** Data items carry their tooltip lines. */
interface TipItem {
  readonly value: readonly (number | string | null)[];
  readonly name?: string;
  readonly tip: readonly string[];
}

/** The options every chart shares: no animation (a report is a document), the page's font. */
const BASE: EChartsOption = {
  animation: false,
  textStyle: { fontFamily: FONT_FAMILY },
  tooltip: { trigger: 'item', formatter: fn('tip'), confine: true },
};

/**
 * A y axis over `values` with 5 % of their span as margin, so no point sits on the frame,
 * and not below 0 for values that never are (a loss axis with a "-1" tick misleads).
 */
function valueAxis(name: string, values: readonly number[]): NonNullable<EChartsOption['yAxis']> {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.05;
  return {
    type: 'value',
    name,
    min: lo >= 0 ? Math.max(0, lo - pad) : lo - pad,
    max: hi + pad,
    axisLine: { onZero: false },
    axisLabel: EDGE_LABELS_HIDDEN,
    nameTextStyle: { align: 'left' },
  };
}

/** An axis padded past its first and last tick shows no label at the (fractional) ends. */
const EDGE_LABELS_HIDDEN = { showMinLabel: false, showMaxLabel: false } as const;

export function buildCharts(report: StudyReport): ReportCharts {
  const charts: ReportCharts = {};
  const history = historyChart(report);
  if (history) charts.history = history;
  const curves = curvesChart(report);
  if (curves) charts.curves = curves;
  const parallel = parallelChart(report);
  if (parallel) charts.parallel = parallel;
  const importance = importanceChart(report);
  if (importance) charts.importance = importance;
  const confusion = confusionChart(report);
  if (confusion) charts.confusion = confusion;
  return charts;
}

function trialTip(report: StudyReport, t: ReportTrial, value: number | null): string[] {
  return [
    `trial ${t.number} · ${STATE_LABELS[t.state]}`,
    `${report.study.metric}: ${formatMetric(value)}`,
    ...Object.entries(t.params).map(([k, v]) => `${k}: ${formatParam(v)}`),
  ];
}

/** Optimisation history: every finished trial's value by number, and the best so far. */
export function historyChart(report: StudyReport): EChartsOption | null {
  const withValue = report.trials.filter((t) => (t.state === 'COMPLETE' || t.state === 'PRUNED') && t.value !== null);
  if (withValue.length === 0) return null;
  const scatter = (state: TrialState, symbol: string): ScatterSeriesOption => ({
    type: 'scatter',
    name: STATE_LABELS[state],
    symbol,
    symbolSize: 9,
    itemStyle: { color: STATE_COLORS[state], opacity: 0.85 },
    data: withValue
      .filter((t) => t.state === state)
      .map((t): TipItem => ({ value: [t.number, t.value], name: `trial ${t.number}`, tip: trialTip(report, t, t.value) })) as ScatterSeriesOption['data'],
  });
  const bestLine: [number, number][] = [];
  let best: number | null = null;
  for (const t of report.trials) {
    if (t.state !== 'COMPLETE' || t.value === null) continue;
    if (best === null || isBetter(report.study.direction, t.value, best)) best = t.value;
    bestLine.push([t.number, best]);
  }
  const lastNumber = report.trials.at(-1)!.number;
  if (bestLine.length > 0 && bestLine.at(-1)![0] < lastNumber) bestLine.push([lastNumber, bestLine.at(-1)![1]]);
  const bestSeries: LineSeriesOption = {
    type: 'line',
    name: 'best so far',
    step: 'end',
    showSymbol: false,
    lineStyle: { color: BEST_COLOR, width: 2 },
    itemStyle: { color: BEST_COLOR },
    data: bestLine,
    tooltip: { show: false },
    z: 1,
  };
  return {
    ...BASE,
    legend: { top: 0, data: ['complete', 'pruned', 'best so far'] },
    // containLabel leaves room for tick labels, not for the axis name below them.
    grid: { left: 16, right: 24, top: 40, bottom: 34, containLabel: true },
    // Half a step of margin around the points, so the first and last are not cut in half.
    xAxis: { type: 'value', name: 'trial', nameLocation: 'middle', nameGap: 26, minInterval: 1, min: -0.5, max: Math.max(1, lastNumber) + 0.5, axisLabel: EDGE_LABELS_HIDDEN },
    yAxis: valueAxis(report.study.metric, withValue.map((t) => t.value as number)),
    series: [scatter('COMPLETE', 'circle'), scatter('PRUNED', 'triangle'), bestSeries],
  };
}

/**
 * Learning curves: the objective per epoch of every trial, one line each, coloured by
 * state; a pruned or failed trial gets a marker where it stopped. Lines of one state share
 * a series name, so the legend has one entry per state however many trials there are.
 */
export function curvesChart(report: StudyReport): EChartsOption | null {
  const withCurve = report.trials.filter((t) => t.curve.length > 0);
  if (withCurve.length === 0) return null;
  const points = withCurve.reduce((s, t) => s + t.curve.length, 0);
  const lines: LineSeriesOption[] = withCurve.map((t) => ({
    type: 'line',
    id: `trial-${t.number}`,
    name: STATE_LABELS[t.state],
    data: t.curve.map(([e, v]) => [e, v]),
    // Symbols on every point only while they stay readable; hovering still shows them.
    showSymbol: points <= 1200,
    symbolSize: 4,
    connectNulls: false,
    lineStyle: { width: 1.5, color: STATE_COLORS[t.state], opacity: 0.75 },
    itemStyle: { color: STATE_COLORS[t.state] },
    emphasis: { focus: 'series', lineStyle: { width: 3, opacity: 1 } },
    tooltip: { formatter: fn('curve') },
  }));
  const stopMarkers = (state: 'PRUNED' | 'FAIL', label: string, symbol: string): ScatterSeriesOption => ({
    type: 'scatter',
    name: label,
    symbol,
    symbolSize: 11,
    itemStyle: { color: STATE_COLORS[state], borderColor: '#fff', borderWidth: 1 },
    z: 5,
    data: withCurve
      .filter((t) => t.state === state)
      .map((t): TipItem => {
        const [epoch, v] = t.curve.at(-1)!;
        const tip = [`trial ${t.number} · ${STATE_LABELS[state]} after epoch ${epoch}`, `${report.study.metric}: ${formatMetric(v)}`];
        if (t.failReason) tip.push(t.failReason.slice(0, 120));
        return { value: [epoch, v], name: `trial ${t.number}`, tip };
      }) as ScatterSeriesOption['data'],
  });
  const states = (['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING'] as const).filter((s) => withCurve.some((t) => t.state === s));
  const markers: ScatterSeriesOption[] = [];
  if (states.includes('PRUNED')) markers.push(stopMarkers('PRUNED', 'pruned here', 'triangle'));
  if (states.includes('FAIL')) markers.push(stopMarkers('FAIL', 'failed here', 'diamond'));
  const maxEpoch = Math.max(...withCurve.map((t) => t.curve.at(-1)![0]));
  return {
    ...BASE,
    legend: { top: 0, data: [...states.map((s) => STATE_LABELS[s]), ...markers.map((m) => m.name as string)] },
    grid: { left: 16, right: 24, top: 40, bottom: 34, containLabel: true },
    xAxis: { type: 'value', name: 'epoch', nameLocation: 'middle', nameGap: 26, minInterval: 1, min: 0.8, max: Math.max(2, maxEpoch) + 0.2, axisLabel: EDGE_LABELS_HIDDEN },
    yAxis: valueAxis(report.study.metric, withCurve.flatMap((t) => t.curve.flatMap(([, v]) => (v === null ? [] : [v])))),
    series: [...lines, ...markers],
  };
}

/** Shown on a parallel axis for a conditional param a trial does not have. */
export const ABSENT = '(not set)';

/**
 * Where a numeric axis puts trials without the param: below its range, 12 % of the axis
 * length under the low end (in log space for a log axis), as Optuna's
 * `plot_parallel_coordinate` does; a label `(not set)` marks the spot.
 */
function notSetPosition(d: Distribution & { type: 'float' | 'int' }): { value: number; labelBelow: number } {
  const f = d.log ? Math.log10 : (v: number): number => v;
  const inv = d.log ? (v: number): number => 10 ** v : (v: number): number => v;
  const lo = f(d.low);
  const hi = f(d.high);
  const at = lo === hi ? lo - 1 : lo - ((hi - lo) * 0.12) / 0.88;
  return { value: inv(at), labelBelow: inv((at + lo) / 2) };
}

/**
 * An axis name that fits between neighbouring axes on a laptop screen (a plot about
 * 1000 px wide, about 7 px per character): longer names wrap onto a second line, at an
 * underscore, dash or space when there is one, and what still does not fit ends with an
 * ellipsis (the search-space table lists every name in full).
 */
export function wrapAxisName(name: string, axes: number): string {
  const perLine = Math.max(8, Math.min(24, Math.floor((1000 / Math.max(1, axes - 1) - 12) / 7)));
  if (name.length <= perLine) return name;
  const window = name.slice(0, perLine + 1);
  const cut = Math.max(window.lastIndexOf('_'), window.lastIndexOf('-'), window.lastIndexOf(' '));
  const split = cut >= perLine / 2 ? cut + 1 : perLine;
  const first = name.slice(0, split);
  const rest = name.slice(split);
  return `${first}\n${rest.length <= perLine ? rest : `${rest.slice(0, perLine - 1)}…`}`;
}

/**
 * Parallel coordinates of the completed trials: one axis per param (category axes for
 * categoricals, log axes for log-scaled params) and the objective last, lines coloured by
 * the objective. A conditional param a trial lacks sits on a category value `(not set)`
 * for categoricals; for numbers the line skips that axis (ECharts leaves a gap).
 */
export function parallelChart(report: StudyReport): EChartsOption | null {
  const completed = report.trials.filter((t) => t.state === 'COMPLETE' && t.value !== null);
  if (completed.length === 0 || report.space.length === 0) return null;
  const params = report.space;
  const absent = params.map((p) => completed.some((t) => !(p.name in t.params)));
  const axes = params.map((p, dim) => ({ dim, name: wrapAxisName(p.name, params.length + 1), ...axisFor(p.distribution, absent[dim]) }));
  const objectiveDim = params.length;
  const values = completed.map((t) => t.value as number);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const data: TipItem[] = completed.map((t) => ({
    name: `trial ${t.number}`,
    value: [...params.map((p) => axisValue(p.distribution, t.params[p.name])), t.value as number],
    tip: trialTip(report, t, t.value),
  }));
  const series: ParallelSeriesOption = {
    type: 'parallel',
    name: report.study.metric,
    lineStyle: { width: 1.5, opacity: 0.7 },
    emphasis: { focus: 'self', lineStyle: { width: 3, opacity: 1 } },
    data: data as ParallelSeriesOption['data'],
  };
  // Best values dark: the visual map runs towards the better end.
  const palette = ['#fdba74', '#818cf8', '#1e3a8a'];
  return {
    ...BASE,
    parallel: {
      left: 48,
      // Room for the last axis' tick labels and, right of them, the visual map.
      right: 150,
      // Two lines of axis name.
      top: 70,
      bottom: 32,
      parallelAxisDefault: {
        nameLocation: 'end',
        nameGap: 14,
        nameTextStyle: { fontSize: 12, color: '#111827', lineHeight: 14 },
        // Tick labels above the lines, haloed, so that they stay readable under many trials.
        z: 10,
        axisLabel: { fontSize: 11, hideOverlap: true, width: 90, overflow: 'truncate', textBorderColor: '#fff', textBorderWidth: 3 },
      },
    },
    parallelAxis: [
      ...axes,
      { dim: objectiveDim, name: wrapAxisName(report.study.metric, params.length + 1), type: 'value', min: roundDown(min, max), max: roundUp(min, max), nameTextStyle: { fontWeight: 'bold' } },
    ],
    visualMap: {
      type: 'continuous',
      dimension: objectiveDim,
      min,
      max: max > min ? max : min + 1,
      right: 8,
      top: 'middle',
      itemHeight: 160,
      calculable: true,
      precision: 3,
      text: [report.study.direction === 'maximize' ? 'better' : 'worse', report.study.direction === 'maximize' ? 'worse' : 'better'],
      inRange: { color: report.study.direction === 'maximize' ? palette : [...palette].reverse() },
    },
    series: [series],
  };
}

type AxisSpec =
  | { readonly type: 'category'; readonly data: string[] }
  | {
      readonly type: 'log' | 'value';
      readonly min: number;
      readonly max: number;
      readonly minInterval?: number;
      readonly axisLabel?: { readonly formatter: string; readonly showMinLabel: boolean };
    };

function axisFor(d: Distribution, absent: boolean): AxisSpec {
  if (d.type === 'categorical') return { type: 'category', data: [...d.choices.map(String), ...(absent ? [ABSENT] : [])] };
  const notSet = absent ? notSetPosition(d) : null;
  return {
    type: d.log ? 'log' : 'value',
    min: notSet ? notSet.value : d.low,
    max: d.high,
    ...(d.type === 'int' && !d.log ? { minInterval: 1 } : {}),
    ...(notSet ? { axisLabel: { formatter: fn('notSet', notSet.labelBelow), showMinLabel: true } } : {}),
  };
}

function axisValue(d: Distribution, v: ParamValue | undefined): number | string {
  if (d.type === 'categorical') return v === undefined ? ABSENT : String(v);
  return typeof v === 'number' ? v : notSetPosition(d).value;
}

/** Axis ends a little outside the data, at a round number of the data's own magnitude. */
function roundDown(min: number, max: number): number {
  const step = niceStep(min, max);
  return multipleOf(Math.floor(min / step), step);
}

function roundUp(min: number, max: number): number {
  const step = niceStep(min, max);
  const up = multipleOf(Math.ceil(max / step), step);
  return up > roundDown(min, max) ? up : multipleOf(Math.ceil(max / step) + 1, step);
}

/** k·step without the binary residue (6 × 0.1 = 0.6000000000000001) that axis labels would print. */
function multipleOf(k: number, step: number): number {
  return Number((k * step).toPrecision(12));
}

function niceStep(min: number, max: number): number {
  const span = max - min || Math.abs(max) || 1;
  return 10 ** Math.floor(Math.log10(span / 2));
}

/** Parameter importance as horizontal bars, the most important on top. */
export function importanceChart(report: StudyReport): EChartsOption | null {
  const imp = report.importance;
  if (imp.status !== 'ok') return null;
  const rows = [...imp.importances].reverse();
  const bars: BarSeriesOption = {
    type: 'bar',
    name: 'importance',
    barMaxWidth: 22,
    itemStyle: { color: '#2563eb', borderRadius: [0, 3, 3, 0] },
    label: { show: true, position: 'right', formatter: fn('percent', 1), fontSize: 12, color: '#111827' },
    data: rows.map(
      (r) => ({
        value: round1(100 * r.importance),
        name: r.name,
        tip: [r.name, `importance: ${(100 * r.importance).toFixed(1)} %`, `spread over the ${imp.trees} trees: ± ${(100 * r.std).toFixed(1)} %`],
      }),
    ) as BarSeriesOption['data'],
  };
  return {
    ...BASE,
    grid: { left: 16, right: 64, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value} %' }, splitNumber: 5 },
    yAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { width: 180, overflow: 'truncate', fontSize: 12 } },
    series: [bars],
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Confusion matrix of the best trial as a heatmap: true class down, predicted class
 * across, counts in the cells, colour by the share of the true class (so a rare class's
 * row is as readable as the majority's).
 */
export function confusionChart(report: StudyReport): EChartsOption | null {
  const cm = report.best?.confusion;
  if (!cm) return null;
  const k = cm.counts.length;
  const classes = Array.from({ length: k }, (_, i) => report.classes[i] ?? String(i));
  const data: TipItem[] = [];
  cm.counts.forEach((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    row.forEach((count, j) => {
      const share = total > 0 ? count / total : 0;
      data.push({
        value: [j, i, count, Math.round(1000 * share) / 1000],
        tip: [`true ${classes[i]}, predicted ${classes[j]}`, `${count} of ${total} (${(100 * share).toFixed(1)} % of class ${classes[i]})`],
      });
    });
  });
  const heat: HeatmapSeriesOption = {
    type: 'heatmap',
    name: 'confusion matrix',
    label: { show: true, formatter: '{@[2]}', fontSize: k > 8 ? 10 : 13 },
    emphasis: { itemStyle: { borderColor: '#111827', borderWidth: 1 } },
    data: data as HeatmapSeriesOption['data'],
  };
  return {
    ...BASE,
    grid: { left: 16, right: 24, top: 36, bottom: 64, containLabel: true },
    xAxis: {
      type: 'category',
      data: classes,
      name: 'predicted class',
      nameLocation: 'middle',
      nameGap: 30,
      position: 'bottom',
      axisLabel: { interval: 0, hideOverlap: true, rotate: k > 8 ? 45 : 0, width: 80, overflow: 'truncate' },
      splitArea: { show: true },
    },
    yAxis: {
      type: 'category',
      data: classes,
      inverse: true,
      name: 'true class',
      // The axis is inverted (first class on top): its start is the top.
      nameLocation: 'start',
      axisLabel: { interval: 0, width: 100, overflow: 'truncate' },
      splitArea: { show: true },
    },
    visualMap: {
      type: 'continuous',
      dimension: 3,
      min: 0,
      max: 1,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemWidth: 12,
      itemHeight: 160,
      precision: 2,
      text: ['100 % of the true class', '0 %'],
      inRange: { color: ['#f8fafc', '#93c5fd', '#1d4ed8'] },
    },
    series: [heat],
  };
}
