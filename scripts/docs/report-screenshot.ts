/**
 * A full-page screenshot of a study's HTML report, as a 1366-px-wide laptop screen shows
 * it (docs/report.png is made with it). Writes the report with the real `hpsearch report`
 * command into a temporary folder, opens it in headless Chromium and waits until every
 * chart has drawn.
 *
 *   node dist/scripts/docs/report-screenshot.js <db> <study> <out.png> [--chromium /usr/bin/chromium]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { chromium: { type: 'string', default: '/usr/bin/chromium' } } });
const [db, study, out] = positionals;
if (!db || !study || !out) {
  console.error('usage: node dist/scripts/docs/report-screenshot.js <db> <study> <out.png> [--chromium PATH]');
  process.exit(2);
}

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hpsearch-report-'));
try {
  const html = join(dir, 'report.html');
  const res = spawnSync(process.execPath, [cli, 'report', study, '--db', db, '--out', html], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`hpsearch report exited ${res.status}: ${res.stderr.trim()}`);

  const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
    await page.waitForFunction(() => {
      const w = globalThis as unknown as { echarts?: { getInstanceByDom(el: unknown): unknown }; document: { querySelectorAll(s: string): ArrayLike<unknown> } };
      const boxes = Array.from(w.document.querySelectorAll('.chart'));
      return w.echarts !== undefined && boxes.every((el) => w.echarts!.getInstanceByDom(el) !== undefined);
    });
    await page.screenshot({ path: out, fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`${out}: ${(statSync(out).size / 1024).toFixed(0)} KiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
