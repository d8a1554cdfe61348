import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { createStudy, TrialPruned } from '../../src/index.js';
import { CLI, hpsearch, type CliResult } from '../cli/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));
/** User input that would break out of markup or a script block if it were not escaped. */
const EVIL = 'evil</script><img src=x onerror="window.pwned=1">';

let dir: string;
let db: string;

interface LeaderboardJson {
  readonly number: number;
  readonly state: string;
  readonly value: number | null;
  readonly epochs: number;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-report-'));
  db = join(dir, 'trials.db');
  // The tiny fixture, with a model and learning rates that learn something in 3 epochs, so
  // that trials differ and parameter importance has something to explain.
  const yaml = readFileSync(FIXTURE, 'utf8')
    .replace(/learning_rate: \{[^}]*\}/, 'learning_rate: {type: float, low: 3.0e-3, high: 5.0e-2, log: true}')
    .replace(/defaults: \{[^}]*\}/, 'defaults: {hidden: 16, gru_hidden: 16, num_layers: 1, num_blocks: 1, batch_size: 32}');
  assert.match(yaml, /high: 5\.0e-2/);
  assert.match(yaml, /hidden: 16/);
  writeFileSync(join(dir, 'tiny.yaml'), yaml);
  // Trial 3 fails on purpose: the report must show failed trials too. While the study
  // runs, reports of it are written again and again: reading must not disturb it.
  const run = spawn(process.execPath, [CLI, 'run', 'tiny.yaml', '--db', db, '--trials', '5', '--epochs', '3'], {
    cwd: dir,
    env: { ...process.env, HPSEARCH_FAULT: 'throw@3' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  run.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((res) => run.on('exit', (code) => res(code)));
  let running = true;
  void exited.then(() => (running = false));
  let reportsWhileRunning = 0;
  while (running) {
    if (!existsSync(db)) {
      await new Promise((res) => setTimeout(res, 100));
      continue;
    }
    const r = await hpsearchAsync(['report', 'tiny', '--db', db, '--out', join(dir, 'during-run.html')]);
    // Before the study exists in the file, the report says so (exit 2); never anything else.
    assert.ok(r.code === 0 || (r.code === 2 && /no study named "tiny"/.test(r.stderr)), r.stderr);
    if (running && r.code === 0) reportsWhileRunning++;
  }
  assert.equal(await exited, 0, stderr);
  assert.ok(reportsWhileRunning >= 1, 'no report was written while the study ran');

  // A study made through the library API, named and parametrised with markup, with a
  // conditional param, and a study with no finished trial.
  const evil = await createStudy({
    storage: db,
    name: EVIL,
    direction: 'minimize',
    space: {
      x: { type: 'float', low: -4, high: 4 },
      opt: { type: 'categorical', choices: ['a', '<b>b</b>'] },
      wd: { type: 'float', low: 1e-5, high: 1e-1, log: true, when: { opt: 'a' } },
    },
    sampler: { type: 'random', seed: 2 },
    pruner: { type: 'median', n_startup_trials: 3 },
  });
  await evil.optimize(
    async (t) => {
      const x = t.params.x as number;
      for (let step = 1; step <= 3; step++) if (await t.report(step, x * x + 1 / step)) throw new TrialPruned();
      return x * x + (t.params.opt === 'a' ? 0 : 3);
    },
    { trials: 12 },
  );
  await evil.storage.close();
  const empty = await createStudy({ storage: db, name: 'empty', space: { x: { type: 'float', low: 0, high: 1 } } });
  await empty.storage.close();
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** `hpsearch` without blocking the event loop (so a child process' exit is seen meanwhile). */
function hpsearchAsync(args: readonly string[]): Promise<CliResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

function finishedTrials(study: string): LeaderboardJson[] {
  const r = hpsearch(['leaderboard', '--study', study, '--db', db, '--all', '--top', '1000', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as LeaderboardJson[];
}

test('report writes one self-contained HTML file, atomically, to the default path', () => {
  const r = hpsearch(['report', 'tiny', '--db', db], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const out = join(dir, 'report-tiny.html');
  assert.equal(r.stdout.trim(), out);
  const text = readFileSync(out, 'utf8');
  assert.match(text, /^<!DOCTYPE html>/);
  assert.match(text, /Content-Security-Policy" content="default-src 'none'/);
  // Nothing is loaded from elsewhere: no src/href to a URL, no @import.
  assert.doesNotMatch(text, /<(script|link|img|iframe)[^>]+(src|href)="(https?:)?\/\//i);
  assert.doesNotMatch(text, /@import/);
  assert.ok(text.includes('echarts'), 'ECharts is inlined');
  // No temporary file is left next to the report.
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('the report renders in headless Chromium: every chart, no request, no error', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} not found: the browser check of the report is skipped`);
    return;
  }
  const out = join(dir, 'tiny.html');
  const r = hpsearch(['report', 'tiny', '--db', db, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const finished = finishedTrials('tiny');
  assert.equal(finished.length, 5);
  assert.ok(finished.some((f) => f.state === 'FAIL'));

  await withPage(out, async (page) => {
    const charts = await chartSummary(page);
    const completedValues = new Set(finished.filter((f) => f.state === 'COMPLETE').map((f) => f.value));
    const expected = ['history', 'curves', 'parallel', ...(completedValues.size > 1 ? ['importance'] : []), 'confusion'];
    assert.deepEqual(charts.map((c) => c.id), expected.map((id) => `chart-${id}`));
    for (const c of charts) {
      assert.ok(c.hasInstance, `${c.id}: no ECharts instance`);
      assert.ok(c.series > 0 && c.points > 0, `${c.id}: ${c.series} series, ${c.points} data points`);
      assert.ok(c.width > 200 && c.height > 100, `${c.id}: ${c.width}×${c.height}`);
      assert.ok(c.canvasWidth > 0 && c.canvasHeight > 0, `${c.id}: nothing drawn`);
    }

    // Leaderboard: one row per finished trial, a recall column per class.
    const board = await page.evaluate(() => {
      const doc = (globalThis as unknown as { document: DomDoc }).document;
      const table = doc.querySelector('#leaderboard-table')!;
      return {
        rows: table.querySelectorAll('tbody tr').length,
        recall: Array.from(table.querySelectorAll('thead th.recall')).map((th) => th.textContent),
      };
    });
    assert.equal(board.rows, finished.length);
    assert.deepEqual(board.recall, ['N', 'S', 'V', 'F', 'Q']);

    const options = await page.evaluate(() => {
      const w = globalThis as unknown as EchartsWindow;
      const opt = (id: string): EchartsOption => w.echarts.getInstanceByDom(w.document.getElementById(id)!)!.getOption();
      const confusion = opt('chart-confusion');
      const curves = opt('chart-curves');
      return {
        confusionX: confusion.xAxis![0]!.data,
        confusionY: confusion.yAxis![0]!.data,
        parallelAxes: opt('chart-parallel').parallelAxis!.map((a) => [a.name, a.type]),
        prunedMarkers: curves.series.find((s) => s.name === 'pruned here')?.data?.length ?? 0,
      };
    });
    assert.deepEqual(options.confusionX, ['N', 'S', 'V', 'F', 'Q']);
    assert.deepEqual(options.confusionY, ['N', 'S', 'V', 'F', 'Q']);
    assert.deepEqual(options.parallelAxes, [
      ['learning_rate', 'log'],
      ['dataset', 'category'],
      ['dropout', 'category'],
      ['recall_macro', 'value'],
    ]);
    // A pruned trial gets a marker where it stopped (a failed one here has no epoch to mark).
    assert.equal(options.prunedMarkers, finished.filter((f) => f.state === 'PRUNED' && f.epochs > 0).length);

    // Charts follow their container when the window narrows.
    await page.setViewportSize({ width: 900, height: 700 });
    await page.waitForTimeout(300);
    const narrow = await chartSummary(page);
    for (const c of narrow) assert.ok(c.canvasWidth <= c.width + 1 && c.width < 900, `${c.id}: ${c.canvasWidth} px canvas in a ${c.width} px box`);
  });
});

test('user input is escaped: a study named with markup renders as text', async (t) => {
  const out = join(dir, 'evil.html');
  const r = hpsearch(['report', EVIL, '--db', db, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  assert.ok(!text.includes(EVIL), 'the raw name appears nowhere in the file');
  assert.ok(!text.includes('<b>b</b>'));
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} not found: the browser check of the escaping is skipped`);
    return;
  }
  await withPage(out, async (page) => {
    const seen = await page.evaluate(() => {
      const w = globalThis as unknown as EchartsWindow & { pwned?: number };
      const doc = w.document;
      return {
        h1: doc.querySelector('h1')!.textContent,
        images: doc.querySelectorAll('img').length,
        bold: doc.querySelectorAll('b').length,
        pwned: w.pwned ?? 0,
        parallel: w.echarts.getInstanceByDom(doc.getElementById('chart-parallel')!)!.getOption().parallelAxis!.map((a) => [a.name, a.type, a.data ?? null]),
      };
    });
    assert.equal(seen.h1, EVIL);
    assert.equal(seen.images, 0);
    assert.equal(seen.bold, 0);
    assert.equal(seen.pwned, 0);
    // The conditional log param sits on a log axis; the categorical keeps its markup as text.
    assert.deepEqual(seen.parallel, [
      ['x', 'value', null],
      ['opt', 'category', ['a', '<b>b</b>']],
      ['wd', 'log', null],
      ['value', 'value', null],
    ]);
    const charts = await chartSummary(page);
    // An API study has no confusion matrix; everything else is drawn.
    assert.deepEqual(charts.map((c) => c.id), ['chart-history', 'chart-curves', 'chart-parallel', 'chart-importance']);
    for (const c of charts) assert.ok(c.hasInstance && c.points > 0, c.id);
  });
});

test('a study with no finished trial gets a report with an empty-state note per section', () => {
  const out = join(dir, 'empty.html');
  const r = hpsearch(['report', 'empty', '--db', db, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  assert.doesNotMatch(text, /<div class="chart/);
  for (const id of ['history', 'curves', 'parallel', 'importance', 'leaderboard', 'confusion']) {
    const section = new RegExp(`<section id="${id}">[\\s\\S]*?</section>`).exec(text)?.[0] ?? '';
    assert.match(section, /<p class="empty">/, `section ${id} has no empty-state note`);
  }
});

test('bad input: unknown study, missing --out folder, missing db; exit 2 with one line', () => {
  const unknown = hpsearch(['report', 'nope', '--db', db], { cwd: dir });
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
  assert.match(unknown.stderr, /no study named "nope" \(studies: .*tiny/);
  const folder = hpsearch(['report', 'tiny', '--db', db, '--out', join(dir, 'no', 'such', 'r.html')]);
  assert.equal(folder.code, 2);
  assert.equal(folder.stderr.trim().split('\n').length, 1, folder.stderr);
  assert.match(folder.stderr, /--out .*folder .* does not exist/);
  const isFolder = hpsearch(['report', 'tiny', '--db', db, '--out', dir]);
  assert.equal(isFolder.code, 2);
  assert.match(isFolder.stderr, /is a folder/);
  const noDb = hpsearch(['report', 'tiny', '--db', join(dir, 'none.db')]);
  assert.equal(noDb.code, 2);
  assert.match(noDb.stderr, /none\.db: no such database/);
  assert.ok(!existsSync(join(dir, 'none.db')), 'a missing database is not created');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

// ------------------------------------------------------------------ browser helpers

/** The slice of the DOM and ECharts the page-side checks use (the test compiles without DOM types). */
interface DomElement {
  readonly id: string;
  readonly textContent: string | null;
  getBoundingClientRect(): { width: number; height: number };
  querySelector(s: string): DomElement | null;
  querySelectorAll(s: string): ArrayLike<DomElement> & Iterable<DomElement>;
}
interface DomDoc {
  querySelector(s: string): DomElement | null;
  querySelectorAll(s: string): ArrayLike<DomElement> & Iterable<DomElement>;
  getElementById(id: string): DomElement | null;
}
interface EchartsOption {
  readonly series: { readonly name?: string; readonly data?: unknown[] }[];
  readonly xAxis?: { readonly data?: unknown[] }[];
  readonly yAxis?: { readonly data?: unknown[] }[];
  readonly parallelAxis?: { readonly name: string; readonly type: string; readonly data?: unknown[] }[];
}
interface EchartsWindow {
  readonly document: DomDoc;
  readonly echarts: { getInstanceByDom(el: DomElement): { getOption(): EchartsOption } | undefined };
}

interface ChartState {
  readonly id: string;
  readonly hasInstance: boolean;
  readonly series: number;
  readonly points: number;
  readonly width: number;
  readonly height: number;
  readonly canvasWidth: number;
  readonly canvasHeight: number;
}

function chartSummary(page: Page): Promise<ChartState[]> {
  return page.evaluate(() => {
    const w = globalThis as unknown as EchartsWindow;
    return Array.from(w.document.querySelectorAll('.chart')).map((el) => {
      const inst = w.echarts.getInstanceByDom(el);
      const series = inst ? inst.getOption().series : [];
      const box = el.getBoundingClientRect();
      const canvas = el.querySelector('canvas');
      const drawn = canvas ? canvas.getBoundingClientRect() : { width: 0, height: 0 };
      return {
        id: el.id,
        hasInstance: inst !== undefined,
        series: series.length,
        points: series.reduce((n, s) => n + (s.data?.length ?? 0), 0),
        width: box.width,
        height: box.height,
        canvasWidth: drawn.width,
        canvasHeight: drawn.height,
      };
    });
  });
}

/**
 * Opens `file` in headless Chromium at a laptop's 1366×768 and runs `body`; then asserts
 * that the page requested nothing but itself and logged no error.
 */
async function withPage(file: string, body: (page: Page) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`console ${msg.type()}: ${msg.text()}`);
    });
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });
    await body(page);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url], 'the page made no request but for itself');
  } finally {
    await browser.close();
  }
}
