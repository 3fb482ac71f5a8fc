"""Keras's weather-forecasting LSTM, ported by its imports, on a series that ships in statsmodels.

The program is keras-io's ``examples/timeseries/timeseries_weather_forecasting.py``: normalise
with the mean and std of the first ``split_fraction`` of the rows, cut windows of ``past`` steps
with ``timeseries_dataset_from_array`` whose label lies ``past + future`` rows after the window's
first row, ``Input -> LSTM(32) -> Dense(1)``, ``mse``, ``Adam(0.001)``, ``EarlyStopping`` and
``ModelCheckpoint(save_best_only=True, save_weights_only=True)``. What differs, and why:

- the Jena download (420,551 rows of 14 features every 10 minutes) is swapped for statsmodels'
  ``elnino`` data: monthly sea-surface temperature (°C) 1950-2010, 732 rows, one feature, no
  gaps. (``co2``, 2,284 weekly rows, was left: its trend carries the validation part up to 1.6
  training std above the highest training value, so the figure would measure extrapolation,
  not the port);
- for that smaller monthly series: ``step = 1``, ``past = 24`` months, ``future = 2`` (the label
  is the month 3 months after the window's last), ``batch_size = 32``, ``epochs = 100`` (EarlyStopping usually ends it sooner);
- the plots are left out, and at the end the best checkpoint is loaded and its validation MAE is
  printed in °C, the figure docs/examples.md compares.

The same file runs under real Keras 3 (torch backend) with ``--backend keras``. Keras's
``timeseries_dataset_from_array`` returns a ``tf.data.Dataset`` and needs TensorFlow; without
it the Keras run gets the same windows as NumPy arrays (``windows_as_arrays``, Keras's rule) and
``fit(..., shuffle=False)``, which batches them in the same order as the unshuffled dataset.

    python examples/keras_weather_forecasting.py                     # seqlab
    KERAS_BACKEND=torch /tmp/kvenv/bin/python examples/keras_weather_forecasting.py --backend keras
"""
import argparse
import importlib
import os
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from statsmodels import datasets

split_fraction = 0.715
step = 1
past = 24
future = 2
learning_rate = 0.001
batch_size = 32
epochs = 100


def load_series() -> pd.DataFrame:
    """The elnino table (one row a year, a column a month) as one monthly column, in time order."""
    table = datasets.elnino.load_pandas().data
    months = table.drop(columns="YEAR").to_numpy(dtype="float64").reshape(-1)
    series = pd.Series(months).interpolate(limit_direction="both")  # no gaps today; kept for safety
    return pd.DataFrame({"sst": series.to_numpy()})


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std, data_mean, data_std


def split(df, limit=None):
    """Keras's arrays: x_train, y_train, x_val, y_val (normalised) and the train std."""
    if limit is not None:
        df = df.iloc[:limit]
    train_split = int(split_fraction * int(df.shape[0]))
    values, _, data_std = normalize(df.values, train_split)
    features = pd.DataFrame(values)
    train_data = features.loc[0 : train_split - 1]
    val_data = features.loc[train_split:]
    start = past + future
    end = start + train_split
    x_train = train_data[[0]].values
    y_train = features.iloc[start:end][[0]].values
    x_end = len(val_data) - past - future
    label_start = train_split + past + future
    x_val = val_data.iloc[:x_end][[0]].values
    y_val = features.iloc[label_start:][[0]].values
    return x_train, y_train, x_val, y_val, float(data_std[0])


def windows_as_arrays(data, targets, sequence_length, sampling_rate):
    """Keras's windows as arrays: window i reads rows i, i+rate, ...; its target is targets[i]."""
    count = min(len(data) - (sequence_length - 1) * sampling_rate, len(targets))
    starts = np.arange(count)
    x = data[starts[:, None] + np.arange(sequence_length) * sampling_rate]
    return x.astype("float32"), targets[:count].astype("float32")


def build_model(keras, input_shape):
    inputs = keras.layers.Input(shape=input_shape)
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def run(backend="seqlab", seed=0, epochs=epochs, limit=None, checkpoint_dir=None, verbose=1):
    """Train as Keras's example does; returns (best validation MAE in °C, seconds, history)."""
    # Lazy: the backend is chosen at run time, and real Keras must not be imported for seqlab.
    keras = importlib.import_module("keras" if backend == "keras" else "seqlab")
    keras.utils.set_random_seed(seed)
    x_train, y_train, x_val, y_val, data_std = split(load_series(), limit)
    sequence_length = int(past / step)
    xt, yt = windows_as_arrays(x_train, y_train, sequence_length, step)
    xv, yv = windows_as_arrays(x_val, y_val, sequence_length, step)
    if backend == "keras":
        train, val = dict(x=xt, y=yt, batch_size=batch_size, shuffle=False), dict(validation_data=(xv, yv))
    else:
        dataset_train = keras.preprocessing.timeseries_dataset_from_array(
            x_train.astype("float32"), y_train.astype("float32"), sequence_length=sequence_length,
            sampling_rate=step, batch_size=batch_size)
        dataset_val = keras.preprocessing.timeseries_dataset_from_array(
            x_val.astype("float32"), y_val.astype("float32"), sequence_length=sequence_length,
            sampling_rate=step, batch_size=batch_size)
        train, val = dict(x=dataset_train), dict(validation_data=dataset_val)
    inputs = xt[:batch_size]  # Keras takes the shape from its first batch
    print("Input shape:", inputs.shape)
    model = build_model(keras, (inputs.shape[1], inputs.shape[2]))
    if verbose:
        model.summary()
    suffix = ".weights.h5" if backend == "keras" else ".weights.safetensors"  # each one's own format
    path_checkpoint = os.path.join(checkpoint_dir or tempfile.mkdtemp(), "model_checkpoint" + suffix)
    es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)
    modelckpt_callback = keras.callbacks.ModelCheckpoint(
        monitor="val_loss", filepath=path_checkpoint, verbose=verbose,
        save_weights_only=True, save_best_only=True)
    began = time.perf_counter()
    history = model.fit(**train, epochs=epochs, **val, callbacks=[es_callback, modelckpt_callback],
                        verbose=verbose)
    seconds = time.perf_counter() - began
    model.load_weights(path_checkpoint)
    predicted = model.predict(xv, batch_size=256, verbose=0)
    mae = float(np.mean(np.abs(np.asarray(predicted).reshape(-1) - yv.reshape(-1)))) * data_std
    return mae, seconds, history


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("seqlab", "keras"), default="seqlab")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.backend == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
    torch.set_num_threads(args.threads)
    mae, seconds, history = run(args.backend, args.seed, args.epochs)
    naive = naive_mae()
    print(f"{args.backend}: best validation MAE {mae:.4f} °C after {len(history.history['loss'])} epochs, "
          f"{seconds:.1f} s of training (last-value baseline {naive:.4f} °C)")


def naive_mae():
    """The MAE of repeating the window's last month as the forecast, in °C, on the same windows."""
    x_train, y_train, x_val, y_val, data_std = split(load_series())
    xv, yv = windows_as_arrays(x_val, y_val, int(past / step), step)
    return float(np.mean(np.abs(xv[:, -1, 0] - yv[:, 0]))) * data_std


if __name__ == "__main__":
    main()
