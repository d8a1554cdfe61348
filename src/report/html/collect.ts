/**
 * Everything the HTML report shows, gathered from the `Storage` interface into one typed,
 * JSON-serialisable `StudyReport`. Reads only: the study may be running in another process.
 */
import type { LeaderboardRow, Storage, StudyRecord } from '../../storage/types.js';
import type { Direction, Distribution, Params, ParamSpec } from '../../core/search-space.js';
import type { FrozenTrial, TrialState } from '../../core/trial.js';
import { scalarMetrics } from '../../core/trial.js';
import { fanovaImportance, type ImportanceResult } from '../importance/fanova-importance.js';

/** A setting as shown in the summary: nested objects are flattened to dotted keys. */
export type SettingValue = string | number | boolean | null;
export type Settings = Readonly<Record<string, SettingValue>>;

export interface SpaceRow {
  readonly name: string;
  readonly distribution: Distribution;
  /** `when` as text ("optimizer = adamw"), null for an unconditional param. */
  readonly condition: string | null;
}

export interface ReportTrial {
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  readonly params: Params;
  /** [epoch, objective] per reported epoch; null where the objective was NaN. */
  readonly curve: readonly (readonly [number, number | null])[];
  readonly backend: string | null;
  readonly durationS: number | null;
  readonly failReason: string | null;
}

export interface LeaderboardEntry {
  readonly rank: number;
  readonly number: number;
  readonly state: TrialState;
  readonly value: number | null;
  /** Scalar metrics of the best epoch (validation) and the final ones under `test_*`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** Validation recall of each class at the best epoch, when the trial reported it. */
  readonly recallPerClass: readonly number[] | null;
  readonly params: Params;
  readonly epochs: number;
  readonly durationS: number | null;
  readonly failReason: string | null;
}

export interface ConfusionMatrix {
  /** Rows: true class; columns: predicted class. */
  readonly counts: readonly (readonly number[])[];
  /** `test`: the final evaluation of the best weights; `validation`: the best epoch's. */
  readonly split: 'test' | 'validation';
}

export interface BestTrial {
  readonly number: number;
  readonly value: number;
  readonly params: Params;
  readonly confusion: ConfusionMatrix | null;
  /** Per-class recall, precision and F1 on the confusion matrix's split (those stored). */
  readonly perClass: readonly { readonly metric: 'recall' | 'precision' | 'f1'; readonly values: readonly number[] }[];
}

export interface StudyReport {
  readonly generatedAt: string;
  readonly study: {
    readonly name: string;
    readonly direction: Direction;
    readonly metric: string;
    readonly model: string | null;
    readonly createdAt: string;
    /** From YAML or through the library API. */
    readonly origin: 'yaml' | 'api';
  };
  readonly budget: Settings | null;
  readonly sampler: Settings | null;
  readonly pruner: Settings | null;
  readonly data: Settings | null;
  readonly earlyStopping: Settings | null;
  readonly backendRequested: string | null;
  /** Backend each trial ran on, with the number of trials. */
  readonly backendsUsed: readonly { readonly name: string; readonly trials: number }[];
  readonly counts: Readonly<Record<TrialState, number>>;
  /** From the first trial start to the last trial end. */
  readonly wallTime: { readonly start: string | null; readonly end: string | null; readonly seconds: number | null };
  readonly space: readonly SpaceRow[];
  /** Class names of the data set (indices as text when the study did not store them). */
  readonly classes: readonly string[];
  /** Every trial, in number order. */
  readonly trials: readonly ReportTrial[];
  /** Finished trials ranked: COMPLETE by value, then PRUNED, then FAIL. */
  readonly leaderboard: readonly LeaderboardEntry[];
  readonly best: BestTrial | null;
  readonly importance: ImportanceResult;
}

/** Seed of the fANOVA forest: a report of the same trials is the same report. */
export const IMPORTANCE_SEED = 0;

export async function collectStudyReport(storage: Storage, study: StudyRecord, now: Date = new Date()): Promise<StudyReport> {
  const [trials, ranked, attrs] = await Promise.all([
    storage.getTrials(study.id),
    storage.leaderboard(study.id, { all: true }),
    storage.getStudyAttrs(study.id),
  ]);
  const settings = isRecord(study.settings) ? study.settings : {};
  const space = spaceOf(settings, trials);
  const failReasons = new Map(trials.map((t) => [t.number, t.failReason]));
  const leaderboard = ranked.map((r) => leaderboardEntry(r, failReasons.get(r.number) ?? null));
  const classes = classNames(attrs.system.classes, ranked);
  const completed = trials.filter((t): t is FrozenTrial & { value: number } => t.state === 'COMPLETE' && t.value !== null);
  return {
    generatedAt: now.toISOString(),
    study: {
      name: study.name,
      direction: study.direction,
      metric: study.metric,
      model: typeof settings.model === 'string' ? settings.model : null,
      createdAt: study.createdAt.toISOString(),
      origin: study.yaml !== null ? 'yaml' : 'api',
    },
    budget: flatSettings(settings.budget),
    sampler: flatSettings(settings.sampler),
    pruner: flatSettings(settings.pruner),
    data: flatSettings(settings.data),
    earlyStopping: flatSettings(settings.early_stopping),
    backendRequested: typeof settings.backend === 'string' ? settings.backend : null,
    backendsUsed: backendsUsed(trials),
    counts: countStates(trials),
    wallTime: wallTime(trials),
    space,
    classes,
    trials: trials.map(reportTrial),
    leaderboard,
    best: bestTrial(ranked),
    importance: fanovaImportance(
      space.map((s) => ({ name: s.name, distribution: s.distribution })),
      completed.map((t) => ({ params: t.params, value: t.value })),
      { seed: IMPORTANCE_SEED },
    ),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nested settings flattened to `a.b` keys; arrays as comma-separated text. */
export function flatSettings(v: unknown): Settings | null {
  if (!isRecord(v)) return null;
  const out: Record<string, SettingValue> = {};
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, val] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (isRecord(val)) walk(val, key);
      else if (Array.isArray(val)) out[key] = val.map(String).join(', ');
      else if (val === null || typeof val === 'string' || typeof val === 'number' || typeof val === 'boolean') out[key] = val;
    }
  };
  walk(v, '');
  return out;
}

