/**
 * What "nothing lost, nothing half-written" means for a study, checked straight on the
 * SQLite file with better-sqlite3 (not through hpsearch's own storage code, which is what
 * is under test): the file passes `PRAGMA integrity_check`, the study holds exactly its
 * target with numbers 0..target-1, no trial is left RUNNING or WAITING, every trial is
 * whole, and every trial that was COMPLETE before a fault is still COMPLETE with the same
 * value.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';

export interface StoredTrial {
  readonly number: number;
  readonly state: string;
  /** null for no value (FAIL, a PRUNED trial that reported nothing) and for NaN. */
  readonly value: number | null;
  readonly retries: number;
  readonly failReason: string | null;
  readonly params: number;
  /** The reported steps, in order. */
  readonly steps: readonly number[];
  readonly hasFinalMetrics: boolean;
}

/** COMPLETE trials by number, with their values: taken right after a fault, compared after the resume. */
export type CompletedSnapshot = ReadonlyMap<number, number | null>;

function withDb<T>(dbPath: string, body: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return body(db);
  } finally {
    db.close();
  }
}

/** Every trial of `study`, in number order. */
export function storedTrials(dbPath: string, study: string): StoredTrial[] {
  return withDb(dbPath, (db) => {
    const rows = db
      .prepare(
        `SELECT t.trial_id AS id, t.number, t.state, v.value, v.trial_id IS NOT NULL AS has_value, t.retries, t.fail_reason,
                (SELECT COUNT(*) FROM trial_params p WHERE p.trial_id = t.trial_id) AS params,
                (SELECT json_group_array(step) FROM (SELECT step FROM trial_intermediate_values i WHERE i.trial_id = t.trial_id ORDER BY step)) AS steps,
                EXISTS (SELECT 1 FROM trial_user_attributes a WHERE a.trial_id = t.trial_id AND a.key = 'final_metrics') AS final
         FROM trials t JOIN studies s USING (study_id) LEFT JOIN trial_values v ON v.trial_id = t.trial_id
         WHERE s.study_name = ? ORDER BY t.number`,
      )
      .all(study) as { number: number; state: string; value: number | null; has_value: number; retries: number; fail_reason: string | null; params: number; steps: string; final: number }[];
    return rows.map((r) => ({
      number: r.number,
      state: r.state,
      value: r.has_value ? r.value : null,
      retries: r.retries,
      failReason: r.fail_reason,
      params: r.params,
      steps: JSON.parse(r.steps) as number[],
      hasFinalMetrics: r.final === 1,
    }));
  });
}

export function completedSnapshot(dbPath: string, study: string): CompletedSnapshot {
  return new Map(storedTrials(dbPath, study).filter((t) => t.state === 'COMPLETE').map((t) => [t.number, t.value]));
}

/** Adds the COMPLETE trials of `later` to `before` (a trial never leaves COMPLETE, so this only grows). */
export function mergeSnapshots(before: CompletedSnapshot, later: CompletedSnapshot): CompletedSnapshot {
  return new Map([...before, ...later]);
}

export function assertIntegrity(dbPath: string): void {
  withDb(dbPath, (db) => {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `${dbPath}: PRAGMA integrity_check`);
    assert.deepEqual(db.pragma('foreign_key_check'), [], `${dbPath}: PRAGMA foreign_key_check`);
  });
}

/**
 * No trial of `study` is half-written, whatever state the study is in (also right after a
 * fault): reported steps are 1..k without a gap, a COMPLETE trial has its value, its final
 * metrics and at least one epoch, a FAIL trial has its reason, and every trial holding
 * parameters holds all of them (`paramCount`, the size of the study's unconditional space).
 */
export function assertNoPartialTrials(dbPath: string, study: string, paramCount: number): StoredTrial[] {
  const trials = storedTrials(dbPath, study);
  for (const t of trials) {
    const label = `${study} trial ${t.number} (${t.state})`;
    assert.deepEqual(t.steps, t.steps.map((_, i) => i + 1), `${label}: reported epochs without a gap`);
    assert.ok(t.params === 0 || t.params === paramCount, `${label}: ${t.params} of ${paramCount} params`);
    if (t.state === 'COMPLETE') {
      assert.equal(typeof t.value, 'number', `${label}: a COMPLETE trial has its value`);
      assert.ok(t.hasFinalMetrics, `${label}: a COMPLETE trial has its final metrics`);
      assert.ok(t.steps.length >= 1 && t.params === paramCount, `${label}: a COMPLETE trial has its epochs and params`);
    }
    if (t.state === 'FAIL') assert.ok((t.failReason ?? '').length > 0, `${label}: a FAIL trial says why`);
  }
  return trials;
}

/** How many trials of `completedBefore` are no longer COMPLETE with the same value. */
export function lostTrials(trials: readonly StoredTrial[], completedBefore: CompletedSnapshot): number {
  const byNumber = new Map(trials.map((t) => [t.number, t]));
  let lost = 0;
  for (const [number, value] of completedBefore) {
    const now = byNumber.get(number);
    if (now?.state !== 'COMPLETE' || !Object.is(now.value, value)) lost += 1;
  }
  return lost;
}

/**
 * The study is whole after a fault and a resume (see the module comment). Returns the
 * trials, and how many trials were lost: COMPLETE ones of `completedBefore` that are no
 * longer COMPLETE with the same value (asserted to be 0, counted for the suite's summary).
 */
export function assertStudyHealthy(
  dbPath: string,
  study: string,
  target: number,
  opts: { completedBefore?: CompletedSnapshot; paramCount: number },
): { trials: StoredTrial[]; lost: number } {
  assertIntegrity(dbPath);
  const trials = assertNoPartialTrials(dbPath, study, opts.paramCount);
  const lost = lostTrials(trials, opts.completedBefore ?? new Map());
  assert.equal(lost, 0, `${study}: trials COMPLETE before the fault changed: ${JSON.stringify([...(opts.completedBefore ?? [])])} vs ${JSON.stringify(trials)}`);
  assert.deepEqual(
    trials.map((t) => t.number),
    Array.from({ length: target }, (_, i) => i),
    `${study}: exactly ${target} trials, numbered 0..${target - 1} once each`,
  );
  const unfinished = trials.filter((t) => t.state !== 'COMPLETE' && t.state !== 'PRUNED' && t.state !== 'FAIL');
  assert.deepEqual(unfinished, [], `${study}: no trial left RUNNING or WAITING`);
  return { trials, lost };
}
