"""Stateful sampling against re-running the prefix: the cost of n tokens, O(n) against O(n²).

    python benchmarks/bench_generate.py

An LSTM(128) character model (vocabulary 65, untrained: the cost does not depend on the weights)
draws n tokens two ways in the same run: ``sample_ids`` (one step of every layer per token,
carrying the state) and the reference, ``model.predict`` on the whole prefix for every new token.
Prints seconds for each and the ratio, for n = 100, 200, 400.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from seqlab.experiment.generate.sampling import choose, sample_ids
from seqlab.layers import LSTM, Dense, Embedding, Input
from seqlab.models import Sequential

VOCABULARY, UNITS = 65, 128


def rerun_prefix(model, prime, length, seed):
    rng, ids = np.random.default_rng(seed), list(prime)
    for _ in range(length):
        probabilities = model.predict(np.array([ids]), verbose=0)[0, -1].astype(np.float64)
        ids.append(choose(probabilities, 1.0, rng=rng))
    return ids[len(prime):]


def main() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Sequential([Input(shape=(None,)), Embedding(VOCABULARY, 32), LSTM(UNITS, return_sequences=True),
                        Dense(VOCABULARY, activation="softmax")])
    print(f"{'tokens':>7} {'stateful s':>11} {'re-run s':>9} {'re-run / stateful':>18}")
    for length in (100, 200, 400):
        started = time.perf_counter()
        stepped = sample_ids(model, [1], length, seed=0)
        stateful = time.perf_counter() - started
        started = time.perf_counter()
        rerun = rerun_prefix(model, [1], length, seed=0)
        reference = time.perf_counter() - started
        same = "same tokens" if stepped == rerun else "tokens differ (float ties)"
        print(f"{length:>7} {stateful:>11.3f} {reference:>9.3f} {reference / stateful:>17.1f}x  {same}")


if __name__ == "__main__":
    main()