function isParamSpec(v: unknown): v is ParamSpec {
  return isRecord(v) && typeof v.name === 'string' && isRecord(v.distribution) && typeof v.distribution.type === 'string';
}

/**
 * The search space as stored with the study (YAML and API studies both keep a
 * `ParamSpec[]` under `params`); for a study without one, the union of the trials'
 * distributions in first-seen order.
 */
function spaceOf(settings: Record<string, unknown>, trials: readonly FrozenTrial[]): SpaceRow[] {
  if (Array.isArray(settings.params) && settings.params.every(isParamSpec)) {
    return (settings.params as ParamSpec[]).map((p) => ({
      name: p.name,
      distribution: p.distribution,
      condition: p.when ? Object.entries(p.when).map(([k, vs]) => `${k} = ${vs.map(String).join(' | ')}`).join(' and ') : null,
    }));
  }
  const seen = new Map<string, Distribution>();
  for (const t of trials) for (const [k, d] of Object.entries(t.distributions)) if (!seen.has(k)) seen.set(k, d);
  return [...seen].map(([name, distribution]) => ({ name, distribution, condition: null }));
}

function classNames(stored: unknown, rows: readonly LeaderboardRow[]): string[] {
  if (Array.isArray(stored) && stored.length > 0) return stored.map(String);
  let k = 0;
  for (const r of rows) {
    const recall = r.metrics.recall_per_class;
    const cm = r.metrics.test_confusion_matrix ?? r.metrics.confusion_matrix;
    if (Array.isArray(recall)) k = Math.max(k, recall.length);
    if (Array.isArray(cm)) k = Math.max(k, cm.length);
  }
  return Array.from({ length: k }, (_, i) => String(i));
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

function isMatrix(v: unknown): v is number[][] {
  return Array.isArray(v) && v.length > 0 && v.every((row) => isNumberArray(row) && row.length === v.length);
}

function leaderboardEntry(r: LeaderboardRow, failReason: string | null): LeaderboardEntry {
  const recall = r.metrics.recall_per_class;
  return {
    rank: r.rank,
    number: r.number,
    state: r.state,
    value: finiteOrNull(r.value),
    metrics: finiteOnly(scalarMetrics(r.metrics)),
    recallPerClass: isNumberArray(recall) ? recall : null,
    params: r.params,
    epochs: r.epochs,
    durationS: r.durationS,
    failReason,
  };
}

function bestTrial(rows: readonly LeaderboardRow[]): BestTrial | null {
  const best = rows.find((r) => r.state === 'COMPLETE' && r.value !== null && Number.isFinite(r.value));
  if (!best) return null;
  const test = best.metrics.test_confusion_matrix;
  const val = best.metrics.confusion_matrix;
  const confusion: ConfusionMatrix | null = isMatrix(test)
    ? { counts: test, split: 'test' }
    : isMatrix(val)
      ? { counts: val, split: 'validation' }
      : null;
  const prefix = confusion?.split === 'validation' ? '' : 'test_';
  const perClass = (['recall', 'precision', 'f1'] as const).flatMap((metric) => {
    const values = best.metrics[`${prefix}${metric}_per_class`];
    return isNumberArray(values) ? [{ metric, values }] : [];
  });
  return { number: best.number, value: best.value!, params: best.params, confusion, perClass };
}

function reportTrial(t: FrozenTrial): ReportTrial {
  return {
    number: t.number,
    state: t.state,
    value: finiteOrNull(t.value),
    params: t.params,
    curve: t.intermediate.map((iv) => [iv.step, finiteOrNull(iv.value)] as const),
    backend: t.backend,
    durationS: t.startedAt && t.completedAt ? (t.completedAt.getTime() - t.startedAt.getTime()) / 1000 : null,
    failReason: t.failReason,
  };
}

function countStates(trials: readonly FrozenTrial[]): Record<TrialState, number> {
  const counts: Record<TrialState, number> = { COMPLETE: 0, PRUNED: 0, FAIL: 0, RUNNING: 0, WAITING: 0 };
  for (const t of trials) counts[t.state]++;
  return counts;
}

function backendsUsed(trials: readonly FrozenTrial[]): { name: string; trials: number }[] {
  const counts = new Map<string, number>();
  for (const t of trials) if (t.backend) counts.set(t.backend, (counts.get(t.backend) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name, n]) => ({ name, trials: n }));
}

function wallTime(trials: readonly FrozenTrial[]): StudyReport['wallTime'] {
  const starts = trials.flatMap((t) => (t.startedAt ? [t.startedAt.getTime()] : []));
  const ends = trials.flatMap((t) => (t.completedAt ? [t.completedAt.getTime()] : []));
  if (starts.length === 0 || ends.length === 0) return { start: null, end: null, seconds: null };
  const start = starts.reduce((a, b) => Math.min(a, b));
  const end = ends.reduce((a, b) => Math.max(a, b));
  return { start: new Date(start).toISOString(), end: new Date(end).toISOString(), seconds: Math.max(0, (end - start) / 1000) };
}

/** JSON has no NaN or Infinity: such values are shown as missing. */
function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

function finiteOnly(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => Number.isFinite(v)));
}
