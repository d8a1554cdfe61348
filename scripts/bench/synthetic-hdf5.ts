/**
 * A synthetic HDF5 file of `n` beats for the memory benchmarks (data-lazy-rss.ts,
 * study-lazy-rss.ts), written once under `dir` and reused: the layout of docs/data.md, with
 * groups, written through a `.partial` name so that an interrupted write is never taken for a file.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Hdf5DatasetWriter } from '../../src/data/hdf5/writer.js';
import { BEAT_LENGTH, generateSyntheticBlocks, syntheticClasses } from '../../src/data/synthetic.js';

export async function syntheticHdf5(dir: string, n: number, gzip: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `synthetic-${n}-gzip${gzip}.h5`);
  if (existsSync(file)) return file;
  console.log(`writing ${n} synthetic beats (${((n * BEAT_LENGTH * 4) / 1e6).toFixed(0)} MB of float32 signals) to ${file} ...`);
  const t0 = performance.now();
  const tmp = `${file}.partial`;
  const w = await Hdf5DatasetWriter.create(tmp, { length: BEAT_LENGTH, channels: 1, classes: syntheticClasses(false), multilabel: false, withGroups: true, gzipLevel: gzip });
  await generateSyntheticBlocks({ n, seed: 0 }, 8192, (block) => w.append(block.signals, block.labels.classIndex, block.groups!));
  w.close();
  renameSync(tmp, file);
  console.log(`  written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return file;
}
