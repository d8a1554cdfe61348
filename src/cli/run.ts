import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import type { BackendName, PrunerSettings, StudySettings } from '../config/settings.js';
import type { Storage, StudyRecord } from '../storage/types.js';
import { parseSpaceFile, spaceErrorAt } from '../config/parse.js';
import { formatSplitCounts } from '../report/split-counts.js';
import { dataFileProblem, isDataFileName } from '../config/data-source.js';
import { distributionsOf } from '../core/distributions.js';
import { parseByteSize } from '../config/resolve.js';
import { BACKENDS, DEFAULT_PRUNERS, PRUNER_TYPES, SAMPLER_TYPES } from '../config/defaults.js';
import { InputError } from '../core/errors.js';
import type { PreparedData } from '../data/prepare.js';
import { createObserver } from '../report/progress.js';
import { cacheDir, studyNameProblem } from '../study/paths.js';
import { StudyExistsError } from '../storage/errors.js';
import { DATA_IDENTITY_ATTR, checkDataIdentity, dataIdentity, type DataIdentity } from '../study/data-identity.js';
import { openExisting, openForWrite, pickStudy, positiveIntFlag, storageTarget, typedValue, type GlobalArgs, type StorageTarget } from './common.js';
import { checkDbFile, checkDbFolder } from './db-file.js';
import { printLeaderboard } from './leaderboard.js';
import type { Isolation } from './isolation.js';
import { describePeakMemory } from '../worker/peak-memory.js';
import { INTERRUPTED_EXIT_CODE, interruptOnSignals } from './interrupt.js';

interface RunFlags {
  readonly study?: string;
  readonly trials?: number;
  readonly epochs?: number;
  readonly workers?: number;
  readonly seed?: number;
  readonly sampler?: 'random' | 'tpe' | 'gp';
  readonly pruner?: PrunerSettings['type'];
  readonly backend?: BackendName;
  readonly data?: string;
  readonly memoryBudget?: string;
  readonly json: boolean;
  readonly isolation?: Isolation;
  readonly workerHeapMb?: number;
}

interface RunArgs extends GlobalArgs, RunFlags {
  readonly space: string;
}

interface ResumeArgs extends GlobalArgs, Omit<RunFlags, 'study' | 'sampler' | 'pruner' | 'epochs' | 'seed'> {
  readonly study: string;
}

/** `--data` must name a data file that exists: checked before anything is loaded or written. */
function dataFlag(path: string): string {
  const problem = dataFileProblem(path);
  if (problem !== null) throw new InputError(`--data: ${problem}`);
  if (!isDataFileName(path)) throw new InputError(`--data: expected an .h5/.hdf5 or .csv file, got ${path}`);
  return resolve(path);
}

/** Flags override the YAML (docs/searchspace.md "Command-line flags that override the file"); each is checked like the YAML key it replaces. */
export function applyFlags(settings: StudySettings, f: RunFlags): StudySettings {
  positiveIntFlag('trials', f.trials);
  positiveIntFlag('epochs', f.epochs);
  positiveIntFlag('workers', f.workers);
  positiveIntFlag('worker-heap-mb', f.workerHeapMb);
  if (f.seed !== undefined && (!Number.isSafeInteger(f.seed) || f.seed < 0)) throw new InputError(`--seed: expected a non-negative integer, got ${typedValue('seed', f.seed)}`);
  let pruner = settings.pruner;
  if (f.pruner !== undefined && f.pruner !== pruner.type) pruner = DEFAULT_PRUNERS[f.pruner];
  return {
    ...settings,
    study: f.study ?? settings.study,
    budget: { trials: f.trials ?? settings.budget.trials, epochs: f.epochs ?? settings.budget.epochs },
    workers: f.workers ?? settings.workers,
    seed: f.seed ?? settings.seed,
    sampler: { ...settings.sampler, type: f.sampler ?? settings.sampler.type, seed: f.seed ?? settings.sampler.seed },
    pruner,
    backend: f.backend ?? settings.backend,
    data: {
      ...settings.data,
      ...(f.data !== undefined ? { source: dataFlag(f.data) } : {}),
      ...(f.memoryBudget !== undefined ? { memory_budget: byteSizeFlag(f.memoryBudget) } : {}),
    },
  };
}

function byteSizeFlag(value: string): number {
  try {
    return parseByteSize(/^\d+$/.test(value) ? Number(value) : value);
  } catch (err) {
    throw new InputError(`--memory-budget: ${(err as Error).message}`);
  }
}

