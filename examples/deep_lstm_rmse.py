"""The notes' deep-LSTM builder (their "Algorithm 3", from the traffic-flow paper) with its custom
``rmse`` loss and metric, on the yearly sunspot numbers.

The builder is the notes' pseudo-code written as Python, line for line: ``h_layers`` stacked
``CuDNNLSTM`` layers (the first of ``h_neurons / 2`` units and the last of ``h_neurons * 2`` when
there are several, ``Dropout`` after each but the last), ``Dense(h_neurons)``, ``Dropout``, an
optional second ``Dense`` and ``Dense(multisteps)``, compiled with
``loss=rmse, optimizer=Adam(), metrics=[mae, rmse]``.

The notes use ``rmse`` without defining it; the usual Keras definition is

    from keras import backend as K
    def rmse(y_true, y_pred):
        return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))

seqlab has no ``backend`` module (it is PyTorch underneath, and a loss receives torch tensors), so
that import line becomes ``import torch as K``: ``torch.sqrt``, ``torch.mean`` (which takes
``axis=`` for ``dim=``) and ``torch.square`` compute the same on tensors. The function's body is
unchanged.

Data: yearly mean sunspot numbers 1700-2008 (``seqlab.datasets.load_sunspots``, needs
``pip install statsmodels``). The model reads ``timesteps`` = 22 years (two solar cycles) and
forecasts the next ``multisteps`` = 3. Windows whose last target year falls in the first 80% train
(the min-max scaler is fitted on those years only); the rest test, in sunspot numbers, beside
persistence (the last year repeated) and the seasonal naive forecast of the 11-year cycle.

    python examples/deep_lstm_rmse.py           # 300 epochs, seed 0, one thread
"""
import argparse
import resource
import time

import numpy as np
import torch
import torch as K   # the notes' `from keras import backend as K`: see the docstring

import seqlab
from seqlab.forecast.metrics import mae as mae_of, rmse as rmse_of
from seqlab.layers import CuDNNLSTM, Dense, Dropout
from seqlab.metrics import mae
from seqlab.models import Sequential
from seqlab.optimizers import Adam


def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


def build_model(timesteps, multisteps, features, h_layers=2, h_neurons=64,
                activation='relu', dropout_rate=0.5, deep_dense=False):
    model = Sequential()
    for i in range(h_layers):
        if i == 0:
            if i + 1 == h_layers:
                model.add(CuDNNLSTM(h_neurons, return_sequences=False,
                                    input_shape=(timesteps, features)))
            else:
                model.add(CuDNNLSTM(int(h_neurons / 2),
                                    return_sequences=True, input_shape=(timesteps, features)))
                model.add(Dropout(dropout_rate))
        elif i + 1 == h_layers:
            model.add(CuDNNLSTM(h_neurons * 2, return_sequences=False))
        else:
            model.add(CuDNNLSTM(h_neurons, return_sequences=True))
            model.add(Dropout(dropout_rate))
    model.add(Dense(h_neurons, activation=activation))
    model.add(Dropout(dropout_rate))
    if deep_dense:
        model.add(Dense(int(h_neurons / 2), activation=activation))
        model.add(Dropout(dropout_rate))
    model.add(Dense(multisteps))
    model.compile(loss=rmse, optimizer=Adam(), metrics=[mae, rmse])
    return model


def windows(values, timesteps, multisteps):
    """X ``(N, timesteps, 1)``, y ``(N, multisteps)``, and the index of each window's last target."""
    starts = np.arange(len(values) - timesteps - multisteps + 1)
    X = values[starts[:, None] + np.arange(timesteps)][:, :, None]
    y = values[starts[:, None] + timesteps + np.arange(multisteps)]
    return X, y, starts + timesteps + multisteps - 1


def run(series, timesteps=22, multisteps=3, epochs=300, train_fraction=0.8, seed=0, **builder):
    """Train and score; returns the model, its history and the test RMSE/MAE of it and the baselines."""
    seqlab.utils.set_random_seed(seed)
    values = np.asarray(series, dtype="float64")
    cut = int(len(values) * train_fraction)
    low, high = values[:cut].min(), values[:cut].max()
    scaled = (values - low) / (high - low)
    X, y, last = windows(scaled, timesteps, multisteps)
    train = last < cut
    model = build_model(timesteps, multisteps, 1, **builder)
    history = model.fit(X[train].astype("float32"), y[train].astype("float32"), epochs=epochs,
                        batch_size=16, verbose=0)
    actual = y[~train] * (high - low) + low
    forecasts = {
        "model": model.predict(X[~train].astype("float32"), verbose=0) * (high - low) + low,
        "persistence": np.repeat(X[~train, -1, :] * (high - low) + low, multisteps, axis=1),
        "seasonal_naive_11": X[~train, -11:-11 + multisteps, 0] * (high - low) + low,
    }
    scores = {name: {"rmse": rmse_of(actual, f), "mae": mae_of(actual, f)} for name, f in forecasts.items()}
    return model, history, scores


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    model, history, scores = run(seqlab.datasets.load_sunspots(), epochs=args.epochs, seed=args.seed)
    model.summary()
    last = {key: round(values[-1], 4) for key, values in history.history.items()}
    print(f"last epoch (scaled units): {last}")
    for name, score in scores.items():
        print(f"test {name}: RMSE {score['rmse']:.2f}, MAE {score['mae']:.2f} sunspots")
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(f"time: {time.perf_counter() - wall:.1f} s wall, "
          f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s CPU")
    return scores


if __name__ == "__main__":
    main()
