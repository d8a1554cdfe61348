/**
 * From study to deployed model, through the real CLI on real SQLite files and tiny real
 * training runs: kept weights, `trial` saying so, `predict` (h5, csv, labels, --tta,
 * streaming), retraining a trial whose weights are gone, and the refusals of bad input.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { CLI, hpsearch } from '../cli/helpers.js';
import { LazyHdf5Dataset } from '../../src/data/hdf5/lazy-dataset.js';
import { writeHdf5 } from '../../src/data/hdf5/writer.js';
import { multiClassLabels } from '../../src/data/labels.js';
import { writeTestSplit } from './helpers.js';

const TINY = fileURLToPath(new URL('../../../test/fixtures/tiny-cnngru.yaml', import.meta.url));
let dir: string;
let db: string;
let yaml: string;
/** Trial numbers of study "tiny" by rank (best first). */
let ranked: number[];
let beatsH5: string;
let beatsCsv: string;

interface Row {
  number: number;
  value: number;
}

function artifacts(): { number: number; key: string; size: number }[] {
  const conn = new Database(db, { readonly: true });
  try {
    return conn
      .prepare(`SELECT t.number AS number, a.key AS key, length(a.bytes) AS size FROM trial_artifacts a JOIN trials t ON t.trial_id = a.trial_id JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = 'tiny' ORDER BY t.number`)
      .all() as { number: number; key: string; size: number }[];
  } finally {
    conn.close();
  }
}

/** A Kaggle-format CSV (no header, signal values then the label) of an HDF5 file's beats. */
async function csvOf(h5: string, out: string): Promise<void> {
  const ds = await LazyHdf5Dataset.open(h5);
  try {
    const labels = ds.readLabels();
    const x = ds.readRange(0, ds.count);
    const lines: string[] = [];
    for (let i = 0; i < ds.count; i++) lines.push([...x.subarray(i * ds.length, (i + 1) * ds.length), labels.classIndex[i]].join(','));
    writeFileSync(out, `${lines.join('\n')}\n`);
  } finally {
    ds.close();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hpsearch-deploy-'));
  db = join(dir, 'trials.db');
  yaml = join(dir, 'tiny.yaml');
  writeFileSync(yaml, `${readFileSync(TINY, 'utf8')}keep_models: 2\n`);
  const run = hpsearch(['run', yaml, '--db', db, '--trials', '3'], { timeoutMs: 300_000 });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const lb = hpsearch(['leaderboard', '--db', db, '--format', 'json']);
  ranked = (JSON.parse(lb.stdout) as Row[]).map((r) => r.number);
  beatsH5 = join(dir, 'beats.h5');
  assert.equal(hpsearch(['data', 'synth', '--out', beatsH5, '--n', '120', '--seed', '11']).code, 0);
  beatsCsv = join(dir, 'beats.csv');
  await csvOf(beatsH5, beatsCsv);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('a study keeps the weights of its top keep_models trials only, and `trial` says which', () => {
  const kept = artifacts().filter((a) => a.key === 'model');
  assert.deepEqual(kept.map((a) => a.number).sort(), ranked.slice(0, 2).sort(), 'the top two of three');
  for (const [i, n] of ranked.entries()) {
    const out = hpsearch(['trial', 'tiny', String(n), '--db', db]);
    assert.equal(out.code, 0, out.stderr);
    if (i < 2) assert.match(out.stdout, /^model: kept \(\d+\.\d KiB/m);
    else assert.match(out.stdout, /^model: not kept, not in the top 2 \(keep_models\); hpsearch export-model retrains it/m);
    const json = JSON.parse(hpsearch(['trial', 'tiny', String(n), '--db', db, '--format', 'json']).stdout) as { model: { kept: boolean; bytes: number | null } };
    assert.deepEqual(json.model, i < 2 ? { kept: true, bytes: kept.find((a) => a.number === n)!.size } : { kept: false, bytes: null });
  }
});

test("predict on the study's test split reproduces the trial's stored test metrics exactly", async () => {
  const testH5 = join(dir, 'test-split.h5');
  await writeTestSplit(yaml, db, testH5);
  const best = ranked[0]!;
  const metricsFile = join(dir, 'test-metrics.json');
  const out = hpsearch(['predict', `tiny:${best}`, testH5, '--db', db, '--out', join(dir, 'test-pred.csv'), '--metrics', metricsFile]);
  assert.equal(out.code, 0, out.stderr);
  const stored = (JSON.parse(hpsearch(['trial', 'tiny', String(best), '--db', db, '--format', 'json']).stdout) as { user_attrs?: { final_metrics?: unknown }; final_metrics?: unknown });
  const final = stored.final_metrics ?? stored.user_attrs?.final_metrics;
  assert.ok(final, 'the trial has stored test metrics');
  assert.deepEqual((JSON.parse(readFileSync(metricsFile, 'utf8')) as { metrics: unknown }).metrics, final);
});

test('predict gives the same probabilities for an .h5 file and the same beats as a Kaggle .csv, with metrics from the labels', () => {
  const model = `tiny:${ranked[0]}`;
  const fromH5 = hpsearch(['predict', model, beatsH5, '--db', db, '--metrics', join(dir, 'm-h5.json')]);
  const fromCsv = hpsearch(['predict', model, beatsCsv, '--db', db, '--metrics', join(dir, 'm-csv.json')]);
  assert.equal(fromH5.code, 0, fromH5.stderr);
  assert.equal(fromCsv.code, 0, fromCsv.stderr);
  assert.equal(fromCsv.stdout, fromH5.stdout);
  const lines = fromH5.stdout.trim().split('\n');
  assert.equal(lines[0], 'beat,class,N,S,V,F,Q');
  assert.equal(lines.length, 121);
  for (const line of lines.slice(1)) {
    const p = line.split(',').slice(2).map(Number);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, 'probabilities sum to 1');
    assert.equal(line.split(',')[1], ['N', 'S', 'V', 'F', 'Q'][p.indexOf(Math.max(...p))], 'the class is the most probable one');
  }
  const m = JSON.parse(readFileSync(join(dir, 'm-h5.json'), 'utf8')) as { beats: number; metrics: { accuracy: number; confusion_matrix: number[][] } };
  assert.equal(m.beats, 120);
  const cm = m.metrics.confusion_matrix;
  assert.equal(cm.flat().reduce((a, b) => a + b, 0), 120);
  assert.match(fromH5.stderr, /confusion matrix/);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'm-csv.json'), 'utf8')), m);

  const json = hpsearch(['predict', model, beatsH5, '--db', db, '--format', 'json']);
  const objects = JSON.parse(json.stdout) as { probabilities: number[]; class: string }[];
  assert.equal(objects.length, 120);
  assert.deepEqual(Object.keys(objects[0]!), ['probabilities', 'class']);
  assert.deepEqual(objects.map((o) => o.class), lines.slice(1).map((l) => l.split(',')[1]));
});

