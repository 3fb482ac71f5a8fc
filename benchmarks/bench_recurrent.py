"""Speed of seqlab's recurrent layers against raw torch.nn.LSTM / GRU, measured in one run.

For each workload it times training (forward + backward + Adam step on a one-layer model with a
Dense(1) head) and inference, for:

* raw torch: ``torch.nn.LSTM/GRU`` + ``torch.nn.Linear`` — the reference;
* seqlab fused: ``Sequential([LSTM(H), Dense(1)])`` on torch's fused kernels;
* seqlab loop: the same model forced onto the step loop (``use_cudnn=False``), the path that
  non-standard activations, recurrent dropout and tracing take;
* seqlab trace: :func:`seqlab.inspect.trace` (inference only; records every gate);
* hand loop: the eager ceiling for a step loop — a plain torch loop written as PERF_NOTES.md
  advises (input projected for all steps in one matmul, one recurrent matmul per step on the
  concatenated gates, ``unbind`` over time). seqlab's loop is also printed against it
  (``loop/hand``): on the notes' Intel machine the hand loop runs at 0.50x raw torch, the
  0.5x target; on a CPU where the fused kernel pulls further ahead (seen: AMD EPYC, 0.3x), the
  ``loop/hand`` ratio says whether seqlab's loop costs anything beyond what eager torch allows.

The variants are timed in interleaved rounds, so a machine busy with other work slows all of them
alike, and the best round of each is kept (``--statistic median`` for medians): the printed
ratios (seqlab throughput / raw torch throughput; 1.0 = as fast) stay fair. Targets: fused >=
0.9x, loop >= 0.5x.

Run: ``python benchmarks/bench_recurrent.py`` (``--rounds 3`` for a quicker, noisier run;
``--threads 1`` on a machine shared with other jobs).
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

import seqlab
from seqlab.layers import GRU, LSTM, Dense
from seqlab.models import Sequential

WORKLOADS = [
    # (name, batch, timesteps, features, units, inference batch)
    ("B64 T50 F8 H128", 64, 50, 8, 128, 1024),
    ("notes' stock model B32 T7 F1 H32", 32, 7, 1, 32, 1024),
]


class RawModel(nn.Module):
    def __init__(self, kind, features, units):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "LSTM" else nn.GRU)(features, units, batch_first=True)
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class HandLoopModel(nn.Module):
    """A step loop in plain eager torch, the fastest way PERF_NOTES.md knows to write one."""

    def __init__(self, kind, features, units):
        super().__init__()
        gates = 4 if kind == "LSTM" else 3
        self.kind, self.units = kind, units
        self.input = nn.Linear(features, gates * units)
        self.recurrent = nn.Linear(units, gates * units, bias=kind != "LSTM")  # GRU: reset_after bias
        self.head = nn.Linear(units, 1)

    def forward(self, x):
        h = x.new_zeros(x.shape[0], self.units)
        c = h
        for projected in self.input(x).unbind(1):
            recurrent = self.recurrent(h)
            if self.kind == "LSTM":
                i, f, g, o = (projected + recurrent).chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            else:
                xz, xr, xn = projected.chunk(3, 1)
                hz, hr, hn = recurrent.chunk(3, 1)
                z, r = torch.sigmoid(xz + hz), torch.sigmoid(xr + hr)
                h = z * h + (1 - z) * torch.tanh(xn + r * hn)
        return self.head(h)


def seqlab_model(kind, timesteps, features, units, **options):
    layer = (LSTM if kind == "LSTM" else GRU)(units, input_shape=(timesteps, features), **options)
    return Sequential([layer, Dense(1)])


def train_step_fn(model, x, y):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()

    return step


def infer_fn(model, x):
    def step():
        with torch.no_grad():
            model(x)

    return step


def trace_fn(model, x):
    def step():
        seqlab.inspect.trace(model, x)

    return step


def time_it(fn, iterations):
    fn()  # warm-up: first-call allocations and kernel selection
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations


def measure(candidates, rounds, iterations, statistic):
    """Seconds per call of each candidate over interleaved rounds, reduced by ``statistic``."""
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            times[name].append(time_it(fn, iterations))
    return {name: statistic(values) for name, values in times.items()}


def run(kind, workload, rounds, statistic):
    name, batch, steps, features, units, infer_batch = workload
    seqlab.utils.set_random_seed(0)
    x, y = torch.randn(batch, steps, features), torch.randn(batch, 1)
    xi = torch.randn(infer_batch, steps, features)
    raw = RawModel(kind, features, units)
    hand = HandLoopModel(kind, features, units)
    fused_model = seqlab_model(kind, steps, features, units)
    loop_model = seqlab_model(kind, steps, features, units, use_cudnn=False)
    iterations = max(3, int(2e6 / (batch * steps * units)))
    train = measure({"raw": train_step_fn(raw, x, y), "fused": train_step_fn(fused_model, x, y),
                     "loop": train_step_fn(loop_model, x, y), "hand loop": train_step_fn(hand, x, y)},
                    rounds, iterations, statistic)
    infer = measure({"raw": infer_fn(raw.eval(), xi), "fused": infer_fn(fused_model.eval(), xi),
                     "loop": infer_fn(loop_model.eval(), xi), "trace": trace_fn(fused_model, xi),
                     "hand loop": infer_fn(hand.eval(), xi)},
                    rounds, max(2, iterations // 4), statistic)
    print(f"\n{kind} — {name}")
    for label, table, samples in (("train", train, batch), ("inference", infer, infer_batch)):
        reference = table["raw"]
        parts = [f"raw torch {samples / reference:8.0f} samples/s"]
        for variant in ("fused", "loop", "trace", "hand loop"):
            if variant in table:
                parts.append(f"{variant} {reference / table[variant]:.2f}x")
        parts.append(f"loop/hand {table['hand loop'] / table['loop']:.2f}x")
        print(f"  {label:9s} " + " | ".join(parts))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (see --statistic)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--statistic", choices=["min", "median"], default="min",
                        help="per-variant reduction over rounds: 'min' (default; other processes "
                             "only ever add time, so the best round is the least disturbed) or "
                             "'median'")
    args = parser.parse_args()
    statistic = min if args.statistic == "min" else statistics.median
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.statistic} of "
          f"{args.rounds} interleaved rounds, "
          f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}; ratios are "
          "seqlab throughput / raw torch throughput (targets: fused >= 0.9x, loop >= 0.5x)")
    for workload in WORKLOADS:
        for kind in ("LSTM", "GRU"):
            run(kind, workload, args.rounds, statistic)


if __name__ == "__main__":
    main()
