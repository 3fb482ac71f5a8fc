"""Speed of seqlab's recurrent layers against raw torch.nn.LSTM / GRU, measured in one run.

For each workload it times training (forward + backward + Adam step on a one-layer model with a
Dense(1) head) and inference, for:

* raw torch: ``torch.nn.LSTM/GRU`` + ``torch.nn.Linear`` — the reference;
* seqlab default: ``Sequential([LSTM(H), Dense(1)])`` on the path
  :func:`seqlab.layers.recurrent.paths.choose_path` picks (printed: fused, or the loop where it
  was measured faster, e.g. GRU inference at B1024 H128);
* seqlab loop: the same model forced onto the step loop (``use_cudnn=False``), the path that
  non-standard activations, recurrent dropout and tracing take;
* seqlab compiled loop: the loop with the cell step compiled (``force_path('compiled_loop')``);
  its one-time compile cost is printed with the number of calls it takes to pay it back;
* seqlab trace: :func:`seqlab.inspect.trace` (inference only; records every gate), and
  ``trace hidden``: ``trace(record=['hidden'])``;
* jit: the train step with ``torch.compile`` on the model, as ``compile(jit_compile=True)``;
* Keras 3 (only when ``import keras`` works; the ``bench`` extra): the same model in Keras on
  the torch backend (and TensorFlow's when installed), timed in a subprocess against raw torch
  in that subprocess;
* seqlab loop autograd: the loop taking its gradients by autograd through every op
  (``bptt.autograd_loop()``), as every loop did before the hand-written backward of
  ``layers/recurrent/bptt.py`` (which the ``loop`` row uses); train only;
* hand loop: the eager ceiling for an autograd step loop — a plain torch loop written as PERF_NOTES.md
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
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

import seqlab
from seqlab.layers import GRU, LSTM, Dense
from seqlab.layers.recurrent import bptt, compiled, fused
from seqlab.layers.recurrent.paths import force_path
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


def trace_fn(model, x, record=("gates", "cell", "hidden")):
    def step():
        seqlab.inspect.trace(model, x, record=record)

    return step


def on_path(path, fn):
    """``fn`` run with every recurrent layer forced onto ``path``."""
    def step():
        with force_path(path):
            fn()

    return step


def autograd_loop(fn):
    """``fn`` with the step loop's gradients taken by autograd (the hand-written backward off)."""
    def step():
        with bptt.autograd_loop():
            fn()

    return step


