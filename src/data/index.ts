/**
 * The data layer: HDF5 / CSV / synthetic sources, leak-free splits, balancing by index
 * (random oversampling, SMOTE), online augmentation, and the `TrainingData` a trial trains on.
 *
 * Main thread, once per study: `prepareStudyData(settings, {cacheDir})` → `PreparedData`
 * (with a transferable `DataRef`). Worker, once per trial: `openTrainingData(ref, options)`.
 */
export type { Batch, BalancingMode, DataInfo, TrainingData, TrainingDataOptions } from './types.js';
export { DataError, isDataError } from './errors.js';
export { prepareStudyData, openTrainingData, labelsOfRef, DEFAULT_MEMORY_BUDGET, SYNTHETIC_GENERATOR_VERSION } from './prepare.js';
export type { DataRef, PreparedData, PrepareOptions, SignalRef } from './prepare.js';
export { BalancedTrainingData, BalancingError, trainingDataFromArrays, dataInfoOf } from './training-data.js';
export type { ArrayDataset, TrainingDataParts } from './training-data.js';
export { LazyHdf5Dataset, Hdf5DatasetWriter, writeHdf5, chunkRuns, checkHdf5File, loadH5wasm, SIGNAL_ALIASES, LABEL_ALIASES, GROUP_ALIASES } from './hdf5.js';
export type { DatasetArrays, DatasetDescription, Hdf5Layout, Hdf5WriterOptions, LazyHdf5Options } from './hdf5.js';
export { importCsv, inspectCsv, readKaggleCsv, KAGGLE_SIGNAL_LENGTH } from './csv.js';
export type { CsvImportResult, CsvSummary } from './csv.js';
export { generateSynthetic, generateSyntheticBlocks, syntheticClasses, MITBIH_CLASSES, MITBIH_SHARES, MULTILABEL_CLASSES, SAMPLE_RATE_HZ, BEAT_LENGTH } from './synthetic.js';
export type { SyntheticOptions, SyntheticSet } from './synthetic.js';
export { splitIndices, stratifiedSplit, groupSplit, SplitError } from './splits.js';
export type { SplitIndices } from './splits.js';
export { NaturalSet, RandomOversampledSet, epochSlots } from './oversample.js';
export type { BalancedSet, SlotRecipe } from './oversample.js';
export { SmoteNeighbourTable, SmotePlan, SmoteBalancedSet, buildSmoteNeighbourTable, cachedSmoteNeighbourTable, smoteTableKey, SMOTE_K_NEIGHBORS } from './smote.js';
export { exactKnn, bruteForceKnn, projectedKdTreeKnn, exactKnnInWorker, principalDirections } from './knn.js';
export { augmentBatch, AUGMENT_NAMES } from './augment.js';
export type { AugmentName, AugmentStrengths } from './augment.js';
export { InMemorySignalSource, allocateSharedSignals, signalBytes } from './source.js';
export type { SharedSignals, SignalSource } from './source.js';
export type { LabelSet } from './labels.js';
export { inspectFile, synthCommand, importCommand, formatDataSummary } from './commands.js';
export type { DataFileSummary, SynthCommandOptions } from './commands.js';
