#!/usr/bin/env python3
"""Optuna's TPESampler driven over stdin/stdout by scripts/compare/samplers.ts.

The objective functions live only on the TypeScript side, so both samplers are scored by
exactly the same code: this process asks Optuna for parameters, prints them, and reads the
value back. One JSON object per line.

    -> {"cmd": "study", "space": [...], "seed": 0, "trials": 80, "direction": "minimize",
        "options": {...}}
    <- {"params": {...}}          (once per trial; each answered by)
    -> {"value": 1.23}
    <- {"done": true, "seconds": 1.2}
    -> {"cmd": "exit"}

The space is hpsearch's SearchSpace as JSON: [{"name", "distribution": {"type", "low",
"high", "log", "step" | "choices"}, "when"?: {"other": [values]}}], in sampling order.
Parameters are suggested define-by-run in that order, skipping those whose `when` does
not hold, which is how an Optuna user writes a conditional space.

`options` are keyword arguments of `TPESampler` (e.g. {"multivariate": true}), except
"logpdf_fix": true, which applies the following patch for that study.

With "logpdf_fix", Optuna 3.1's `_truncnorm.logpdf` gets the one-line correction of
optuna PR #5110 (issue #5109, released in 3.5): it omitted the -log(scale) term, so the
continuous kernels of its Parzen estimators were not normalised densities (each kernel
counted as if weighted by its bandwidth). This lets the comparison show Optuna 3.1 both as
shipped and with the density the later releases (and hpsearch) use.
"""

import json
import sys
import time
import warnings

import numpy as np
import optuna
from optuna.samplers._tpe import _truncnorm

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore")


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def receive():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)


def condition_holds(when, params):
    if not when:
        return True
    return all(name in params and params[name] in allowed for name, allowed in when.items())


def suggest(trial, spec):
    name, d = spec["name"], spec["distribution"]
    if d["type"] == "float":
        return trial.suggest_float(name, d["low"], d["high"], log=d["log"], step=d["step"])
    if d["type"] == "int":
        return trial.suggest_int(name, int(d["low"]), int(d["high"]), step=int(d["step"]), log=d["log"])
    return trial.suggest_categorical(name, d["choices"])


def run_study(cmd):
    options = dict(cmd.get("options") or {})
    _truncnorm.logpdf = fixed_logpdf if options.pop("logpdf_fix", False) else unscaled_logpdf
    sampler = optuna.samplers.TPESampler(seed=cmd["seed"], **options)
    study = optuna.create_study(direction=cmd.get("direction", "minimize"), sampler=sampler)
    seconds = 0.0
    for _ in range(cmd["trials"]):
        start = time.perf_counter()
        trial = study.ask()
        params = {}
        for spec in cmd["space"]:
            if condition_holds(spec.get("when"), params):
                params[spec["name"]] = suggest(trial, spec)
        seconds += time.perf_counter() - start
        send({"params": params})
        value = receive()["value"]
        study.tell(trial, value)
    send({"done": True, "seconds": seconds})


unscaled_logpdf = _truncnorm.logpdf


def fixed_logpdf(x, a, b, loc=0, scale=1):
    """optuna PR #5110: logpdf(x, a, b, loc, scale) must subtract log(scale)."""
    # parzen_estimator.py calls it as truncnorm.logpdf through the module object, so
    # assigning _truncnorm.logpdf swaps it.
    return unscaled_logpdf(x, a, b, loc, scale) - np.log(scale)


def main():
    send({"ready": True, "optuna": optuna.__version__})
    while True:
        cmd = receive()
        if cmd.get("cmd") == "study":
            run_study(cmd)
        else:
            return


if __name__ == "__main__":
    main()
