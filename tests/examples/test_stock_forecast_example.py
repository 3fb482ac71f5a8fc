"""examples/stock_forecast.py on a slice: the notes' windows, parameter counts and a short run.

The full run's figures (100 epochs, seeds 0-2) are recorded in docs/examples.md.
"""
import importlib.util
from pathlib import Path

import numpy as np

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "stock_forecast.py"
spec = importlib.util.spec_from_file_location("stock_forecast_example", EXAMPLE)
stock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stock)


def test_windows_follow_the_notes_look_back_7_foresight_6():
    values = np.arange(648, dtype="float64").reshape(-1, 1)
    X, Y = stock.createSeq(values)
    assert X.shape == (635, 7, 1) and Y.shape == (635, 1)  # the notes: 648 - 7 - 6 = 635
    np.testing.assert_array_equal(X[1, :, 0], np.arange(1, 8))
    assert Y[1, 0] == 1 + 7 + 6  # the notes: Y.append(valNorm[1 + look_back + foresight])


def test_parameter_counts_match_the_notes_summaries():
    assert stock.build("LSTM").count_params() == 4385  # the notes' model.summary()
    assert stock.build("Conv1D").count_params() == 449


def test_a_short_run_beats_a_constant_and_reports_dollars():
    maes, seconds = stock.run(seed=0, epochs=8, train_days=300, held_days=60, kinds=("Conv1D",))
    train, _, test = stock.split_closes(300, 60)
    # predicting the training mean for every test day: the floor any fitted model must beat
    constant = float(np.mean(np.abs(test[7 + 6:, 0] - train.mean())))
    assert 0 < maes["persistence"] < constant
    assert np.isfinite(maes["Conv1D"]) and maes["Conv1D"] < constant
