"""examples/stateful_lstm.py: the notes' stateful LSTM, fed ten streams in order, calls each
stream's hidden mode far better than one window of 5 bits allows; the same model without
``stateful=True`` cannot beat the one-window bound.

Margins, from measured 20-epoch runs (seed 0): stateful 0.936, stateless 0.694 on 500 fresh
windows. The best any model can do from one window is the majority of its 5 bits: right with
probability P(Binomial(5, 0.6) >= 3) = 0.6826 (hand-computed below); 500 windows give a standard
error of about 0.02."""
import importlib.util
from math import comb
from pathlib import Path

import numpy as np


def load_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "stateful_lstm.py"
    spec = importlib.util.spec_from_file_location("stateful_lstm_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def test_batches_continue_the_streams_row_by_row():
    X, y = load_example().streams_of_bits(windows=4, seed=3)
    assert X.shape == (40, 5, 1) and y.shape == (40, 1)
    by_stream = y.reshape(4, 10)                      # (window, stream)
    assert (by_stream == by_stream[0]).all()          # row i of every batch is stream i
    assert by_stream[0].sum() == 5                    # five streams of each mode


def test_stateful_beats_the_one_window_bound_and_stateless_does_not():
    example = load_example()
    one_window_bound = sum(comb(5, k) * 0.6 ** k * 0.4 ** (5 - k) for k in range(3, 6))
    assert np.isclose(one_window_bound, 0.68256)
    stateful = example.run("stateful", epochs=20, seed=0)
    stateless = example.run("stateless", epochs=20, seed=0)
    assert stateful > one_window_bound + 0.15
    assert stateless < one_window_bound + 0.08
