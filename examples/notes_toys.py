"""The notes' three sequence-shape toys: one to many, many to one, many to many.

Each part is the notes' listing with only the imports changed (``keras`` -> ``seqlab``) and
Weights & Biases' ``WandbCallback`` left out (it only logs to their web service). The data are
the notes' (they show the start of each series; the rest follows the same rule):

- one to many: inputs 1, 4, ..., 43 (15 samples, one step each), targets the next two numbers
  ``[x + 1, x + 2]``; the notes predict [11.01, 12.14] for 10 (expected [11, 12]);
- many to one: 1..45 cut into 15 samples of three steps, target their sum; the notes predict
  152.93 for [50, 51, 52] (expected 153);
- many to many: 5, 10, ..., 300 cut into 20 samples of three steps, targets the next three
  multiples of 5 (``x + 15``); the notes predict [315.30, 321.04, 327.00] for [300, 305, 310].

    python examples/notes_toys.py               # the notes' 1000 epochs each
    python examples/notes_toys.py --epochs 200  # shorter
"""
import argparse
import resource
import time

import numpy as np
import torch

import seqlab
from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential


def one_to_many_data():
    X = np.array(range(1, 46, 3), dtype="float32").reshape(15, 1, 1)
    Y = np.column_stack([X.ravel() + 1, X.ravel() + 2]).astype("float32")
    return X, Y, np.array([10], dtype="float32").reshape(1, 1, 1), [11, 12]


def many_to_one_data():
    X = np.array([x + 1 for x in range(45)], dtype="float32").reshape(15, 3, 1)
    Y = X.sum(axis=1)
    return X, Y, np.array([50, 51, 52], dtype="float32").reshape(1, 3, 1), [153]


def many_to_many_data():
    X = np.array(range(5, 301, 5), dtype="float32").reshape(20, 3, 1)
    Y = (X + 15).reshape(20, 3)
    return X, Y, np.array([300, 305, 310], dtype="float32").reshape(1, 3, 1), [315, 320, 325]


def one_to_many(X, Y, epochs):
    model = Sequential()
    model.add(LSTM(50, activation='relu', input_shape=(1, 1)))
    model.add(Dense(2))
    model.compile(optimizer='adam', loss='mse')
    model.fit(X, Y, epochs=epochs, validation_split=0.2, batch_size=3, verbose=0)
    return model


def many_to_one(X, Y, epochs):
    model = Sequential()
    model.add(LSTM(50, activation='relu', input_shape=(3, 1)))
    model.add(Dense(1))
    model.compile(optimizer='adam', loss='mse')
    model.fit(X, Y, epochs=epochs, validation_split=0.2, verbose=0)
    return model


def many_to_many(X, Y, epochs):
    model = Sequential()
    model.add(LSTM(50, activation='relu', input_shape=(3, 1)))
    model.add(Dense(3))
    model.compile(optimizer='adam', loss='mse')
    model.fit(X, Y, epochs=epochs, validation_split=0.2, batch_size=3, verbose=0)
    return model


PARTS = {"one_to_many": (one_to_many_data, one_to_many),
         "many_to_one": (many_to_one_data, many_to_one),
         "many_to_many": (many_to_many_data, many_to_many)}


def run(epochs=1000, seed=0):
    """Train the three toys; returns ``{part: (model, prediction, expected)}``."""
    results = {}
    for part, (make_data, make_model) in PARTS.items():
        seqlab.utils.set_random_seed(seed)
        X, Y, query, expected = make_data()
        model = make_model(X, Y, epochs)
        results[part] = (model, model.predict(query, verbose=0)[0], expected)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    results = run(args.epochs, args.seed)
    for part, (model, prediction, expected) in results.items():
        shown = ", ".join(f"{v:.2f}" for v in prediction)
        print(f"{part}: {model.count_params()} parameters; expected {expected}, predicted [{shown}]")
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(f"time: {time.perf_counter() - wall:.1f} s wall, "
          f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s CPU")
    return results


if __name__ == "__main__":
    main()