test('--tta: the same seed gives the same output, another seed another one', () => {
  const args = (seed: string): string[] => ['predict', `tiny:${ranked[0]}`, beatsH5, '--db', db, '--tta', '3', '--seed', seed, '--batch-size', '50'];
  const a = hpsearch(args('1'));
  const b = hpsearch(args('1'));
  const c = hpsearch(args('2'));
  const plain = hpsearch(['predict', `tiny:${ranked[0]}`, beatsH5, '--db', db, '--batch-size', '50']);
  for (const r of [a, b, c, plain]) assert.equal(r.code, 0, r.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.notEqual(a.stdout, c.stdout);
  assert.notEqual(a.stdout, plain.stdout);
  assert.match(a.stderr, /3 augmented views each/);
});

test('predict streams: the predictions of the first batch are written before the rest of the file exists', async () => {
  const fifo = join(dir, 'stream.csv');
  execFileSync('mkfifo', [fifo]);
  const rows = readFileSync(beatsCsv, 'utf8').trim().split('\n');
  const child = spawn(process.execPath, [CLI, 'predict', `tiny:${ranked[0]}`, fifo, '--db', db, '--batch-size', '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = (): number => stdout.split('\n').length - 1;
  let waiting: { n: number; resolve: () => void } | null = null;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (waiting !== null && lines() >= waiting.n) waiting.resolve();
  });
  const untilLines = (n: number): Promise<void> => new Promise((resolve) => (lines() >= n ? resolve() : (waiting = { n, resolve })));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const writer = createWriteStream(fifo);
  // 25 rows: two full batches of 10 must be predicted while the writer holds back the rest.
  writer.write(`${rows.slice(0, 25).join('\n')}\n`);
  await untilLines(1 + 20);
  assert.equal(lines(), 21, 'header and the two full batches, nothing of the incomplete third');
  writer.end(`${rows.slice(25).join('\n')}\n`);
  assert.equal(await exited, 0, stderr);
  assert.equal(lines(), 121);
  const whole = hpsearch(['predict', `tiny:${ranked[0]}`, beatsCsv, '--db', db, '--batch-size', '10']);
  assert.equal(stdout, whole.stdout);
});

test('a trial whose weights were deleted is retrained bit-exactly: the same predictions as from its kept weights', () => {
  const n = ranked[1]!;
  const args = ['predict', `tiny:${n}`, beatsH5, '--db', db];
  const kept = hpsearch(args);
  assert.equal(kept.code, 0, kept.stderr);
  assert.doesNotMatch(kept.stderr, /retrain/);
  const conn = new Database(db);
  conn.prepare(`DELETE FROM trial_artifacts WHERE key = 'model' AND trial_id = (SELECT t.trial_id FROM trials t JOIN studies s ON s.study_id = t.study_id WHERE s.study_name = 'tiny' AND t.number = ?)`).run(n);
  conn.close();
  const again = hpsearch(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`trial ${n}: weights not kept .*retraining it`));
  assert.match(again.stderr, new RegExp(`trial ${n}: retrained in \\d+\\.\\d s on \\w+; validation and test metrics match the stored ones bit for bit`));
  assert.equal(again.stdout, kept.stdout);
});