/** What may change when a stored study is run again: how much and where, never what is searched. */
function applyRuntimeFlags(stored: StudySettings, f: Pick<RunFlags, 'trials' | 'workers' | 'backend' | 'memoryBudget' | 'workerHeapMb'>): StudySettings {
  positiveIntFlag('trials', f.trials);
  positiveIntFlag('workers', f.workers);
  positiveIntFlag('worker-heap-mb', f.workerHeapMb);
  return {
    ...stored,
    budget: { ...stored.budget, trials: f.trials ?? stored.budget.trials },
    workers: f.workers ?? stored.workers,
    backend: f.backend ?? stored.backend,
    data: f.memoryBudget !== undefined ? { ...stored.data, memory_budget: byteSizeFlag(f.memoryBudget) } : stored.data,
  };
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Whether any trial of the space can ask for SMOTE balancing. */
function mayUseSmote(settings: StudySettings): boolean {
  const param = settings.params.find((p) => p.name === 'dataset');
  if (param) return param.distribution.type !== 'categorical' || param.distribution.choices.includes('smote');
  return settings.defaults.dataset === 'smote';
}

async function prepare(settings: StudySettings, dbPath: string, json: boolean, space: { readonly file: string; readonly yaml: string }): Promise<PreparedData> {
  const usesSmote = mayUseSmote(settings);
  // Loaded when needed: a command line refused for bad input should not pay for HDF5 and the
  // worker pool (a few hundred ms each time a script checks its arguments).
  const { prepareStudyData } = await import('../data/prepare.js');
  // Loading the native kernels fixes the process's mmap threshold (native/src/addon.cc): done
  // before the data are read, so that the main thread's large buffers are returned to the OS
  // too; the workers would load them anyway.
  (await import('../backend/native/addon.js')).loadNativeAddon();
  const { SplitError } = await import('../data/splits.js');
  let prepared: PreparedData;
  try {
    prepared = await prepareStudyData(settings.data, {
      cacheDir: cacheDir(dbPath),
      smote: usesSmote && !settings.data.multilabel,
      smoteSmallClasses: 'refuse',
      ignoreClasses: settings.metrics?.ignore_classes ?? [],
      log: json ? undefined : (m) => process.stderr.write(`${m}\n`),
    });
  } catch (e) {
    // A group list or protocol the data do not fit: said at its key in the YAML.
    const cause = e instanceof Error ? e.cause : undefined;
    if (cause instanceof SplitError && cause.path !== null) throw spaceErrorAt(space.yaml, space.file, cause.path, `${cause.message} (data ${settings.data.source})`);
    throw e;
  }
  // The temporaries of preparing would stay resident through the study (collect-garbage.ts).
  (await import('./collect-garbage.js')).collectGarbage();
  if (!json) process.stderr.write(`${formatSplitCounts(prepared)}\n`);
  if (usesSmote && prepared.info.multilabel) {
    throw new InputError(`${settings.data.source}: the data are multi-label and SMOTE is not defined for them; use dataset: oversampled or none (params.dataset or defaults.dataset)`);
  }
  // Which metrics an epoch reports depends on the data (multi-label or not), known only now.
  const { epochMetricNames } = await import('../train/epoch-metrics.js');
  const reported = epochMetricNames(prepared.info.multilabel);
  const monitored: [string, string][] = [
    ['objective.metric', settings.objective.metric],
    ['early_stopping.monitor', settings.early_stopping.monitor],
    ['lr_schedule.monitor', settings.lr_schedule.monitor],
  ];
  for (const [key, metric] of monitored) {
    if (!reported.includes(metric)) {
      const kind = prepared.info.multilabel ? 'multi-label' : 'single-label';
      throw new InputError(`${settings.data.source}: ${key} "${metric}" is not reported for ${kind} data; choose one of ${reported.join(', ')}`);
    }
  }
  return prepared;
}

/** The identity of the data this process prepared, to record with a new study or compare with a stored one. */
function identityOf(prepared: PreparedData): DataIdentity {
  return dataIdentity(prepared.fingerprint, prepared.ref.description);
}

/**
 * The settings this process runs a stored study with: the stored ones, with the data read
 * from where this machine keeps them (`local`: --data, or the YAML's source). Not written
 * back: the study keeps the source it was created with, and the fingerprint decides
 * whether both are the same data (study/data-identity.ts).
 */
function withLocalData(settings: StudySettings, local: string | undefined): StudySettings {
  return local === undefined ? settings : { ...settings, data: { ...settings.data, source: local } };
}

/**
 * Continues a stored study: the data are prepared and compared with the study's before
 * anything is written (new runtime settings included), then the study runs.
 */
async function continueWith(store: Storage, where: StorageTarget, existing: StudyRecord, settings: StudySettings, localSource: string | undefined, f: RunFlags, space: { readonly file: string; readonly yaml: string }): Promise<void> {
  const stored = existing.settings as StudySettings;
  const local = withLocalData(settings, localSource);
  const prepared = await prepare(local, where.ref, f.json, space);
  await checkDataIdentity(store, existing, identityOf(prepared));
  if (!sameJson(settings, stored)) await store.updateStudySettings(existing.id, settings);
  await execute(store, where, { ...existing, settings }, local, prepared, f);
}

/** Runs a stored study to its target and prints the top of its leaderboard. */
async function execute(storage: Storage, where: StorageTarget, record: StudyRecord, settings: StudySettings, prepared: PreparedData, f: RunFlags): Promise<void> {
  const dbPath = where.ref;
  const observer = createObserver({ json: f.json, direction: settings.objective.direction, metric: settings.objective.metric });
  let summary;
  try {
    const { runStudy } = await import('../study/runner.js');
    const { createTrainer } = await import('./isolation.js');
    const trainer = await createTrainer(settings, prepared, dbPath, { isolation: f.isolation, workerHeapMb: f.workerHeapMb });
    const interrupt = interruptOnSignals(observer);
    try {
      summary = await runStudy({
        storage,
        dbPath,
        record,
        settings,
        observer,
        trainer,
        signal: interrupt.signal,
        classes: prepared.info.classes,
        data: identityOf(prepared),
        log: f.json ? undefined : (m) => process.stderr.write(`${m}\n`),
      });
    } finally {
      interrupt.dispose();
      await trainer.close();
    }
  } finally {
    observer.close();
  }
  if (!f.json) {
    console.log(`\nstudy ${settings.study}: ${summary.wallS.toFixed(1)} s wall, worker utilisation ${(summary.utilisation * 100).toFixed(0)} %, ${describePeakMemory(summary.peakMemory)}`);
    console.log(`top of the leaderboard (${settings.objective.metric}, ${settings.objective.direction}):`);
    printLeaderboard(await storage.leaderboard(record.id, { top: 5 }), 'table', settings.objective.metric);
  }
  if (summary.interrupted) {
    if (!f.json) console.log(`interrupted: continue with  hpsearch resume ${settings.study}${where.flag !== '' ? ` ${where.flag}` : ''}`);
    process.exitCode = INTERRUPTED_EXIT_CODE;
  }
}

const runFlags = {
  trials: { type: 'number', requiresArg: true, describe: "The study's total number of trials (not an increment)" },
  workers: { type: 'number', requiresArg: true, describe: 'Trials trained at once' },
  backend: { choices: BACKENDS, requiresArg: true, describe: 'tfjs backend (auto: the first that loads of tensorflow-gpu, tensorflow, native, wasm, cpu)' },
  json: { type: 'boolean', default: false, describe: 'Print one JSON event per line' },
  isolation: { choices: ['threads', 'processes'] as const, requiresArg: true, describe: 'Trials in worker threads or one process each (default: by backend)' },
  'memory-budget': { type: 'string', requiresArg: true, describe: 'Signals up to this size (e.g. 512MB, 2GiB) are shared in memory; larger ones are read lazily from HDF5' },
  'worker-heap-mb': { type: 'number', requiresArg: true, describe: 'Heap limit of each worker thread in MB (a trial over it fails alone)' },
} as const;

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <space>',
  describe: 'Create the study of a search-space YAML and run it, or resume it when it exists',
  builder: (y) =>
    y
      .positional('space', { type: 'string', demandOption: true, describe: 'Search-space YAML' })
      .option('study', { type: 'string', requiresArg: true, describe: 'Study name (default: from the YAML, else its file name)' })
      .option('epochs', { type: 'number', requiresArg: true, describe: 'Epochs per trial' })
      .option('seed', { type: 'number', requiresArg: true, describe: 'Study and sampler seed' })
      .option('sampler', { choices: SAMPLER_TYPES, requiresArg: true, describe: 'Sampler type (other sampler keys of the YAML are kept)' })
      .option('pruner', { choices: PRUNER_TYPES, requiresArg: true, describe: "Pruner type (another type than the YAML's comes with its defaults)" })
      .option('data', { type: 'string', requiresArg: true, describe: 'Data file (.h5 or Kaggle .csv) instead of the YAML source' })
      .options(runFlags)
      .example('$0 run searchspaces/cnngru.yaml', 'the main job, on the built-in synthetic ECG set')
      .example('$0 run searchspaces/cnngru.yaml --trials 20', 'run it again: continue the same study to 20 trials in all')
      .example('$0 run searchspaces/cnn2d.yaml --study cnn2d-mitbih --trials 100 --epochs 30 --data mitbih_train.h5', 'a full-size study on the Kaggle MIT-BIH set')
      .example('$0 run searchspaces/cnngru.yaml --json > events.jsonl', 'one JSON event per line, for scripts'),
  handler: async (argv) => {
    // Everything the user gave is checked before anything is written: the YAML (and its data
    // file's existence), the flags, the --db file, then the data themselves. A database that
    // does not exist yet is created only once the data are ready, so bad input leaves none.
    const parsed = parseSpaceFile(argv.space, { checkDataSource: argv.data === undefined });
    const fromYaml = applyFlags(parsed.settings, argv);
    const nameProblem = studyNameProblem(fromYaml.study);
    if (nameProblem !== null) throw new InputError(`${argv.study !== undefined ? '--study' : `${argv.space}: study`}: ${nameProblem}`);
    const where = storageTarget(argv);
    // An SQLite file that does not exist yet is created only once the data are ready; a
    // server storage is connected to at once (a server out of reach fails before the data load).
    const dbState = where.location.kind === 'sqlite' ? checkDbFile(where.location.path) : 'database';
    if (dbState === 'absent') checkDbFolder(where.ref);
    let storage: Storage | null = dbState === 'absent' ? null : await openForWrite(where);
    const continueStudy = async (store: Storage, existing: StudyRecord): Promise<void> => {
      const stored = existing.settings as StudySettings;
      if (!sameJson(stored.params, fromYaml.params) || stored.model !== fromYaml.model || !sameJson(stored.objective, fromYaml.objective)) {
        throw new InputError(`${argv.space}: study "${fromYaml.study}" already exists in ${where.label} with another model, objective or search space; name a new one with --study`);
      }
      // This machine's copy of the data: --data, else the YAML's source (each machine may
      // keep its copy where it likes; the fingerprint tells whether it is the study's).
      await continueWith(store, where, existing, applyRuntimeFlags(stored, argv), fromYaml.data.source, argv, { file: argv.space, yaml: parsed.yaml });
    };
    try {
      const existing = storage === null ? null : await storage.getStudy(fromYaml.study);
      if (storage !== null && existing) return await continueStudy(storage, existing);
      // Data problems are bad input too: find them before the study is written.
      const prepared = await prepare(fromYaml, where.ref, argv.json, { file: argv.space, yaml: parsed.yaml });
      storage ??= await openForWrite(where);
      let record: StudyRecord;
      try {
        record = await storage.createStudy({
          name: fromYaml.study,
          direction: fromYaml.objective.direction,
          metric: fromYaml.objective.metric,
          yaml: parsed.yaml,
          settings: fromYaml,
          systemAttrs: { [DATA_IDENTITY_ATTR]: identityOf(prepared) },
          enqueue: fromYaml.enqueue.map((params) => ({ params, distributions: distributionsOf(fromYaml.params, params) })),
        });
      } catch (err) {
        // Two runs started at once: another one created the study since our look-up. Join it.
        const raced = err instanceof StudyExistsError ? await storage.getStudy(fromYaml.study) : null;
        if (raced === null) throw err;
        return await continueStudy(storage, raced);
      }
      await execute(storage, where, record, fromYaml, prepared, argv);
    } finally {
      await storage?.close();
    }
  },
};

