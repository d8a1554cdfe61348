/**
 * One client process of storage-backends.ts: `node storage-client.js STORAGE STUDY COUNT`.
 * Opens the study through the library API, prints `ready`, waits for a line on stdin, then
 * runs COUNT ask/tell pairs with a trivial objective and prints one JSON line: the
 * milliseconds of each pair.
 */
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { loadStudy } from '../../src/index.js';

const [storage, name, countArg] = process.argv.slice(2);
if (storage === undefined || name === undefined || countArg === undefined) throw new Error('usage: storage-client STORAGE STUDY COUNT');
const study = await loadStudy({ storage, name });
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await lines.next();
const ms: number[] = [];
for (let i = 0; i < Number(countArg); i++) {
  const t0 = performance.now();
  const t = await study.ask();
  const x = t.params.x as number;
  const y = t.params.y as number;
  await study.tell(t.number, x * x + y * y);
  ms.push(performance.now() - t0);
}
await lines.return?.();
process.stdin.destroy();
await study.storage.close();
process.stdout.write(`${JSON.stringify(ms)}\n`);
