/**
 * A cross-validated trial (`data.cv`): one model per fold, trained one fold after the other
 * with the trial's parameters and seed, each validated on its own fold; the trial's value is
 * the mean of the folds' objectives (each at its fold's best epoch, as a single split's is).
 *
 * How the pruner sees the trial. A fold's epoch e is step `fold · epochs + e`, so steps count
 * training done, in the same units for every trial: ASHA's rungs (steps r·η^k) compare trials
 * at equal cost, and since every trial of a study uses the same folds, at the same fold and
 * epoch — the same data. The value reported at a step (`CV_RUNNING_OBJECTIVE`, what the
 * driver hands the pruner) is the running mean: the final objectives of the folds done and
 * the current fold's objective at this epoch, (v₀ + … + v_{f−1} + current) / (f + 1). Early
 * rungs (inside fold 0) judge one fold, like a single split; later rungs use every fold seen,
 * so evidence is not thrown away at a fold's start, and the last step's value is close to the
 * trial's value. Reporting the current fold alone would judge a trial at a rung in fold 1 on a
 * model one epoch old; reporting only completed folds would give ASHA no signal inside fold 0.
 * A fold that stops early leaves its remaining steps unreported; the next fold still starts
 * at `(fold + 1) · epochs + 1`, so steps stay aligned across trials.
 *
 * Resume: each fold has its checkpoint folder (`fold-F` in the trial's, foldDir), and a finished
 * fold leaves its result there (`result.json`, written atomically), so a resumed trial skips the
 * finished folds and continues inside the current one from its last epoch — the run state of
 * a fold is exactly that of a single-split trial. `rerun` trains the same folds with the same
 * seed, so its steps match bit for bit.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metrics } from '../core/trial.js';
import { scalarMetrics } from '../core/trial.js';
import { foldRef, openTrainingData, type DataRef } from '../data/prepare.js';
import type { TrainingDataOptions } from '../data/types.js';
import { readCheckpointBytes } from '../train/checkpoint.js';
import { trainTrial } from '../train/loop.js';
import { runCheckpointEpoch } from '../train/run-checkpoint.js';
import type { EpochDecision, TrainTrialOptions } from '../train/options.js';
import type { CrossValidation, EpochRecord, TrialResult } from '../train/result.js';
import { CV_RUNNING_OBJECTIVE } from '../train/epoch-metrics.js';

interface FoldRecord {
  readonly value: number;
  readonly result: TrialResult;
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
/** Sample standard deviation (n − 1), as scikit-learn's cross_val_score users report it with numpy's ddof=1; 0 for one value. */
const std = (v: readonly number[]): number => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, x) => a + (x - mean(v)) ** 2, 0) / (v.length - 1)));

/** Scalar metrics averaged over folds (a key missing from any fold is left out). */
function meanMetrics(all: readonly (Metrics | null)[]): Metrics {
  const scalars = all.map((m) => scalarMetrics(m ?? {}));
  const out: Metrics = {};
  for (const k of Object.keys(scalars[0] ?? {})) {
    if (scalars.every((s) => typeof s[k] === 'number')) out[k] = mean(scalars.map((s) => s[k]!));
  }
  return out;
}

/** Fold f's folder inside the trial's checkpoint folder: its epoch checkpoint, then its result. */
export function foldDir(trialDir: string, fold: number): string {
  return join(trialDir, `fold-${fold}`);
}

/** The fold and the fold's epoch of a reported step (fold f's epoch e is step f·epochs + e, 1-based). */
export function foldOfStep(step: number, epochs: number): { readonly fold: number; readonly epoch: number } {
  const fold = Math.floor((step - 1) / epochs);
  return { fold, epoch: step - fold * epochs };
}

const FOLD_RECORD = 'result.json';