export const resumeCommand: CommandModule<GlobalArgs, ResumeArgs> = {
  command: 'resume <study>',
  describe: 'Continue an interrupted study with the space and settings stored at its creation',
  builder: (y) =>
    y
      .positional('study', { type: 'string', demandOption: true, describe: 'Study name' })
      .option('data', { type: 'string', requiresArg: true, describe: "This machine's copy of the study's data (.h5 or .csv), when not where the study was created" })
      .options(runFlags)
      .example('$0 resume cnngru', 'finish the interrupted trials and the rest of the budget')
      .example('$0 resume cnngru --trials 40 --workers 1 --backend tensorflow-gpu', 'raise the target and move the study to a GPU'),
  handler: async (argv) => {
    const where = storageTarget(argv);
    const storage = await openExisting(where);
    try {
      const existing = await pickStudy(storage, argv.study, where.label);
      const stored = existing.settings as StudySettings;
      if (!stored || !('model' in stored)) throw new InputError(`study "${argv.study}" was created through the library API; resume it from your code`);
      const local = argv.data !== undefined ? dataFlag(argv.data) : undefined;
      // Positions in the YAML stored with the study, named as the study.
      await continueWith(storage, where, existing, applyRuntimeFlags(stored, argv), local, { ...argv, study: argv.study }, { file: `study ${existing.name} (stored YAML)`, yaml: existing.yaml ?? '' });
    } finally {
      await storage.close();
    }
  },
};
