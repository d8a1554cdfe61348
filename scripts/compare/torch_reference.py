#!/usr/bin/env python3
"""Reference training-step timings in PyTorch (CPU) for the four benchmark models of
docs/performance.md ("How to reproduce"), the anchor of `npm run bench` comparisons.

Install once (Debian): apt-get install -y python3-torch
Run:  /usr/bin/python3 scripts/compare/torch_reference.py [--threads 1] [--steps 20] [--json]
      /usr/bin/python3 scripts/compare/torch_reference.py --profile cnn2d-small [--steps 5] [--json]

Each figure is the median wall time of one training step (forward, backward,
optimizer step) on random data, after two warm-up steps. --profile MODEL instead
runs `steps` steps of one model under torch.autograd.profiler and prints each
operator's self CPU time per step (the time in the op itself, not in the ops it
calls), the counterpart of native/bench/profile-step.mjs.
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F

L, CLASSES = 187, 5


class ResBlock1D(nn.Module):
    def __init__(s, h):
        super().__init__()
        s.c1, s.b1 = nn.Conv1d(h, h, 3, padding=1), nn.BatchNorm1d(h)
        s.c2, s.b2 = nn.Conv1d(h, h, 3, padding=1), nn.BatchNorm1d(h)

    def forward(s, x):
        y = s.b1(F.relu(s.c1(x)))
        y = s.b2(F.relu(s.c2(y)))
        return x + y


class CNNGRU(nn.Module):
    def __init__(s, hidden, blocks, gru_hidden, gru_layers, dropout):
        super().__init__()
        s.conv, s.bn = nn.Conv1d(1, hidden, 3, padding=1), nn.BatchNorm1d(hidden)
        s.blocks = nn.Sequential(*[ResBlock1D(hidden) for _ in range(blocks)])
        s.gru = nn.GRU(hidden, gru_hidden, gru_layers, batch_first=True,
                       dropout=dropout if gru_layers > 1 else 0.0)
        s.fc1, s.fc2 = nn.Linear(gru_hidden, hidden), nn.Linear(hidden, CLASSES)

    def forward(s, x):                      # x: (batch, 1, 187)
        x = s.bn(F.relu(s.conv(x)))
        x = F.max_pool1d(s.blocks(x), 2)    # (batch, hidden, 93)
        _, h = s.gru(x.transpose(1, 2))
        return s.fc2(F.relu(s.fc1(h[-1])))


class ResBlock2D(nn.Module):
    def __init__(s, h):
        super().__init__()
        s.c1, s.b1 = nn.Conv2d(h, h, 3, padding=1), nn.BatchNorm2d(h)
        s.c2, s.b2 = nn.Conv2d(h, h, 3, padding=1), nn.BatchNorm2d(h)

    def forward(s, x):
        y = F.relu(s.b1(s.c1(x)))
        y = s.b2(s.c2(y))
        return F.relu(x + y)


class CNN2D(nn.Module):
    def __init__(s, hidden, blocks, dense_layers, dropout):
        super().__init__()
        s.conv, s.bn = nn.Conv2d(1, hidden, 3, padding=1), nn.BatchNorm2d(hidden)
        s.blocks = nn.Sequential(*[ResBlock2D(hidden) for _ in range(blocks)])
        layers, width = [], hidden * 5 * 8
        for _ in range(dense_layers - 1):
            layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden
        s.head = nn.Sequential(*layers, nn.Linear(width, CLASSES))

    def forward(s, x):                      # x: (batch, 1, 11, 17)
        x = s.bn(F.relu(s.conv(x)))
        x = F.max_pool2d(s.blocks(x), 2)    # (batch, hidden, 5, 8)
        return s.head(x.flatten(1))


BENCHMARKS = {
    # name: (constructor, input shape without batch, batch size)
    "cnngru-small": (lambda: CNNGRU(64, 0, 64, 1, 0.0), (1, L), 64),
    "cnngru-seed-best": (lambda: CNNGRU(64, 5, 256, 2, 0.4), (1, L), 32),
    "cnn2d-small": (lambda: CNN2D(64, 1, 1, 0.0), (1, 11, 17), 64),
    "cnn2d-seed-best": (lambda: CNN2D(128, 1, 3, 0.3), (1, 11, 17), 16),
}


def make_step(make, shape, batch):
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
    return step


def profile_step(make, shape, batch, steps):
    """(median unprofiled step ms, {op name: [self CPU ms per step, calls per step]}) over
    `steps` unprofiled, then `steps` profiled steps."""
    step = make_step(make, shape, batch)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            step()
    ops = {}
    for e in prof.key_averages():
        if e.self_cpu_time_total > 0:
            ops[e.key] = [round(e.self_cpu_time_total / 1000 / steps, 3), round(e.count / steps, 2)]
    return round(statistics.median(times), 2), ops


def time_step(make, shape, batch, steps):
    step = make_step(make, shape, batch)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", metavar="MODEL", choices=sorted(BENCHMARKS))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.profile:
        step_ms, ops = profile_step(*BENCHMARKS[a.profile], a.steps)
        if a.json:
            print(json.dumps({"framework": f"torch {torch.__version__}", "threads": a.threads, "model": a.profile,
                              "ms_per_step": {a.profile: step_ms}, "self_cpu_ms_per_step": ops}))
        else:
            total = sum(ms for ms, _ in ops.values())
            print(f"{a.profile}: step {step_ms:.1f} ms (median of {a.steps}, unprofiled); "
                  f"{total:.1f} ms self CPU per step (mean of {a.steps} profiled steps)")
            for k, (ms, calls) in sorted(ops.items(), key=lambda kv: -kv[1][0]):
                print(f"{ms:9.2f} ms {100 * ms / total:5.1f} % {calls:6g}x  {k}")
        return
    res = {n: round(time_step(m, s, b, a.steps), 2) for n, (m, s, b) in BENCHMARKS.items()}
    if a.json:
        print(json.dumps({"framework": f"torch {torch.__version__}", "threads": a.threads, "ms_per_step": res}))
    else:
        for n, v in res.items():
            print(f"{n:20s} {v:8.2f} ms/step  (batch {BENCHMARKS[n][2]})")


if __name__ == "__main__":
    main()
