"""Speed of seqlab under ``mixed_bfloat16`` against raw torch in float32, measured in one run.

For LSTM and GRU on B64 T50 F8 H128 (training: forward + backward + Adam step with a Dense(1)
head, batch 64; inference: batch 1024), each variant timed in interleaved rounds (a machine busy
with other work slows all of them alike), median of the rounds:

* ``raw fp32``: ``torch.nn.LSTM/GRU`` + ``nn.Linear`` in float32, the reference (1.00x);
* ``raw autocast``: the same under ``torch.autocast("cpu", dtype=torch.bfloat16)``: what a torch
  user gets by switching bf16 on (GRU: a slower per-step fallback on the CPU);
* ``raw bf16 fused``: torch's fused kernel with inputs and weights cast to bfloat16 explicitly;
* ``seqlab fp32``: ``Sequential([LSTM(128), Dense(1)])``, float32;
* ``seqlab mixed``: the same under ``set_global_policy("mixed_bfloat16")`` (its last layer in
  float32, as Keras advises), the path seqlab chooses (:mod:`seqlab.layers.recurrent.paths`,
  :mod:`seqlab.layers.recurrent.precision_path`; printed below the rows: GRU inference on an
  AMX CPU runs seqlab's own bfloat16 kernel, :mod:`seqlab.layers.recurrent.gru_inference`);
* ``seqlab mixed torch kernel`` (GRU inference): the mixed model on torch's fused kernel
  (``force_path('fused')``), to show what seqlab's kernel adds;
* ``seqlab mixed loop``: the mixed model on the step loop (``use_cudnn=False``).

Targets (issue 12): LSTM mixed train >= 1.4x, inference >= 2.0x; GRU mixed train >= 1.0x,
inference >= 1.5x.

``--gru-shapes`` times seqlab's bfloat16 GRU inference kernel itself on other shapes (whatever
the chooser would pick), against raw fp32 and torch's bfloat16 kernel: the measurements behind
the entries of ``seqlab.layers.recurrent.paths.FACTS``.

    python benchmarks/bench_mixed_precision.py --rounds 3
    python benchmarks/bench_mixed_precision.py --threads 1 --rounds 3 --kinds "" \
        --gru-shapes B32xT50xF8xH128,B64xT50xF8xH128,B128xT50xF8xH128,B1024xT7xF1xH32
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time

import torch
from torch import nn

import seqlab
from seqlab import mixed_precision
from seqlab.layers import GRU, LSTM, Dense
from seqlab.layers.recurrent.gru_inference import run_gru_inference
from seqlab.layers.recurrent.paths import force_path
from seqlab.models import Sequential

BATCH, STEPS, FEATURES, UNITS, INFER_BATCH = 64, 50, 8, 128, 1024


class RawModel(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = (nn.LSTM if kind == "LSTM" else nn.GRU)(FEATURES, UNITS, batch_first=True)
        self.head = nn.Linear(UNITS, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1].float())


class RawCastModel(RawModel):
    """torch's fused kernel run on bfloat16 copies of the float32 weights (cast every call)."""

    def forward(self, x):
        weights = [w.bfloat16() for w in self.rnn._flat_weights]
        state = torch.zeros(1, x.shape[0], UNITS, dtype=torch.bfloat16)
        kernel = torch._VF.lstm if isinstance(self.rnn, nn.LSTM) else torch._VF.gru
        hx = (state, state) if isinstance(self.rnn, nn.LSTM) else state
        out = kernel(x.bfloat16(), hx, weights, True, 1, 0.0, self.training, False, True)[0]
        return self.head(out[:, -1].float())


def seqlab_model(kind, policy, **options):
    mixed_precision.set_global_policy(policy)
    try:
        layer = (LSTM if kind == "LSTM" else GRU)(UNITS, input_shape=(STEPS, FEATURES), **options)
        return Sequential([layer, Dense(1, dtype="float32")])
    finally:
        mixed_precision.set_global_policy(None)


def autocast(fn):
    def step():
        with torch.autocast("cpu", dtype=torch.bfloat16):
            fn()
    return step