def first_call(fn):
    """Seconds of ``fn``'s first call (a compile happens there)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


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


def run(kind, workload, rounds, statistic, keras_backends, with_compile=True):
    name, batch, steps, features, units, infer_batch = workload
    seqlab.utils.set_random_seed(0)
    x, y = torch.randn(batch, steps, features), torch.randn(batch, 1)
    xi = torch.randn(infer_batch, steps, features)
    raw = RawModel(kind, features, units)
    hand = HandLoopModel(kind, features, units)
    default_model = seqlab_model(kind, steps, features, units)
    loop_model = seqlab_model(kind, steps, features, units, use_cudnn=False)
    compiled_model = seqlab_model(kind, steps, features, units)
    jit_model = seqlab_model(kind, steps, features, units)
    iterations = max(3, int(2e6 / (batch * steps * units)))
    train_fns = {"raw": train_step_fn(raw, x, y), "default": train_step_fn(default_model, x, y),
                 "loop": train_step_fn(loop_model, x, y),
                 "loop autograd": autograd_loop(train_step_fn(loop_model, x, y)),
                 "hand loop": train_step_fn(hand, x, y)}
    infer_fns = {"raw": infer_fn(raw.eval(), xi), "default": infer_fn(default_model.eval(), xi),
                 "loop": infer_fn(loop_model.eval(), xi), "trace": trace_fn(default_model, xi),
                 "trace hidden": trace_fn(default_model, xi, record=("hidden",)),
                 "hand loop": infer_fn(hand.eval(), xi)}
    costs = {}
    if with_compile:
        train_fns["compiled loop"] = on_path("compiled_loop", train_step_fn(compiled_model, x, y))
        infer_fns["compiled loop"] = on_path("compiled_loop", infer_fn(compiled_model.eval(), xi))
        fused.exclude_from_compile()  # as compile(jit_compile=True) does
        train_fns["jit"] = train_step_fn(torch.compile(jit_model), x, y)
        costs = {"compiled loop": first_call(train_fns["compiled loop"]) + first_call(infer_fns["compiled loop"]),
                 "jit": first_call(train_fns["jit"])}
    train = measure(train_fns, rounds, iterations, statistic)
    train_path = default_model.layers[0].path
    infer = measure(infer_fns, rounds, max(2, iterations // 4), statistic)
    infer_path = default_model.layers[0].path
    print(f"\n{kind} — {name}  (default path: train {train_path.name}, inference {infer_path.name})")
    for label, table, samples in (("train", train, batch), ("inference", infer, infer_batch)):
        reference = table["raw"]
        parts = [f"raw torch {samples / reference:8.0f} samples/s"]
        for variant in ("default", "loop", "loop autograd", "compiled loop", "jit", "trace", "trace hidden",
                        "hand loop"):
            if variant in table:
                parts.append(f"{variant} {reference / table[variant]:.2f}x")
        parts.append(f"loop/hand {table['hand loop'] / table['loop']:.2f}x")
        print(f"  {label:9s} " + " | ".join(parts))
    if with_compile:
        report_compile(train, costs)
    for backend in keras_backends:
        print(f"  keras-{backend} " + keras_row(backend, kind, workload, rounds))


def report_compile(train, costs):
    saved = train["loop"] - train["compiled loop"]
    pays = f"pays back after {costs['compiled loop'] / saved:.0f} train steps" if saved > 0 else "never pays back"
    failure = compiled.compile_failure()
    print(f"  compile   compiled loop first calls {costs['compiled loop']:.1f} s ({pays}"
          f"{'; FELL BACK TO EAGER: ' + failure if failure else ''}); jit first call {costs['jit']:.1f} s")


KERAS_SCRIPT = """
import json, statistics, sys, time
import keras, torch
kind, batch, steps, features, units, infer_batch, rounds, threads = json.loads(sys.argv[1])
torch.set_num_threads(threads)  # the parent's: 2-thread OpenMP stalls on a busy machine skew small ops
x = torch.randn(batch, steps, features); y = torch.randn(batch, 1); xi = torch.randn(infer_batch, steps, features)
layer = keras.layers.LSTM if kind == "LSTM" else keras.layers.GRU
model = keras.Sequential([keras.Input((steps, features)), layer(units), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
raw_rnn = (torch.nn.LSTM if kind == "LSTM" else torch.nn.GRU)(features, units, batch_first=True)
head = torch.nn.Linear(units, 1)
opt = torch.optim.Adam([*raw_rnn.parameters(), *head.parameters()])
xn, yn, xin = x.numpy(), y.numpy(), xi.numpy()
def raw_train():
    opt.zero_grad(); out, _ = raw_rnn(x); ((head(out[:, -1]) - y) ** 2).mean().backward(); opt.step()
def raw_infer():
    with torch.no_grad(): head(raw_rnn(xi)[0][:, -1])
def timed(fn, n):
    fn(); start = time.perf_counter()
    for _ in range(n): fn()
    return (time.perf_counter() - start) / n
fns = {"raw_train": raw_train, "keras_train": lambda: model.train_on_batch(xn, yn),
       "raw_infer": raw_infer, "keras_infer": lambda: model.predict_on_batch(xin)}
times = {k: [] for k in fns}
for _ in range(rounds):
    for k, fn in fns.items():
        times[k].append(timed(fn, 3))
m = {k: statistics.median(v) for k, v in times.items()}
print(json.dumps({"train": m["raw_train"] / m["keras_train"], "inference": m["raw_infer"] / m["keras_infer"]}))
"""


def keras_backends() -> list[str]:
    """The Keras 3 backends importable here (none without the ``bench`` extra)."""
    found = []
    for backend, module in (("torch", "torch"), ("tensorflow", "tensorflow")):
        probe = subprocess.run([sys.executable, "-c", f"import keras, {module}"], capture_output=True,
                               env={**os.environ, "KERAS_BACKEND": backend})
        if probe.returncode == 0:
            found.append(backend)
    return found


def keras_row(backend, kind, workload, rounds) -> str:
    _, batch, steps, features, units, infer_batch = workload
    env = {**os.environ, "KERAS_BACKEND": backend}
    args = json.dumps([kind, batch, steps, features, units, infer_batch, rounds, torch.get_num_threads()])
    done = subprocess.run([sys.executable, "-c", KERAS_SCRIPT, args], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]
    ratios = json.loads(done.stdout.strip().splitlines()[-1])
    return (f"train {ratios['train']:.2f}x | inference {ratios['inference']:.2f}x raw torch "
            "(median of interleaved rounds in its own process)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved timing rounds (see --statistic)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--statistic", choices=["min", "median"], default="min",
                        help="per-variant reduction over rounds: 'min' (default; other processes "
                             "only ever add time, so the best round is the least disturbed) or "
                             "'median'")
    parser.add_argument("--only", default=None, help="run only workloads whose name contains this, e.g. 'B64'")
    parser.add_argument("--kinds", default="LSTM,GRU", help="comma-separated: LSTM,GRU")
    parser.add_argument("--no-compile", action="store_true",
                        help="skip the compiled-loop and jit rows (their compiles take minutes on 2 busy cores)")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras 3 rows")
    args = parser.parse_args()
    statistic = min if args.statistic == "min" else statistics.median
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {args.statistic} of "
          f"{args.rounds} interleaved rounds, "
          f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}; ratios are "
          "seqlab throughput / raw torch throughput (targets: fused >= 0.9x, loop >= 0.5x, "
          "trace >= 0.6x)")
    with contextlib.suppress(OSError):
        print("load:", os.getloadavg(), f"on {os.cpu_count()} CPUs")
    backends = [] if args.no_keras else keras_backends()
    print("Keras 3 rows:", ", ".join(backends) if backends else "none (install the `bench` extra)")
    for workload in WORKLOADS:
        if args.only and args.only not in workload[0]:
            continue
        for kind in args.kinds.split(","):
            run(kind, workload, args.rounds, statistic, backends, with_compile=not args.no_compile)


if __name__ == "__main__":
    main()
