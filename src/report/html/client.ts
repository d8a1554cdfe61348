/**
 * The script the report page runs after the inlined ECharts: it reads the chart options
 * from the page's JSON block, swaps `$fn:<name>` markers for the tooltip functions below,
 * renders every chart into its container and keeps the charts sized to their containers.
 *
 * Plain ES2017 in a string (the project compiles for Node without DOM types; this runs in
 * the browser only). It touches nothing outside the page: no fetch, no storage.
 */
import type { FormatterName } from './charts.js';

/** The element ids the script and the page agree on. */
export const CHART_DATA_ID = 'hpsearch-charts';
export const REPORT_DATA_ID = 'hpsearch-report';
export const CHART_ID_PREFIX = 'chart-';

/** What the page's JSON block holds besides the options. */
export interface ChartMeta {
  readonly metric: string;
}

// Checked at compile time: every formatter an option may name has a factory here. A
// factory takes the marker's numeric argument (if any) and returns the formatter.
const FORMATTERS: Readonly<Record<FormatterName, string>> = {
  tip: `function () {
    return function (p) {
      var d = p.data;
      if (d && d.tip) return d.tip.map(esc).join('<br>');
      return esc(p.name == null ? '' : String(p.name));
    };
  }`,
  curve: `function () {
    return function (p) {
      var trial = String(p.seriesId || '').replace('trial-', 'trial ');
      var v = Array.isArray(p.value) ? p.value : [];
      return esc(trial + ' · ' + p.seriesName) + '<br>' + esc('epoch ' + v[0] + ': ' + meta.metric + ' ' + num(v[1]));
    };
  }`,
  percent: `function (digits) {
    return function (p) { return Number(p.value).toFixed(digits) + ' %'; };
  }`,
  // Axis labels of a numeric parallel axis whose lowest position holds the trials without the param.
  notSet: `function (below) {
    return function (value) { return value < below ? '(not set)' : String(Number(value.toPrecision(6))); };
  }`,
};

export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var block = JSON.parse(document.getElementById(${JSON.stringify(CHART_DATA_ID)}).textContent);
  var meta = block.meta;
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  function num(v) {
    if (v === null || v === undefined || isNaN(v)) return '—';
    var a = Math.abs(v);
    if (v === 0) return '0';
    if (a < 1e-3 || a >= 1e6) return v.toExponential(2);
    return v.toPrecision(4);
  }
  var formatters = {
${Object.entries(FORMATTERS)
  .map(([name, body]) => `    ${JSON.stringify(name)}: ${body}`)
  .join(',\n')}
  };
  function resolve(node) {
    if (typeof node === 'string' && node.indexOf('$fn:') === 0) {
      var parts = node.split(':');
      var factory = formatters[parts[1]];
      if (!factory) throw new Error('hpsearch report: no formatter ' + node);
      return factory(parts.length > 2 ? Number(parts.slice(2).join(':')) : undefined);
    }
    if (Array.isArray(node)) return node.map(resolve);
    if (node && typeof node === 'object') {
      var out = {};
      Object.keys(node).forEach(function (k) { out[k] = resolve(node[k]); });
      return out;
    }
    return node;
  }
  var charts = [];
  Object.keys(block.charts).forEach(function (id) {
    var el = document.getElementById(${JSON.stringify(CHART_ID_PREFIX)} + id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    chart.setOption(resolve(block.charts[id]));
    charts.push(chart);
  });
  // Charts follow their containers (window resize, print layout, a zoomed page).
  var frame = 0;
  function resizeAll() {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (typeof ResizeObserver === 'function') {
    var observer = new ResizeObserver(resizeAll);
    charts.forEach(function (c) { observer.observe(c.getDom()); });
  }
  window.addEventListener('resize', resizeAll);
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
})();`;
