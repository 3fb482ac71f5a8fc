"""Recursive forecasts equal feeding the predictions back by hand."""
import numpy as np
import pytest
import torch

from seqlab.forecast import recursive_forecast


def test_recursive_equals_feeding_predictions_back_by_hand():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 2, 2)).double()

    def step(window):
        with torch.no_grad():
            return net(torch.as_tensor(window)).numpy()

    rng = np.random.default_rng(0)
    windows = rng.normal(size=(3, 4, 2))
    out = recursive_forecast(step, windows, steps=5)

    expected = []
    for sample in windows:
        history = [row for row in sample]
        predictions = []
        for _ in range(5):
            window = np.array(history[-4:])[None]
            prediction = step(window)[0]
            predictions.append(prediction)
            history.append(prediction)
        expected.append(predictions)
    np.testing.assert_allclose(out, np.array(expected), rtol=0, atol=1e-12)
    assert out.shape == (3, 5, 2)


def test_the_first_step_is_the_one_step_forecast_and_input_is_not_modified():
    windows = np.arange(6.0).reshape(1, 6, 1)
    before = windows.copy()
    out = recursive_forecast(lambda w: w.mean(axis=1), windows, 3)
    assert out[0, 0, 0] == pytest.approx(2.5)
    assert out[0, 1, 0] == pytest.approx((1 + 2 + 3 + 4 + 5 + 2.5) / 6)
    np.testing.assert_array_equal(windows, before)


def test_one_step_output_of_shape_n_1_f_is_accepted():
    out = recursive_forecast(lambda w: w[:, -1:, :] * 2, np.ones((2, 3, 1)), 3)
    np.testing.assert_array_equal(out[:, :, 0], [[2.0, 4.0, 8.0]] * 2)


def test_a_forecaster_that_misses_features_is_refused():
    with pytest.raises(ValueError, match="must predict every input feature"):
        recursive_forecast(lambda w: w[:, -1, :1], np.ones((2, 3, 2)), 2)
    with pytest.raises(ValueError, match="`steps` must be a positive integer, got 0"):
        recursive_forecast(lambda w: w[:, -1], np.ones((1, 3, 1)), 0)
    with pytest.raises(ValueError, match="must be 3-D"):
        recursive_forecast(lambda w: w, np.ones((3, 1)), 1)
