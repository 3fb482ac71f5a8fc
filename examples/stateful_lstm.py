"""The notes' stateful LSTM: ``LSTM(2, stateful=True, batch_input_shape=(10, 5, 1))``, trained
one epoch per ``fit`` call with ``model.reset_states()`` between epochs, predicting with
``batch_size=10`` and resetting after it.

The notes show the layer and the loop but no data or output layer; here they get a task where
carried state pays. Ten streams of bits are cut into windows of 5 steps; batch ``k`` holds window
``k`` of each of the ten streams, so row ``i`` of one batch continues row ``i`` of the batch
before. Each stream has a hidden mode: its bits are 1 with probability 0.6 (mode 1) or 0.4
(mode 0); five streams of each. The target of every window is its stream's mode. From one window
of 5 bits the best guess (the majority) is right 68.3% of the time; a model that carries its
state through the stream in order has read every bit so far, and can be right almost always
after a few windows. The head is ``Dense(1, sigmoid)`` with binary cross-entropy and Adam.

Three variants, scored on fresh streams (new bits, new modes):

- ``stateful``: the notes' listing with ``shuffle=False`` in ``fit`` (the notes' call leaves
  ``fit``'s default, ``shuffle=True``, which feeds the batches out of order; Keras's guidance for
  stateful models is to pass ``shuffle=False``);
- ``stateful_shuffled``: the notes' ``fit`` call as written (``shuffle=True``);
- ``stateless``: the same model without ``stateful=True``: the control.

    python examples/stateful_lstm.py               # 100 epochs, as the notes' loop
"""
import argparse
import resource
import time

import numpy as np
import torch

from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential
from seqlab.optimizers import Adam
from seqlab.utils import set_random_seed

BATCH, STEPS = 10, 5


def streams_of_bits(windows, seed):
    """X ``(windows * 10, 5, 1)`` ordered batch by batch (row i of batch k continues row i of
    batch k - 1) and y ``(windows * 10, 1)``: the stream's mode, 1 for five streams, 0 for five."""
    rng = np.random.default_rng(seed)
    modes = rng.permutation(np.repeat([0.0, 1.0], BATCH // 2))
    chance_of_one = np.where(modes == 1, 0.6, 0.4)
    bits = (rng.random((BATCH, windows, STEPS)) < chance_of_one[:, None, None]).astype("float32")
    X = bits.transpose(1, 0, 2).reshape(windows * BATCH, STEPS, 1)       # batch k = window k of each stream
    y = np.tile(modes, windows).reshape(windows * BATCH, 1).astype("float32")
    return X, y


def build(stateful, learning_rate):
    model = Sequential()
    model.add(LSTM(2, stateful=stateful, batch_input_shape=(BATCH, STEPS, 1)))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate), metrics=["accuracy"])
    return model


def accuracy(model, X, y):
    """Share of windows whose stream's mode is called right (a fixed batch: ``batch_size=10``)."""
    predictions = model.predict(X, batch_size=BATCH, verbose=0)
    model.reset_states()      # the notes: reset after predicting
    return float(((predictions > 0.5) == (y > 0.5)).mean())


def run(variant, epochs=100, windows=50, learning_rate=0.01, seed=0):
    """Train one variant; returns its accuracy on fresh streams."""
    set_random_seed(seed)
    X, y = streams_of_bits(windows, seed)
    model = build(stateful=variant != "stateless", learning_rate=learning_rate)
    shuffle = variant == "stateful_shuffled"
    # The notes' loop: reset the internal state at the end of each single epoch.
    for i in range(epochs):
        model.fit(X, y, epochs=1, batch_input_shape=(BATCH, STEPS, 1), shuffle=shuffle, verbose=0)
        model.reset_states()
    X_test, y_test = streams_of_bits(windows, seed + 1000)
    return accuracy(model, X_test, y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["stateful", "stateful_shuffled", "stateless"],
                        choices=["stateful", "stateful_shuffled", "stateless"])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--windows", type=int, default=50, help="windows per stream (10 streams)")
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    results = {}
    for variant in args.variants:
        wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        results[variant] = run(variant, args.epochs, args.windows, args.learning_rate, args.seed)
        used = resource.getrusage(resource.RUSAGE_SELF)
        print(f"{variant}: accuracy {results[variant]:.3f} on fresh streams "
              f"({time.perf_counter() - wall:.1f} s wall, "
              f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s CPU)")
    return results


if __name__ == "__main__":
    main()
