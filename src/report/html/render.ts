/**
 * The report as one self-contained HTML document: our stylesheet, Apache ECharts' minified
 * source and our page script inlined, the data as JSON blocks. A Content-Security-Policy
 * forbids every network request, so the page works offline and cannot leak the study
 * anywhere.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Distribution } from '../../core/search-space.js';
import type { TrialState } from '../../core/trial.js';
import { buildCharts, FONT_FAMILY, STATE_COLORS, STATE_LABELS, type ChartId } from './charts.js';
import { CHART_DATA_ID, CHART_ID_PREFIX, CLIENT_SCRIPT, REPORT_DATA_ID, type ChartMeta } from './client.js';
import type { LeaderboardEntry, Settings, StudyReport } from './collect.js';
import { formatDuration, formatMetric, formatNumber, formatParam, formatSetting, jsonForScript } from './format.js';
import { html, raw, type Markup } from './markup.js';

/** The minified ECharts build shipped in the `echarts` dependency. */
export function loadEchartsSource(): string {
  return readFileSync(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'), 'utf8');
}

/** Keeps an inlined script from ending its own `<script>` element early. */
function inlineScript(source: string): Markup {
  return raw(source.replace(/<\/(script)/gi, '<\\/$1'));
}

const STATE_ORDER: readonly TrialState[] = ['COMPLETE', 'PRUNED', 'FAIL', 'RUNNING', 'WAITING'];

export function renderReportHtml(report: StudyReport, echartsSource: string): string {
  const charts = buildCharts(report);
  const meta: ChartMeta = { metric: report.study.metric };
  const sections: [string, string, Markup][] = [
    ['summary', 'Summary', summarySection(report)],
    ['history', 'Optimisation history', historySection(report, 'history' in charts)],
    ['curves', 'Learning curves', curvesSection(report, 'curves' in charts)],
    ['parallel', 'Parallel coordinates', parallelSection(report, 'parallel' in charts)],
    ['importance', 'Parameter importance', importanceSection(report, 'importance' in charts)],
    ['leaderboard', 'Leaderboard', leaderboardSection(report)],
    ['confusion', 'Confusion matrix of the best trial', confusionSection(report, 'confusion' in charts)],
  ];
  const s = report.study;
  const doc = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="hpsearch report">
<title>${s.name} · hpsearch report</title>
<link rel="icon" href="data:,">
<style>${raw(STYLE)}</style>
</head>
<body>
<header>
  <div class="wrap">
    <h1>${s.name}</h1>
    <p class="sub">hpsearch study report · ${s.model ?? 'model not recorded'} · objective ${s.metric} (${s.direction}) · generated ${displayDate(report.generatedAt)}</p>
    <nav>${sections.map(([id, title]) => html`<a href="#${id}">${title}</a>`)}</nav>
  </div>
</header>
<main class="wrap">
${sections.map(([id, title, body]) => html`<section id="${id}">
<h2>${title}</h2>
${body}
</section>
`)}
</main>
<footer class="wrap">Written by <code>hpsearch report</code>. Charts: Apache ECharts (Apache License 2.0), inlined; the page makes no network request.</footer>
<script type="application/json" id="${REPORT_DATA_ID}">${raw(jsonForScript(report))}</script>
<script type="application/json" id="${CHART_DATA_ID}">${raw(jsonForScript({ meta, charts }))}</script>
<script>${inlineScript(echartsSource)}</script>
<script>${inlineScript(CLIENT_SCRIPT)}</script>
</body>
</html>
`;
  return doc.text;
}

function chartBox(id: ChartId, heightPx: number, extraClass = ''): Markup {
  return html`<div class="chart ${extraClass}" id="${CHART_ID_PREFIX}${id}" style="height:${heightPx}px"></div>`;
}

function empty(text: string): Markup {
  return html`<p class="empty">${text}</p>`;
}

function displayDate(iso: string | null): string {
  if (iso === null) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

// ------------------------------------------------------------------ summary

function settingsTable(settings: Settings | null, emptyText: string): Markup {
  if (settings === null || Object.keys(settings).length === 0) return empty(emptyText);
  return html`<table class="kv">${Object.entries(settings).map(
    ([k, v]) => html`<tr><th>${k}</th><td>${v === null ? '—' : typeof v === 'number' ? formatSetting(v) : String(v)}</td></tr>`,
  )}</table>`;
}

function stateChip(state: TrialState, text: string = STATE_LABELS[state], title: string | null = null): Markup {
  return html`<span class="chip" style="background:${STATE_COLORS[state]}"${title ? html` title="${title}"` : ''}>${text}</span>`;
}

function domainText(d: Distribution): string {
  if (d.type === 'categorical') return d.choices.map(String).join(', ');
  const step = d.step !== null && !(d.type === 'int' && d.step === 1) ? `, step ${formatNumber(d.step)}` : '';
  return `[${formatSetting(d.low)}, ${formatSetting(d.high)}]${step}`;
}

function summarySection(r: StudyReport): Markup {
  const s = r.study;
  const finished = r.counts.COMPLETE + r.counts.PRUNED + r.counts.FAIL;
  const total = STATE_ORDER.reduce((n, st) => n + r.counts[st], 0);
  const backends = r.backendsUsed.length ? r.backendsUsed.map((b) => `${b.name} (${b.trials} trial${b.trials === 1 ? '' : 's'})`).join(', ') : '—';
  const wall = r.wallTime;
  const study = html`<table class="kv">
<tr><th>study</th><td>${s.name}</td></tr>
<tr><th>model</th><td>${s.model ?? '—'}</td></tr>
<tr><th>objective</th><td>${s.metric}, ${s.direction === 'maximize' ? 'maximised' : 'minimised'}</td></tr>
<tr><th>trials</th><td>${total} (${finished} finished)<div class="chips">${STATE_ORDER.filter((st) => r.counts[st] > 0).map((st) => stateChip(st, `${r.counts[st]} ${STATE_LABELS[st]}`))}</div></td></tr>
<tr><th>best</th><td>${r.best ? `trial ${r.best.number}: ${s.metric} ${formatMetric(r.best.value)}` : 'no completed trial yet'}</td></tr>
<tr><th>wall time</th><td>${formatDuration(wall.seconds)}${wall.start ? html`<div class="muted">${displayDate(wall.start)} → ${displayDate(wall.end)}</div>` : ''}</td></tr>
<tr><th>backend</th><td>${r.backendRequested ?? '—'} requested; used: ${backends}</td></tr>
<tr><th>created</th><td>${displayDate(s.createdAt)} (${s.origin === 'yaml' ? 'from YAML' : 'through the library API'})</td></tr>
</table>`;
  const space = r.space.length
    ? html`<table class="data space"><thead><tr><th class="text">param</th><th class="text">type</th><th class="text">range or choices</th><th class="text">scale</th><th class="text">only when</th></tr></thead>
<tbody>${r.space.map(
        (p) => html`<tr><td class="text"><code>${p.name}</code></td><td class="text">${p.distribution.type}</td><td class="text">${domainText(p.distribution)}</td><td class="text">${p.distribution.type !== 'categorical' && p.distribution.log ? 'log' : p.distribution.type === 'categorical' ? '—' : 'linear'}</td><td class="text">${p.condition ?? ''}</td></tr>`,
      )}</tbody></table>`
    : empty('The study stores no search space.');
  return html`<div class="cards">
<div class="card"><h3>Study</h3>${study}</div>
<div class="card"><h3>Sampler</h3>${settingsTable(r.sampler, 'not recorded')}<h3>Pruner</h3>${settingsTable(r.pruner, 'not recorded')}${r.budget ? html`<h3>Budget</h3>${settingsTable(r.budget, '')}` : ''}</div>
<div class="card"><h3>Data</h3>${settingsTable(r.data, 'not recorded (a study created through the library API)')}${r.classes.length ? html`<p class="muted">classes: ${r.classes.join(', ')}</p>` : ''}${r.earlyStopping ? html`<h3>Early stopping</h3>${settingsTable(r.earlyStopping, '')}` : ''}</div>
</div>
<h3>Search space</h3>
<div class="scroll">${space}</div>`;
}

// ------------------------------------------------------------------ charts

function historySection(r: StudyReport, hasChart: boolean): Markup {
  if (!hasChart) return empty('No trial has finished with a value yet.');
  const failed = r.counts.FAIL;
  return html`<p class="lead">Each finished trial's ${r.study.metric} by trial number (pruned trials at the value they were stopped at) and the best completed value so far.${failed ? ` ${failed} failed trial${failed === 1 ? ' has' : 's have'} no value and ${failed === 1 ? 'is' : 'are'} not shown.` : ''}</p>
${chartBox('history', 340)}`;
}

function curvesSection(r: StudyReport, hasChart: boolean): Markup {
  if (!hasChart) return empty('No trial has reported an epoch yet.');
  const silent = r.trials.filter((t) => t.curve.length === 0 && (t.state === 'FAIL' || t.state === 'PRUNED')).length;
  return html`<p class="lead">${r.study.metric} on the validation split after every epoch, one line per trial. A triangle marks where a pruned trial was stopped, a diamond where a failed one ended. Hover a line to see its trial; click a legend entry to hide a group.${silent ? ` ${silent} trial${silent === 1 ? '' : 's'} ended before ${silent === 1 ? 'its' : 'their'} first epoch.` : ''}</p>
${chartBox('curves', 360)}`;
}

function parallelSection(r: StudyReport, hasChart: boolean): Markup {
  if (!hasChart) return empty(r.space.length === 0 ? 'The study stores no search space.' : 'No completed trial yet.');
  const n = r.trials.filter((t) => t.state === 'COMPLETE' && t.value !== null).length;
  return html`<p class="lead">The ${n} completed trial${n === 1 ? '' : 's'}: one axis per parameter (categorical parameters on category axes, log-scaled ones on log axes), ${r.study.metric} on the last axis, lines coloured by it. Drag along an axis to select a range.</p>
${chartBox('parallel', 420)}`;
}

/** Below this many completed trials the importance section says the shares are rough. */
const FEW_TRIALS = 10;

function importanceSection(r: StudyReport, hasChart: boolean): Markup {
  const imp = r.importance;
  const method = html`<details class="method" ${hasChart ? raw('open') : ''}><summary>How the importances are computed</summary>
<p>This is <strong>fANOVA</strong> (functional analysis of variance; Hutter, Hoos &amp; Leyton-Brown, <em>An Efficient Approach for Assessing Hyperparameter Importance</em>, ICML 2014), computed as Optuna's <code>FanovaImportanceEvaluator</code> does. A random forest of regression trees (bootstrap samples, a random 70 % of the encoded parameters tried at each split, fixed seed: the same trials always give the same result) is fitted to predict ${r.study.metric} from the parameters of the completed trials; log-scaled parameters enter as their logarithm and categorical ones one-hot encoded. Each tree cuts the search space into boxes with a constant prediction. For one parameter, fANOVA averages the tree's prediction over all the other parameters (the parameter's <em>marginal</em>) and measures how much that marginal varies over the parameter's range, as a fraction of how much the prediction varies over the whole space. These fractions are averaged over the trees and scaled so that the parameters' shares sum to 100 %.</p>
<p>Read the shares with the number of trials in mind: with a few dozen trials the forest is a rough model and shares of a few percent are noise. A parameter that is only set under a condition (<code>when</code>) is missing from some trials; as in Optuna, such parameters are not assessed.</p></details>`;
  if (imp.status !== 'ok') return html`${empty(`Not enough data for parameter importance: ${imp.reason}`)}${method}`;
  const notes: Markup[] = [];
  const trees = imp.trees === imp.forestSize ? `${imp.trees} trees` : `${imp.trees} of ${imp.forestSize} trees (the others drew one repeated value and predict a constant)`;
  notes.push(html`<p class="lead">Share of the variance of ${r.study.metric} that each parameter explains on its own, from ${imp.subsampled ? `a random ${imp.trialsUsed} of the ${r.counts.COMPLETE}` : imp.trialsUsed} completed trials and ${trees}. Together the single parameters explain ${(100 * imp.mainEffectsShare).toFixed(0)} % of the forest's variance; the rest comes from interactions between parameters.${imp.trialsUsed < FEW_TRIALS ? ` With only ${imp.trialsUsed} completed trials these shares are a rough first look.` : ''}</p>`);
  const chart = chartBox('importance', Math.max(120, 28 * imp.importances.length + 40));
  const skipped = imp.notAssessed.length
    ? html`<p class="muted">Not assessed: ${imp.notAssessed.map((n, i) => html`${i ? ', ' : ''}<code>${n.name}</code> (${n.reason})`)}.</p>`
    : '';
  return html`${notes}<div class="split"><div>${chart}${skipped}</div><div class="side">${method}</div></div>`;
}

// ------------------------------------------------------------------ leaderboard

/** Validation metrics shown first, in this order; the rest alphabetically. */
const METRIC_ORDER = ['val_loss', 'accuracy', 'recall_macro', 'precision_macro', 'f1_macro', 'auroc_macro', 'f1_micro', 'loss', 'lr'];

function orderMetrics(names: Iterable<string>): string[] {
  const rank = (m: string): number => {
    const i = METRIC_ORDER.indexOf(m);
    return i < 0 ? METRIC_ORDER.length : i;
  };
  return [...new Set(names)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A column header: the label shown, and a longer explanation on hover. */
function metricLabel(name: string, group: 'val' | 'test'): { label: string; title: string } {
  if (group === 'val' && name === 'loss') return { label: 'train loss', title: 'training loss of the best epoch' };
  return { label: name, title: group === 'val' ? `${name} at the best epoch (validation split)` : `test_${name}: final evaluation of the best weights on the test split` };
}

function leaderboardSection(r: StudyReport): Markup {
  const rows = r.leaderboard;
  if (rows.length === 0) return empty('No trial has finished yet.');
  const all = rows.flatMap((e) => Object.keys(e.metrics));
  const valMetrics = orderMetrics(all.filter((m) => !m.startsWith('test_') && m !== r.study.metric));
  const testMetrics = orderMetrics(all.filter((m) => m.startsWith('test_')).map((m) => m.slice(5)));
  const nRecall = Math.max(0, ...rows.map((e) => e.recallPerClass?.length ?? 0));
  const classes = Array.from({ length: nRecall }, (_, i) => r.classes[i] ?? String(i));
  const params = r.space.length ? r.space.map((p) => p.name) : [...new Set(rows.flatMap((e) => Object.keys(e.params)))];
  const group = (label: string, span: number, cls: string): Markup | '' => (span > 0 ? html`<th colspan="${span}" class="group ${cls}">${label}</th>` : '');
  const head = html`<thead>
<tr>${group('trial', 4, 'g-trial')}${group('validation, best epoch', valMetrics.length, 'g-val')}${group('test, best weights', testMetrics.length, 'g-test')}${group('recall per class (validation)', nRecall, 'g-recall')}${group('parameters', params.length, 'g-params')}${group('run', 2, 'g-run')}</tr>
<tr><th>rank</th><th>#</th><th class="text">state</th><th title="${r.study.metric} (objective)">${r.study.metric}</th>${valMetrics.map((m) => {
    const { label, title } = metricLabel(m, 'val');
    return html`<th title="${title}">${label}</th>`;
  })}${testMetrics.map((m) => {
    const { label, title } = metricLabel(m, 'test');
    return html`<th title="${title}">${label}</th>`;
  })}${classes.map((c) => html`<th class="recall" title="validation recall of class ${c}">${c}</th>`)}${params.map((p) => html`<th class="text">${p}</th>`)}<th>epochs</th><th>duration</th></tr>
</thead>`;
  const body = rows.map((e: LeaderboardEntry) => {
    const best = r.best?.number === e.number;
    return html`<tr class="${best ? 'best' : ''}"><td>${e.state === 'COMPLETE' ? e.rank : ''}</td><td>${e.number}</td><td class="text">${stateChip(e.state, STATE_LABELS[e.state], e.failReason)}</td><td class="value">${formatMetric(e.value)}</td>${valMetrics.map(
      (m) => html`<td>${formatMetric(e.metrics[m])}</td>`,
    )}${testMetrics.map((m) => html`<td>${formatMetric(e.metrics[`test_${m}`])}</td>`)}${classes.map((_, i) => recallCell(e.recallPerClass?.[i]))}${params.map(
      (p) => html`<td class="text">${formatParam(e.params[p])}</td>`,
    )}<td>${e.epochs}</td><td>${formatDuration(e.durationS)}</td></tr>`;
  });
  const nComplete = rows.filter((e) => e.state === 'COMPLETE').length;
  return html`<p class="lead">${rows.length} finished trial${rows.length === 1 ? '' : 's'}: the ${nComplete} completed ones ranked by ${r.study.metric} (${r.study.direction === 'maximize' ? 'highest' : 'lowest'} first), then pruned and failed ones. Validation metrics are those of each trial's best epoch; test metrics are the final evaluation of the best weights (completed trials only). Scroll sideways for more columns.</p>
<div class="scroll leaderboard"><table class="data" id="leaderboard-table">${head}<tbody>${body}</tbody></table></div>`;
}

/** A recall cell shaded by its value, so weak classes stand out. */
function recallCell(v: number | undefined): Markup {
  if (v === undefined || !Number.isFinite(v)) return html`<td class="recall">—</td>`;
  const alpha = (0.08 + 0.5 * Math.max(0, Math.min(1, v))).toFixed(2);
  return html`<td class="recall" style="background:rgba(37,99,235,${alpha})">${formatMetric(v)}</td>`;
}

function confusionSection(r: StudyReport, hasChart: boolean): Markup {
  if (!r.best) return empty('No completed trial yet.');
  if (!hasChart) return empty(`Trial ${r.best.number} stored no confusion matrix (multi-label data or a study run through the library API).`);
  const cm = r.best.confusion!;
  const k = cm.counts.length;
  const n = cm.counts.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  const classes = Array.from({ length: k }, (_, i) => r.classes[i] ?? String(i));
  const perClass = r.best.perClass;
  const table = html`<table class="data per-class" id="per-class-table"><thead><tr><th class="text">class</th><th>samples</th>${perClass.map((m) => html`<th>${m.metric === 'f1' ? 'F1' : m.metric}</th>`)}</tr></thead>
<tbody>${classes.map(
    (c, i) => html`<tr><td class="text">${c}</td><td>${cm.counts[i].reduce((a, b) => a + b, 0)}</td>${perClass.map((m) => html`<td>${formatMetric(m.values[i])}</td>`)}</tr>`,
  )}</tbody></table>`;
  return html`<p class="lead">Trial ${r.best.number} (${r.study.metric} ${formatMetric(r.best.value)}) on the ${cm.split === 'test' ? 'test split, with its best weights' : 'validation split, at its best epoch'}: ${n} samples. Rows are the true class, columns the predicted one; cells show counts, shaded by the share of the row.</p>
<div class="split">${chartBox('confusion', Math.min(720, 150 + 56 * k), 'square')}<div class="side">${table}</div></div>`;
}

const STYLE = `
:root { --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; --card: #fff; --accent: #2563eb; }
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; font: 14px/1.5 ${FONT_FAMILY}; color: var(--fg); background: var(--bg); }
.wrap { max-width: 1280px; margin: 0 auto; padding-left: 24px; padding-right: 24px; }
header { background: var(--card); border-bottom: 1px solid var(--line); padding-top: 18px; padding-bottom: 10px; }
header h1 { font-size: 24px; margin: 0; word-break: break-word; }
header .sub { margin: 2px 0 10px; color: var(--muted); }
nav { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
nav a { color: var(--accent); text-decoration: none; }
nav a:hover { text-decoration: underline; }
main { padding-top: 8px; padding-bottom: 24px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px 18px; margin: 16px 0; scroll-margin-top: 8px; }
h2 { font-size: 18px; margin: 0 0 6px; }
h3 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 14px 0 6px; }
.card h3:first-child { margin-top: 0; }
.lead { color: #374151; margin: 0 0 10px; max-width: 110ch; }
.muted { color: var(--muted); font-size: 13px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
.chart { width: 100%; min-width: 0; }
.split { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 28px; align-items: start; }
.split .side { min-width: 0; }
@media (max-width: 900px) { .split { grid-template-columns: minmax(0, 1fr); } }
.empty { color: var(--muted); font-style: italic; padding: 10px 12px; background: #f9fafb; border: 1px dashed #d1d5db; border-radius: 6px; margin: 4px 0 8px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; min-width: 0; }
table { border-collapse: collapse; font-size: 13px; }
table.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: 2px 14px 2px 0; white-space: nowrap; vertical-align: top; }
table.kv td { padding: 2px 0; overflow-wrap: anywhere; }
.chips { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 2px; }
.chip { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; line-height: 19px; color: #fff; white-space: nowrap; }
.scroll { overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
.scroll.leaderboard { max-height: 560px; }
table.data { width: max-content; min-width: 100%; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: 4px 9px; border-bottom: 1px solid var(--line); white-space: nowrap; text-align: right; }
table.data th { background: #f9fafb; font-weight: 600; font-size: 12px; }
table.data .text { text-align: left; }
table.data thead { position: sticky; top: 0; z-index: 1; }
table.data th.group { text-align: center; font-weight: 600; color: #374151; border-left: 2px solid #fff; }
th.g-val { background: #e0ecff; } th.g-test { background: #dcfce7; } th.g-recall { background: #e0e7ff; } th.g-params { background: #fef3c7; } th.g-run, th.g-trial { background: #f3f4f6; }
table.data tbody tr:hover td { background-color: #f9fafb; }
table.data tr.best td { font-weight: 600; }
table.data td.value { font-weight: 600; }
table.space td { white-space: normal; }
details.method { font-size: 13px; color: #374151; max-width: 110ch; }
details.method p:first-of-type { margin-top: 6px; }
table.per-class { width: auto; min-width: 0; }
details.method summary { cursor: pointer; color: var(--accent); }
footer { color: var(--muted); font-size: 12px; padding-bottom: 24px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } nav { display: none; } .scroll { max-height: none; overflow: visible; } }
`;