def train_fn(model, x, y):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = ((model(x).float() - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    return step


def infer_fn(model, x):
    def step():
        with torch.no_grad():
            model(x)
    return step


def on_torch_kernel(fn):
    def step():
        with force_path("fused"):
            fn()
    return step


def time_it(fn, iterations):
    """Wall and CPU seconds per call. On a machine shared with other jobs the CPU seconds of
    this process (``--threads 1``) say more than the wall clock, which counts others' work."""
    fn()  # warm-up: first-call allocations, kernel selection, autocast's weight casts
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - wall) / iterations, (time.process_time() - cpu) / iterations


def measure(candidates, rounds, iterations):
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            times[name].append(time_it(fn, iterations))
    return times


def report(label, times, samples):
    """Median over rounds of each round's ratio to raw fp32 (throughput / raw's), by wall
    clock and by this process's CPU time."""
    for clock, index in (("wall", 0), ("cpu", 1)):
        reference = [t[index] for t in times["raw fp32"]]
        parts = [f"raw fp32 {samples / statistics.median(reference):7.0f} samples/s"]
        for name, values in times.items():
            if name != "raw fp32":
                ratio = statistics.median(r / v[index] for r, v in zip(reference, values))
                parts.append(f"{name} {ratio:.2f}x")
        print(f"  {label:9s} {clock:4s} " + " | ".join(parts), flush=True)


def run(kind, rounds, iterations):
    seqlab.utils.set_random_seed(0)
    x, y, xi = torch.randn(BATCH, STEPS, FEATURES), torch.randn(BATCH, 1), torch.randn(INFER_BATCH, STEPS, FEATURES)
    raw, cast = RawModel(kind), RawCastModel(kind)
    fp32, mixed = seqlab_model(kind, "float32"), seqlab_model(kind, "mixed_bfloat16")
    loop = seqlab_model(kind, "mixed_bfloat16", use_cudnn=False)
    train = measure({"raw fp32": train_fn(raw, x, y), "raw autocast": autocast(train_fn(raw, x, y)),
                     "raw bf16 fused": train_fn(cast, x, y), "seqlab fp32": train_fn(fp32, x, y),
                     "seqlab mixed": train_fn(mixed, x, y), "seqlab mixed loop": train_fn(loop, x, y)},
                    rounds, iterations)
    train_path = mixed.layers[0].path
    infer_fns = {"raw fp32": infer_fn(raw.eval(), xi), "raw autocast": autocast(infer_fn(raw.eval(), xi)),
                 "raw bf16 fused": infer_fn(cast.eval(), xi), "seqlab fp32": infer_fn(fp32.eval(), xi),
                 "seqlab mixed": infer_fn(mixed.eval(), xi), "seqlab mixed loop": infer_fn(loop.eval(), xi)}
    if kind == "GRU":
        infer_fns["seqlab mixed torch kernel"] = on_torch_kernel(infer_fn(mixed.eval(), xi))
    infer = measure(infer_fns, rounds, max(1, iterations // 4))
    infer_fns["seqlab mixed"]()  # the chosen path, for the note below
    print(f"\n{kind} — B{BATCH} T{STEPS} F{FEATURES} H{UNITS} (inference B{INFER_BATCH})")
    report("train", train, BATCH)
    report("inference", infer, INFER_BATCH)
    print(f"  seqlab mixed paths: train {train_path} [{train_path.kernel}]; "
          f"inference {mixed.layers[0].path} [{mixed.layers[0].path.kernel}]")


def gru_kernel_by_shape(shape, rounds):
    """seqlab's bfloat16 GRU kernel and torch's on bfloat16 copies, inference throughput / raw
    fp32 ``nn.GRU`` (this process's CPU time, median of interleaved rounds)."""
    batch, steps, features, units = (int(part[1:]) for part in shape.split("x"))
    seqlab.utils.set_random_seed(0)
    gru = nn.GRU(features, units, batch_first=True).eval()
    weights = [w.detach() for w in gru._flat_weights]
    x = torch.randn(batch, steps, features)
    x16, h16 = x.bfloat16(), torch.zeros(batch, units, dtype=torch.bfloat16)

    def torch_bf16():
        with torch.no_grad():
            kernel_weights = [w.bfloat16() for w in weights]
            torch._VF.gru(x16, h16.unsqueeze(0), kernel_weights, True, 1, 0.0, False, False, True)

    fns = {"raw fp32": infer_fn(gru, x), "torch bf16 kernel": torch_bf16,
           "seqlab bf16 kernel": lambda: run_gru_inference(x16, h16, weights, return_sequences=False)}
    times = measure(fns, rounds, max(2, int(2e6 / (batch * steps * units))))
    reference = [t[1] for t in times["raw fp32"]]
    ratios = {name: statistics.median(r / v[1] for r, v in zip(reference, values))
              for name, values in times.items() if name != "raw fp32"}
    print(f"  GRU inference {shape}: " + " | ".join(f"{name} {ratio:.2f}x" for name, ratio in ratios.items()),
          flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (median reported)")
    parser.add_argument("--iterations", type=int, default=8, help="training steps per timing")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--kinds", default="LSTM,GRU", help='comma-separated; "" for none')
    parser.add_argument("--gru-shapes", default="",
                        help="comma-separated BxTxFxH shapes for seqlab's GRU kernel, e.g. B1024xT50xF8xH128")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU capability "
          f"{torch.backends.cpu.get_cpu_capability()}, median of {args.rounds} interleaved rounds; "
          "ratios: throughput / raw torch fp32 throughput")
    with contextlib.suppress(OSError):
        print("load:", os.getloadavg(), f"on {os.cpu_count()} CPUs", flush=True)
    for kind in filter(None, args.kinds.split(",")):
        run(kind, args.rounds, args.iterations)
    for shape in filter(None, args.gru_shapes.split(",")):
        gru_kernel_by_shape(shape, args.rounds)


if __name__ == "__main__":
    main()
