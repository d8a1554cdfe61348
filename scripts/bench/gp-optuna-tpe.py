#!/usr/bin/env python3
"""Optuna's TPESampler(seed=s) driven over stdin/stdout by scripts/bench/gp-regret.ts.

The objective functions live only in the TypeScript script, so every sampler is scored by
the same code: this process asks Optuna for parameters, prints them and reads the value
back, one JSON object per line.

    -> {"space": [...], "seed": 0, "trials": 80}
    <- {"params": {...}}     (once per trial, each answered by {"value": 1.23})
    <- {"done": true}

The space is hpsearch's SearchSpace as JSON (name, distribution {type, low, high, log,
step | choices}); the benchmark's spaces have no conditional parameters.
"""

import json
import sys
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore")


def suggest(trial, spec):
    d = spec["distribution"]
    name = spec["name"]
    if d["type"] == "categorical":
        return trial.suggest_categorical(name, d["choices"])
    if d["type"] == "int":
        return trial.suggest_int(name, int(d["low"]), int(d["high"]), step=int(d["step"]), log=d["log"])
    return trial.suggest_float(name, d["low"], d["high"], step=d["step"], log=d["log"])


def main():
    for line in sys.stdin:
        req = json.loads(line)
        study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=req["seed"]))
        for _ in range(req["trials"]):
            trial = study.ask()
            params = {spec["name"]: suggest(trial, spec) for spec in req["space"]}
            sys.stdout.write(json.dumps({"params": params}) + "\n")
            sys.stdout.flush()
            study.tell(trial, json.loads(sys.stdin.readline())["value"])
        sys.stdout.write(json.dumps({"done": True}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
