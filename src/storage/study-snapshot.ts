import type { FrozenTrial, Metrics } from '../core/trial.js';
import { FINAL_METRICS_ATTR, encodeAttr, encodeMetrics, valueToColumn } from './codec.js';
import { StudyNotFoundError } from './errors.js';
import { internalParams, type InternalParam } from './trial-input.js';
import type { Storage, StudyAttrs, StudyRecord } from './types.js';

/**
 * Everything a storage holds about one study (Optuna's `copy_study` copies the same):
 * the study with its attributes and settings, every trial with its params,
 * distributions, values, intermediate values, attributes and artifacts.
 */
export interface StudySnapshot {
  readonly study: StudyRecord;
  readonly attrs: StudyAttrs;
  /** In number order. */
  readonly trials: readonly FrozenTrial[];
  readonly artifacts: readonly SnapshotArtifact[];
}

export interface SnapshotArtifact {
  readonly number: number;
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly updatedAt: Date;
}

/** Reads a study whole from `storage`; StudyNotFoundError when it has none of that name. */
export async function readStudySnapshot(storage: Storage, name: string): Promise<StudySnapshot> {
  const study = await storage.getStudy(name);
  if (study === null) throw new StudyNotFoundError(name);
  const trials = await storage.getTrials(study.id);
  const artifacts: SnapshotArtifact[] = [];
  for (const a of await storage.listTrialArtifacts(study.id)) {
    const bytes = await storage.getTrialArtifact(a.trialId, a.key);
    if (bytes !== null) artifacts.push({ number: a.number, key: a.key, bytes, updatedAt: a.updatedAt });
  }
  return { study, attrs: await storage.getStudyAttrs(study.id), trials, artifacts };
}

/** One trial of a snapshot as the schema's rows hold it, for a backend's importStudy. */
export interface TrialRows
  extends Pick<FrozenTrial, 'number' | 'state' | 'seed' | 'startedAt' | 'completedAt' | 'heartbeatAt' | 'host' | 'pid' | 'backend' | 'failReason' | 'retries'> {
  /** undefined: no `trial_values` row (the trial has no value); null stands for NaN. */
  readonly value: number | null | undefined;
  readonly params: readonly InternalParam[];
  readonly intermediate: readonly { readonly step: number; readonly value: number | null; readonly metricsJson: string | null }[];
  readonly userAttrs: readonly (readonly [key: string, json: string])[];
  readonly systemAttrs: readonly (readonly [key: string, json: string])[];
  readonly artifacts: readonly SnapshotArtifact[];
}

/** The rows of every trial of a snapshot, encoded as every backend stores them (codec.ts). */
export function snapshotTrialRows(snapshot: StudySnapshot): TrialRows[] {
  return snapshot.trials.map((t) => ({
    number: t.number,
    state: t.state,
    seed: t.seed,
    startedAt: t.startedAt,
    completedAt: t.completedAt,
    heartbeatAt: t.heartbeatAt,
    host: t.host,
    pid: t.pid,
    backend: t.backend,
    failReason: t.failReason,
    retries: t.retries,
    value: t.value === null ? undefined : valueToColumn(t.value),
    params: internalParams(t.params, t.distributions),
    intermediate: t.intermediate.map((iv) => ({ step: iv.step, value: valueToColumn(iv.value), metricsJson: iv.metrics === undefined ? null : encodeMetrics(iv.metrics) })),
    userAttrs: Object.entries(t.userAttrs).map(([k, v]) => [k, k === FINAL_METRICS_ATTR ? encodeMetrics(v as Metrics) : encodeAttr(v)] as const),
    systemAttrs: Object.entries(t.systemAttrs).map(([k, v]) => [k, encodeAttr(v)] as const),
    artifacts: snapshot.artifacts.filter((a) => a.number === t.number),
  }));
}
