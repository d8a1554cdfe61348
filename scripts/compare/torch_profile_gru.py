#!/usr/bin/env python3
"""Per-operator profile of one PyTorch training step of a benchmark model (default
cnngru-seed-best), the counterpart of `node native/bench/profile-step.mjs --model NAME`
(docs/performance.md "Native backend"). Models, batch and step are torch_reference.py's.

Run:  /usr/bin/python3 scripts/compare/torch_profile_gru.py [--model cnngru-seed-best] [--steps 5] [--top 25]

Prints the median step time without the profiler, then the operators of `--steps` profiled
steps (torch.autograd.profiler), by self CPU time per step.
"""
import argparse, os, statistics, sys, time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import BENCHMARKS, CLASSES  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="cnngru-seed-best", choices=sorted(BENCHMARKS))
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    make, shape, batch = BENCHMARKS[a.model]
    torch.manual_seed(0)
    model = make()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(batch, *shape), torch.randint(0, CLASSES, (batch,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(2):
        step()
    times = []
    for _ in range(7):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    print(f"{a.model}: median step {statistics.median(times):.1f} ms (min {min(times):.1f}), {a.threads} thread(s)")
    with torch.autograd.profiler.profile() as prof:
        for _ in range(a.steps):
            step()
    rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    total = sum(e.self_cpu_time_total for e in rows) / 1000 / a.steps
    print(f"profiled: {total:.1f} ms of operator self time per step")
    print(f"{'operator':45s} {'ms/step':>9s} {'calls/step':>11s}")
    for e in rows[: a.top]:
        print(f"{e.key[:45]:45s} {e.self_cpu_time_total / 1000 / a.steps:9.2f} {e.count / a.steps:11.1f}")


if __name__ == "__main__":
    main()
