/**
 * ask() latency with 1,000 finished trials in the study (issue 2 target: median < 20 ms).
 *   node dist/scripts/bench/ask.js [--trials 1000] [--asks 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createStudy } from '../../src/index.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '1000' }, asks: { type: 'string', default: '50' } } });
const nTrials = Number(values.trials);
const nAsks = Number(values.asks);

const space = {
  lr: { type: 'float', low: 1e-5, high: 1e-1, log: true },
  dropout: { type: 'float', low: 0.1, high: 0.5 },
  layers: { type: 'int', low: 1, high: 4 },
  blocks: { type: 'int', low: 1, high: 7 },
  hidden: { type: 'int', low: 32, high: 256, step: 32 },
  batch: { type: 'categorical', choices: [16, 32, 48, 60] },
  opt: { type: 'categorical', choices: ['adam', 'adamw'] },
  factor: { type: 'float', low: 0.1, high: 0.4 },
} as const;

function objective(p: Record<string, unknown>): number {
  return Math.log10(p.lr as number) ** 2 + ((p.dropout as number) - 0.3) ** 2 + (p.layers as number) + (p.opt === 'adam' ? 0 : 0.5);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const sampler of ['tpe', 'random'] as const) {
  const dir = mkdtempSync(join(tmpdir(), 'hpsearch-bench-ask-'));
  const study = await createStudy({ storage: join(dir, 'trials.db'), name: 'bench', space, sampler: { type: sampler, seed: 0 } });
  // Fill the history through the public API, with 10 intermediate values per trial as a training run would.
  for (let i = 0; i < nTrials; i++) {
    const t = await study.ask();
    for (let s = 0; s < 10; s++) await study.storage.reportIntermediate(t.id, s, objective(t.params) + 1 / (s + 1));
    await study.tell(t.number, objective(t.params));
  }
  const times: number[] = [];
  for (let i = 0; i < nAsks; i++) {
    const t0 = performance.now();
    const t = await study.ask();
    times.push(performance.now() - t0);
    await study.tell(t.number, objective(t.params));
  }
  console.log(`${sampler.padEnd(6)} ask() with ${nTrials} finished trials: median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms over ${nAsks} asks`);
  await study.storage.close();
  rmSync(dir, { recursive: true, force: true });
}
