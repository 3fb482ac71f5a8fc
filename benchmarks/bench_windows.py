"""Windowing cost: seqlab's zero-copy ``make_windows`` against the usual list-of-slices copy.

    python benchmarks/bench_windows.py

1. A 10-million-step series, look_back=100: time and peak extra memory (tracemalloc, which
   sees NumPy's allocations) of ``make_windows``, for float32 input (pure views) and for float64
   input (one float32 copy of the series).
2. The notes' loop (``X.append(values[i-w:i])`` then ``np.asarray``) on a 200,000-step series,
   against ``make_windows`` on the same series: the ratio of times and of peak memory.
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np

from seqlab.data import make_windows


def measure(function, repeats: int = 5):
    """(fastest seconds of ``repeats`` runs, peak MB allocated while running, result).

    The fastest run, because a single one of a few milliseconds swings 5x with page faults and
    whatever else the machine is doing; tracemalloc slows every run alike.
    """
    fastest, peak = float("inf"), 0.0
    for _ in range(repeats):
        tracemalloc.start()
        start = time.perf_counter()
        result = function()
        fastest = min(fastest, time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return fastest, peak, result


def naive_windows(values, look_back):
    X, y = [], []
    for i in range(look_back, len(values)):
        X.append(values[i - look_back:i])
        y.append(values[i])
    return np.asarray(X)[:, :, None], np.asarray(y)[:, None]


def main() -> None:
    look_back = 100
    rng = np.random.default_rng(0)
    long32 = rng.standard_normal(10_000_000).astype(np.float32)
    long64 = long32.astype(np.float64)
    print(f"series: {long32.size:,} steps, {long32.nbytes / 2**20:.0f} MB as float32")
    for label, series in (("float32 input (views only)", long32), ("float64 input (one cast)", long64)):
        seconds, peak, (X, y) = measure(lambda: make_windows(series, look_back))
        logical = X.size * X.itemsize / 2**30
        print(f"make_windows, {label}: {seconds * 1e3:.1f} ms, peak {peak:.1f} MB, "
              f"X {X.shape} ({logical:.2f} GB if it were copied)")
        X.sum(axis=0)  # touch every window once so the views are shown to be usable

    short = long64[:200_000]
    t_naive, m_naive, (Xn, yn) = measure(lambda: naive_windows(short, look_back), repeats=3)
    t_fast, m_fast, (Xf, yf) = measure(lambda: make_windows(short, look_back, dtype=None))
    if not (np.array_equal(Xn, Xf) and np.array_equal(yn, yf)):
        raise SystemExit("make_windows differs from the naive loop")
    print(f"{short.size:,} steps: naive loop {t_naive * 1e3:.0f} ms / {m_naive:.0f} MB, "
          f"make_windows {t_fast * 1e3:.2f} ms / {m_fast:.2f} MB -> "
          f"{t_naive / t_fast:.0f}x faster, {m_naive / max(m_fast, 1e-3):.0f}x less memory")


if __name__ == "__main__":
    main()
