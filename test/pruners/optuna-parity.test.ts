/**
 * Differential test against Optuna itself (skipped where `/usr/bin/python3 -c "import optuna"`
 * fails; `apt-get install -y python3-optuna` provides it).
 *
 * Python simulates random studies (1, 2 or 4 trials running interleaved, random curves with ties
 * and NaNs, random pruner settings) with Optuna's pruner and logs every report and decision; we
 * replay the same history through ours and require the same decision at every report. Covered:
 * ASHA with a fixed min_resource and a report at every step (bootstrap included), and the median
 * pruner with dense or sparse steps. Not covered, because they are documented deviations: ASHA
 * with 'auto' (rungs are not judged retroactively) and ASHA with sparse reports crossing several
 * rungs at once (see successive-halving.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { createPruner } from '../../src/pruners/index.js';
import type { PrunerSettings } from '../../src/config/settings.js';
import type { Direction } from '../../src/core/search-space.js';
import { createFrozenTrial, type FrozenTrial, type TrialState } from '../../src/core/trial.js';

const PYTHON = '/usr/bin/python3';
const SCENARIOS_PER_KIND = 40;

const GENERATOR = `
import json, math, random, sys
import optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)

def scenario(seed, kind):
    rng = random.Random(seed)
    direction = rng.choice(["minimize", "maximize"])
    if kind == "asha":
        cfg = dict(type="asha", min_resource=rng.choice([1, 1, 2, 3]), reduction_factor=rng.choice([2, 3, 4]),
                   min_early_stopping_rate=rng.choice([0, 0, 1]), bootstrap_count=rng.choice([0, 0, 1, 2]))
        pruner = optuna.pruners.SuccessiveHalvingPruner(cfg["min_resource"], cfg["reduction_factor"],
                                                        cfg["min_early_stopping_rate"], cfg["bootstrap_count"])
        sparse = False
    else:
        cfg = dict(type="median", n_startup_trials=rng.choice([0, 1, 3, 5]), n_warmup_steps=rng.choice([0, 1, 4]),
                   interval_steps=rng.choice([1, 2, 3]))
        pruner = optuna.pruners.MedianPruner(cfg["n_startup_trials"], cfg["n_warmup_steps"], cfg["interval_steps"])
        sparse = rng.random() < 0.5
    study = optuna.create_study(direction=direction, pruner=pruner)
    workers = rng.choice([1, 2, 4])
    max_len = rng.choice([10, 30])
    def curve():
        n = rng.randint(1, max_len)
        steps = sorted(rng.sample(range(n * 3), min(n, rng.randint(1, 8)))) if sparse else list(range(n))
        base = rng.random()
        values = []
        for i in range(len(steps)):
            v = round(base + rng.gauss(0, 0.3) - 0.01 * i, 1)  # rounding makes ties
            values.append(float("nan") if rng.random() < 0.02 else v)
        return list(zip(steps, values))
    pending = list(range(rng.randint(5, 30)))
    active = {}
    events = []
    while pending or active:
        while pending and len(active) < workers:
            i = pending.pop(0)
            active[i] = dict(t=study.ask(), curve=curve(), pos=0, fail=rng.random() < 0.05)
        i = rng.choice(list(active))
        a = active[i]
        step, value = a["curve"][a["pos"]]
        a["t"].report(value, step)
        pruned = bool(a["t"].should_prune())
        events.append(dict(trial=i, step=step, value=None if math.isnan(value) else value, prune=pruned))
        a["pos"] += 1
        if pruned:
            study.tell(a["t"], state=optuna.trial.TrialState.PRUNED)
            events.append(dict(trial=i, end="PRUNED")); del active[i]
        elif a["pos"] == len(a["curve"]):
            if a["fail"]:
                study.tell(a["t"], state=optuna.trial.TrialState.FAIL)
                events.append(dict(trial=i, end="FAIL"))
            else:
                study.tell(a["t"], 0.0)
                events.append(dict(trial=i, end="COMPLETE"))
            del active[i]
    return dict(seed=seed, kind=kind, direction=direction, pruner=cfg, events=events)

n = int(sys.argv[1])
json.dump([scenario(seed, kind) for kind in ["asha", "median"] for seed in range(n)], sys.stdout)
`;

type Event =
  | { readonly trial: number; readonly step: number; readonly value: number | null; readonly prune: boolean }
  | { readonly trial: number; readonly end: TrialState };

interface Scenario {
  readonly seed: number;
  readonly kind: string;
  readonly direction: Direction;
  readonly pruner: PrunerSettings;
  readonly events: readonly Event[];
}

function optunaAvailable(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import optuna'], { stdio: 'ignore' });
  return r.status === 0;
}

function frozenOf(number: number, state: TrialState, reports: ReadonlyArray<readonly [number, number]>): FrozenTrial {
  return createFrozenTrial({ number, state, intermediate: reports.map(([step, value]) => ({ step, value })) });
}

/** Replays one Optuna history; returns a description of the first disagreement, or null. */
function replay(sc: Scenario): string | null {
  const pruner = createPruner(sc.pruner);
  const trials = new Map<number, { state: TrialState; reports: Array<readonly [number, number]> }>();
  for (const e of sc.events) {
    let t = trials.get(e.trial);
    if (t === undefined) {
      t = { state: 'RUNNING', reports: [] };
      trials.set(e.trial, t);
    }
    if ('end' in e) {
      t.state = e.end;
      continue;
    }
    t.reports.push([e.step, e.value ?? Number.NaN]);
    const others = [...trials].filter(([n]) => n !== e.trial).map(([n, o]) => frozenOf(n, o.state, o.reports));
    const ours = pruner.prune({ direction: sc.direction, trial: frozenOf(e.trial, t.state, t.reports), trials: others });
    if (ours !== e.prune) {
      return `${sc.kind} seed ${sc.seed} trial ${e.trial} step ${e.step}: Optuna ${e.prune}, ours ${ours} (${JSON.stringify(sc.pruner)})`;
    }
  }
  return null;
}

describe('parity with Optuna', { skip: optunaAvailable() ? false : `${PYTHON} has no optuna` }, () => {
  it('takes the same decision as Optuna at every report', () => {
    const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', GENERATOR, String(SCENARIOS_PER_KIND)], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const scenarios = JSON.parse(r.stdout) as Scenario[];
    let decisions = 0;
    let prunes = 0;
    for (const sc of scenarios) {
      for (const e of sc.events) {
        if ('prune' in e) {
          decisions += 1;
          if (e.prune) prunes += 1;
        }
      }
      assert.equal(replay(sc), null);
    }
    // The histories must actually exercise pruning.
    assert.ok(decisions > 1000 && prunes > 100, `${decisions} decisions, ${prunes} prunes`);
  });
});
