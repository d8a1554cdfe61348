"""Optuna 3.1 counterpart of storage-client.ts, for storage-backends.ts.

  /usr/bin/python3 storage-optuna-client.py create URL STUDY   # creates the study
  /usr/bin/python3 storage-optuna-client.py run URL STUDY COUNT

`run` loads the study on an RDBStorage (Optuna wraps it in its _CachedStorage, as
optuna.load_study does), prints `ready`, waits for a line on stdin, runs COUNT ask/tell
pairs with the same trivial objective and random sampler, and prints one JSON line: the
milliseconds of each pair.
"""
import json
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)

DISTRIBUTIONS = {
    "x": optuna.distributions.FloatDistribution(-5, 5),
    "y": optuna.distributions.FloatDistribution(-5, 5),
}


def main() -> None:
    mode, url, name = sys.argv[1:4]
    if mode == "create":
        optuna.create_study(storage=url, study_name=name, sampler=optuna.samplers.RandomSampler(seed=0))
        return
    count = int(sys.argv[4])
    study = optuna.load_study(storage=url, study_name=name, sampler=optuna.samplers.RandomSampler())
    print("ready", flush=True)
    sys.stdin.readline()
    ms = []
    for _ in range(count):
        t0 = time.perf_counter()
        trial = study.ask(DISTRIBUTIONS)
        x, y = trial.params["x"], trial.params["y"]
        study.tell(trial, x * x + y * y)
        ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps(ms), flush=True)


if __name__ == "__main__":
    main()
