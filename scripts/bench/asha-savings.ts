/**
 * The share of epochs ASHA saves: runs the same search space twice with the random sampler
 * (whose proposals do not depend on earlier results, so both runs train exactly the same
 * trials with the same seeds), once with the space's ASHA pruner and once without pruning,
 * and compares the epochs trained and the best value found.
 *
 *   node dist/scripts/bench/asha-savings.js searchspaces/cnngru.yaml [--trials 12] [--epochs 6]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { trials: { type: 'string' }, epochs: { type: 'string' } } });
const space = positionals[0] ?? 'searchspaces/cnngru.yaml';
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hpsearch-asha-'));

function run(pruner: 'asha' | 'none'): { epochs: number; best: number; wallS: number; states: Record<string, number> } {
  const db = join(dir, `${pruner}.db`);
  const args = [cli, 'run', space, '--db', db, '--study', `asha-${pruner}`, '--sampler', 'random', '--pruner', pruner, '--json'];
  if (values.trials) args.push('--trials', values.trials);
  if (values.epochs) args.push('--epochs', values.epochs);
  const t0 = performance.now();
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) throw new Error(`hpsearch run --pruner ${pruner} exited ${res.status}`);
  const wallS = (performance.now() - t0) / 1000;
  const conn = new Database(db, { readonly: true });
  const { epochs } = conn.prepare('SELECT COUNT(*) AS epochs FROM trial_intermediate_values').get() as { epochs: number };
  const stateRows = conn.prepare('SELECT state, COUNT(*) AS n FROM trials GROUP BY state').all() as { state: string; n: number }[];
  const direction = (conn.prepare('SELECT direction FROM studies').get() as { direction: string }).direction;
  const { best } = conn
    .prepare(`SELECT ${direction === 'maximize' ? 'MAX' : 'MIN'}(v.value) AS best FROM trial_values v JOIN trials t USING (trial_id) WHERE t.state = 'COMPLETE'`)
    .get() as { best: number };
  conn.close();
  return { epochs, best, wallS, states: Object.fromEntries(stateRows.map((r) => [r.state, r.n])) };
}

try {
  const asha = run('asha');
  const none = run('none');
  console.log(`space ${space}: the same trials (random sampler) with and without ASHA`);
  console.log(`  without pruning: ${none.epochs} epochs, best ${none.best.toFixed(4)}, ${none.wallS.toFixed(0)} s, ${JSON.stringify(none.states)}`);
  console.log(`  with ASHA:       ${asha.epochs} epochs, best ${asha.best.toFixed(4)}, ${asha.wallS.toFixed(0)} s, ${JSON.stringify(asha.states)}`);
  console.log(`  epochs saved by ASHA: ${(100 * (1 - asha.epochs / none.epochs)).toFixed(1)} %`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
