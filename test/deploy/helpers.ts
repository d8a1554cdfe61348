import { parseSpaceFile } from '../../src/config/parse.js';
import { writeHdf5 } from '../../src/data/hdf5/writer.js';
import { multiClassLabels, multiLabelLabels } from '../../src/data/labels.js';
import { prepareStudyData } from '../../src/data/prepare.js';
import { cacheDir } from '../../src/study/paths.js';

/** The beats of a study's test split, as its trials were evaluated on them. */
export interface TestSplit {
  readonly x: Float32Array;
  readonly count: number;
  readonly length: number;
  readonly channels: number;
  readonly classes: readonly string[];
  readonly multilabel: boolean;
  /** Multi-class: class per beat; multi-label: [count, K] 0/1. */
  readonly classIndex: Int32Array;
  readonly multiHot: Uint8Array;
}

/** The test split of the study of `yaml` (stored in `db`), also written to `out` as an HDF5 file. */
export async function writeTestSplit(yaml: string, db: string, out: string): Promise<TestSplit> {
  const settings = parseSpaceFile(yaml).settings;
  const { ref } = await prepareStudyData(settings.data, { cacheDir: cacheDir(db), smote: false });
  if (ref.signals.kind !== 'shared') throw new Error('tiny test data is held in memory');
  const all = new Float32Array(ref.signals.signals.buffer);
  const { length, channels, classes, multilabel, numClasses: k } = ref.info;
  const rows = ref.split.test;
  const size = length * channels;
  const x = new Float32Array(rows.length * size);
  const classIndex = new Int32Array(multilabel ? 0 : rows.length);
  const multiHot = new Uint8Array(multilabel ? rows.length * k : 0);
  rows.forEach((r, i) => {
    x.set(all.subarray(r * size, (r + 1) * size), i * size);
    if (multilabel) multiHot.set(ref.multiHot.subarray(r * k, (r + 1) * k), i * k);
    else classIndex[i] = ref.classIndex[r]!;
  });
  const labels = multilabel ? multiLabelLabels(multiHot, classes) : multiClassLabels(classIndex, classes);
  await writeHdf5(out, { signals: x, count: rows.length, length, channels, labels, groups: null });
  return { x, count: rows.length, length, channels, classes, multilabel, classIndex, multiHot };
}
