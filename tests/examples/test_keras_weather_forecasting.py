"""examples/keras_weather_forecasting.py on a slice: Keras's windows and labels, and a short run.

The validation MAEs beside real Keras come from the full runs recorded in docs/examples.md.
"""
import importlib.util
from pathlib import Path

import numpy as np

import seqlab

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "keras_weather_forecasting.py"
spec = importlib.util.spec_from_file_location("keras_weather_forecasting_example", EXAMPLE)
forecasting = importlib.util.module_from_spec(spec)
spec.loader.exec_module(forecasting)


def test_series_is_monthly_elnino_without_gaps():
    df = forecasting.load_series()
    assert df.shape == (732, 1) and not df.isna().any().any()
    assert df.iloc[0, 0] == 23.11 and df.iloc[12, 0] == 24.19  # Jan 1950, Jan 1951


def test_labels_lie_past_plus_future_rows_after_the_window_start_and_match_seqlab_windows():
    x_train, y_train, x_val, y_val, std = forecasting.split(forecasting.load_series(), limit=300)
    assert std > 0
    shift = forecasting.past + forecasting.future
    np.testing.assert_array_equal(y_train[:10], x_train[shift:shift + 10])  # label = row i + past + future
    xt, yt = forecasting.windows_as_arrays(x_train, y_train, forecasting.past, forecasting.step)
    dataset = seqlab.preprocessing.timeseries_dataset_from_array(
        x_train.astype("float32"), y_train.astype("float32"), sequence_length=forecasting.past,
        sampling_rate=forecasting.step, batch_size=forecasting.batch_size)
    xs, ys = zip(*dataset)
    np.testing.assert_array_equal(np.concatenate(xs), xt)  # the Keras run's arrays are seqlab's windows
    np.testing.assert_array_equal(np.concatenate(ys), yt)
    assert len(xt) == len(x_train) - forecasting.past + 1


def test_two_epochs_on_a_slice_train_checkpoint_and_score(tmp_path):
    mae, seconds, history = forecasting.run("seqlab", seed=0, epochs=2, limit=300,
                                            checkpoint_dir=tmp_path, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["val_loss"]).all()
    assert (tmp_path / "model_checkpoint.weights.safetensors").exists()
    assert np.isfinite(mae) and mae > 0