test('bad input: exit 2, one line, nothing written', async (t) => {
  const model = `tiny:${ranked[0]}`;
  const refuse = (args: string[], says: RegExp, out?: string): void => {
    const r = hpsearch([...args, '--db', db]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr, says);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    if (out !== undefined) assert.equal(existsSync(out), false, `${out} was written`);
  };
  const out = join(dir, 'refused.csv');
  await t.test('unknown study or trial', () => {
    refuse(['predict', 'nosuch', beatsH5, '--out', out], /no study named "nosuch"/, out);
    refuse(['predict', 'tiny:99', beatsH5, '--out', out], /study "tiny" has no trial 99/, out);
    refuse(['export-model', 'nosuch', '--out', join(dir, 'x1')], /no study named "nosuch"/, join(dir, 'x1'));
    refuse(['export-model', 'tiny', '99', '--out', join(dir, 'x2')], /has no trial 99/, join(dir, 'x2'));
  });
  await t.test('an export folder that is not empty, without --force', () => {
    const full = join(dir, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep.txt'), 'mine');
    refuse(['export-model', 'tiny', '--out', full], /--out .*full: the folder is not empty \(pass --force to replace it\)/);
    assert.deepEqual(readdirSync(full), ['keep.txt']);
  });
  await t.test('beats of another length or channel count than the model', async () => {
    const short = join(dir, 'short.csv');
    writeFileSync(short, `${Array.from({ length: 3 }, () => [...Array(100).fill(0.5), 0].join(',')).join('\n')}\n`);
    refuse(['predict', model, short, '--out', out], /short\.csv: beats of 100 samples x 1 channel\(s\), but the model .* takes 187 samples x 1 channel\(s\)/, out);
    const twoLeads = join(dir, 'two-leads.h5');
    await writeHdf5(twoLeads, { signals: new Float32Array(4 * 187 * 2), count: 4, length: 187, channels: 2, labels: multiClassLabels(new Int32Array(4), ['N', 'S', 'V', 'F', 'Q']), groups: null });
    refuse(['predict', model, twoLeads, '--out', out], /two-leads\.h5: \/X: beats of 187 samples x 2 channel\(s\), but the model .* takes 187 samples x 1 channel\(s\)/, out);
  });
  await t.test('a model card from a newer hpsearch', () => {
    const newer = join(dir, 'newer');
    mkdirSync(newer);
    writeFileSync(join(newer, 'model-card.json'), JSON.stringify({ card_format: 99, hpsearch_version: '9.0.0' }));
    refuse(['predict', newer, beatsH5, '--out', out], /model-card\.json: model card format 99 \(hpsearch 9\.0\.0\) is newer than this hpsearch 1; upgrade hpsearch/, out);
  });
  await t.test('no kept model and its data file gone', () => {
    const data = join(dir, 'own.h5');
    assert.equal(hpsearch(['data', 'synth', '--out', data, '--n', '2000', '--seed', '2']).code, 0);
    const own = join(dir, 'own.yaml');
    writeFileSync(own, readFileSync(TINY, 'utf8').replace('study: tiny', 'study: own').replace('source: synthetic', `source: ${data}`).replace(/budget: .*/, 'budget: {trials: 1, epochs: 1}').replace('[smote, oversampled]', '[oversampled]') + 'keep_models: 0\n');
    const run = hpsearch(['run', own, '--db', db], { timeoutMs: 300_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(hpsearch(['trial', 'own', '0', '--db', db]).stdout, /model: not kept, not in the top 0/);
    rmSync(data);
    refuse(['predict', 'own', beatsH5, '--out', out], /trial 0 of study "own": its weights are not kept and its data file .*own\.h5 is missing, so it cannot be retrained/, out);
    refuse(['export-model', 'own', '--out', join(dir, 'x3')], /cannot be retrained/, join(dir, 'x3'));
  });
});