/** A finished fold's record as bytes (to store it or copy it to another machine), or null before it finished. */
export async function readFoldRecordBytes(dir: string): Promise<Uint8Array | null> {
  try {
    return await readFile(join(dir, FOLD_RECORD));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Puts a fold record (as readFoldRecordBytes returned it, from this or another machine) into `dir`, atomically. */
export async function writeFoldRecordBytes(dir: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${FOLD_RECORD}.${process.pid}.partial`);
  await writeFile(tmp, bytes);
  await rename(tmp, join(dir, FOLD_RECORD));
}

/**
 * The step a cross-validated trial resumes from, given its checkpoint folder: that of the
 * current fold's checkpoint (the first fold without a result), else the last finished fold's
 * last step, 0 for none. The training loop reports that step again (train/loop.ts).
 */
export async function resumedStep(trialDir: string, epochs: number): Promise<number> {
  let step = 0;
  for (let f = 0; ; f++) {
    const dir = foldDir(trialDir, f);
    const record = await readFoldRecord(dir);
    if (record !== null) {
      step = f * epochs + record.result.epochsRun;
      continue;
    }
    const checkpoint = await readCheckpointBytes(dir);
    return checkpoint === null ? step : f * epochs + runCheckpointEpoch(checkpoint, dir);
  }
}

async function readFoldRecord(dir: string): Promise<FoldRecord | null> {
  const bytes = await readFoldRecordBytes(dir);
  return bytes === null ? null : (JSON.parse(Buffer.from(bytes).toString('utf8')) as FoldRecord);
}

async function writeFoldRecord(dir: string, record: FoldRecord): Promise<void> {
  await writeFoldRecordBytes(dir, Buffer.from(JSON.stringify(record)));
}

export interface CrossValidatedOptions {
  /** The single-fold training options; `data`, `checkpointDir`, `resume` and `onEpoch` are set per fold. */
  readonly train: Omit<TrainTrialOptions, 'data' | 'checkpointDir' | 'resume' | 'onEpoch'>;
  readonly dataOptions: TrainingDataOptions;
  /** The trial's checkpoint folder, or null for none (rerun). */
  readonly checkpointDir: string | null;
  readonly objective: string;
  readonly onEpoch: (step: number, metrics: Metrics) => EpochDecision | Promise<EpochDecision>;
}

export async function trainCrossValidated(ref: DataRef, opts: CrossValidatedOptions): Promise<TrialResult> {
  const folds = ref.folds ?? [];
  const epochs = opts.train.epochs;
  const done: FoldRecord[] = [];
  const history: EpochRecord[] = [];
  let resumedFromEpoch: number | null = null;
  let durationS = 0;
  let last: TrialResult | null = null;
  for (let f = 0; f < folds.length; f++) {
    const dir = opts.checkpointDir === null ? null : foldDir(opts.checkpointDir, f);
    const recorded = dir === null ? null : await readFoldRecord(dir);
    let result: TrialResult;
    if (recorded !== null) {
      result = recorded.result;
      resumedFromEpoch = f * epochs + result.epochsRun;
    } else {
      const before = done.map((d) => d.value);
      const data = await openTrainingData(foldRef(ref, f), opts.dataOptions);
      try {
        result = await trainTrial({
          ...opts.train,
          data,
          checkpointDir: dir,
          resume: dir !== null,
          onEpoch: (epoch, metrics) => {
            const current = typeof metrics[opts.objective] === 'number' ? (metrics[opts.objective] as number) : Number.NaN;
            return opts.onEpoch(f * epochs + epoch, { ...metrics, fold: f, [CV_RUNNING_OBJECTIVE]: mean([...before, current]) });
          },
        });
      } finally {
        await data.close();
      }
      if (result.resumedFromEpoch !== null) resumedFromEpoch = f * epochs + result.resumedFromEpoch;
    }
    durationS += result.durationS;
    last = result;
    for (const h of result.history) history.push({ ...h, epoch: f * epochs + h.epoch });
    if (result.state !== 'COMPLETE') return combine(result.state, result.failReason);
    const v = result.bestMetrics?.[opts.objective];
    const record: FoldRecord = { value: typeof v === 'number' ? v : Number.NaN, result };
    if (dir !== null && recorded === null) await writeFoldRecord(dir, record);
    done.push(record);
  }
  return combine('COMPLETE', null);

  function combine(state: TrialResult['state'], failReason: string | null): TrialResult {
    const values = done.map((d) => d.value);
    const cv: CrossValidation = {
      values,
      mean: values.length > 0 ? mean(values) : Number.NaN,
      std: std(values),
      best_epochs: done.map((d) => d.result.bestEpoch),
      metrics: meanMetrics(done.map((d) => d.result.bestMetrics)),
    };
    const complete = state === 'COMPLETE';
    return {
      state,
      failReason,
      epochsRun: history.length,
      history,
      // The step the trial ended on; its value is the folds' mean, not one epoch's.
      bestEpoch: history.at(-1)?.epoch ?? null,
      bestMetrics: complete ? { ...cv.metrics, [opts.objective]: cv.mean } : null,
      testMetrics: complete && done.every((d) => d.result.testMetrics !== null) ? meanMetrics(done.map((d) => d.result.testMetrics)) : null,
      stoppedEarly: done.some((d) => d.result.stoppedEarly),
      // K models, none of them the trial's: nothing to keep (src/deploy/trial-weights.ts refuses to export one).
      model: null,
      resumedFromEpoch,
      backend: last?.backend ?? '',
      numParams: last?.numParams ?? 0,
      durationS,
      cv,
    };
  }
}
