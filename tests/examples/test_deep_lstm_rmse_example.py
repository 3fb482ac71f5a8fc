"""examples/deep_lstm_rmse.py: the notes' deep-LSTM builder lays out the layers its pseudo-code
says with Keras's parameter counts, the notes' ``rmse`` (ported with ``import torch as K``)
computes the root mean square error, and training with it as loss and metric lowers it."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch


def load_example():
    path = Path(__file__).resolve().parents[2] / "examples" / "deep_lstm_rmse.py"
    spec = importlib.util.spec_from_file_location("deep_lstm_rmse_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return example


def lstm_params(units, inputs):
    return 4 * (units * (units + inputs) + units)      # Keras's LSTM; seqlab's CuDNNLSTM keeps its one bias


def test_rmse_is_the_root_mean_square_error_per_sample():
    y_true = torch.tensor([[1.0, 2.0], [0.0, 0.0]], dtype=torch.float64)
    y_pred = torch.tensor([[1.0, 4.0], [3.0, 4.0]], dtype=torch.float64)
    expected = [np.sqrt((0 + 4) / 2), np.sqrt((9 + 16) / 2)]           # by hand
    np.testing.assert_allclose(load_example().rmse(y_true, y_pred).numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("h_layers, widths", [(1, [64]), (2, [32, 128]), (3, [32, 64, 128])])
def test_builder_follows_the_notes_layout_and_keras_counts(h_layers, widths):
    model = load_example().build_model(timesteps=22, multisteps=3, features=1, h_layers=h_layers)
    recurrent = [layer for layer in model.layers if type(layer).__name__ == "CuDNNLSTM"]
    assert [layer.units for layer in recurrent] == widths
    assert [layer.return_sequences for layer in recurrent] == [True] * (h_layers - 1) + [False]
    inputs = [1] + widths[:-1]
    expected = sum(lstm_params(u, i) for u, i in zip(widths, inputs)) + (widths[-1] * 64 + 64) + (64 * 3 + 3)
    assert model.count_params() == expected
    assert [type(layer).__name__ for layer in model.layers].count("Dropout") == h_layers - 1 + 1


def test_training_with_rmse_loss_and_metric_lowers_it():
    example = load_example()
    rng = np.random.default_rng(0)
    series = 50 + 40 * np.sin(np.arange(200) * 2 * np.pi / 11) + rng.normal(0, 3, 200)
    model, history, scores = example.run(series, timesteps=22, multisteps=3, epochs=15, seed=0,
                                         h_neurons=16)
    assert sorted(history.history) == ["loss", "mean_absolute_error", "rmse"]
    # loss and metric are the same function of the same (dropout) forward pass
    np.testing.assert_allclose(history.history["rmse"], history.history["loss"], rtol=1e-5)
    assert history.history["loss"][-1] < 0.85 * history.history["loss"][0]    # measured 0.494 -> 0.359
    assert set(scores) == {"model", "persistence", "seasonal_naive_11"}
