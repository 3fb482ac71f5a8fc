"""A multivariate LSTM: tomorrow's AAPL close from the last 7 days of open, high, low, close and
volume, beside the same model on the close alone and the persistence forecast, in dollars.

Data: the bundled daily AAPL prices 2000-03-01 to 2013-03-01 (``seqlab.datasets.load_aapl``,
adjusted for splits and dividends, so the 2:1 split of 2005 is not a crash). A price series
wanders far outside any range seen in training (AAPL rose about twentyfold), so each window is
expressed relative to its last close: the four prices as ``price / close_t - 1``, the volume as
``log(volume / mean volume of the window)``; the target is tomorrow's return
``close_{t+1} / close_t - 1``, turned back into dollars as ``close_t * (1 + forecast)``. Windows
whose target day lies in the first 80% of days train, and the features are standardised with
the training windows' mean and standard deviation only; the last 20% (654 days, 2010-07-27 to
2013-03-01, closes $30.8 to $90.6) test.

Models: ``LSTM(32) -> Dense(1)``, mse, ``Adam(0.001)``, batch 64, the last 10% of the training
windows for validation with ``EarlyStopping(patience=10, restore_best_weights=True)``. The
univariate model is the same on the close column only. Persistence forecasts today's close.

    python examples/multivariate_stock.py      # seed 0, one thread, up to 100 epochs
"""
import argparse
import resource
import time

import numpy as np
import torch

import seqlab
from seqlab.callbacks import EarlyStopping
from seqlab.forecast.metrics import mae, rmse
from seqlab.layers import LSTM, Dense
from seqlab.models import Sequential
from seqlab.optimizers import Adam

PRICES = ["open", "high", "low", "close"]


def relative_windows(frame, lookback):
    """Features ``(N, lookback, 5)`` relative to each window's last close, the next-day return
    ``(N,)``, the last close ``(N,)`` and the index of each target day."""
    prices = frame[PRICES].to_numpy(dtype="float64")
    volume = frame["volume"].to_numpy(dtype="float64")
    ends = np.arange(lookback - 1, len(frame) - 1)                     # the window's last day t
    days = ends[:, None] - np.arange(lookback)[::-1]                    # (N, lookback), oldest first
    last_close = prices[ends, 3]
    relative_prices = prices[days] / last_close[:, None, None] - 1      # (N, lookback, 4)
    window_volume = volume[days]
    relative_volume = np.log(window_volume / window_volume.mean(axis=1, keepdims=True))
    features = np.concatenate([relative_prices, relative_volume[:, :, None]], axis=2)
    target = prices[ends + 1, 3] / last_close - 1
    return features, target, last_close, ends + 1


def build(features, units=32):
    model = Sequential([seqlab.Input((None, features)), LSTM(units), Dense(1)])
    model.compile(loss="mse", optimizer=Adam(0.001))
    return model


def fit_and_forecast(X, y, train, columns, epochs, seed):
    """Standardise with the training windows, train, and return the test returns forecast."""
    seqlab.utils.set_random_seed(seed)
    X = X[:, :, columns]
    mean, std = X[train].mean(axis=(0, 1)), X[train].std(axis=(0, 1))
    y_scale = y[train].std()
    scaled = ((X - mean) / std).astype("float32")
    model = build(len(columns))
    model.fit(scaled[train], (y[train] / y_scale).astype("float32")[:, None], epochs=epochs, batch_size=64,
              validation_split=0.1, verbose=0,
              callbacks=[EarlyStopping(patience=10, restore_best_weights=True)])
    return model.predict(scaled[~train], verbose=0)[:, 0] * y_scale


def run(frame, lookback=7, epochs=100, train_fraction=0.8, seed=0):
    """Returns ``{name: {"mae": ..., "rmse": ...}}`` in dollars on the test days, and the test size."""
    X, y, last_close, target_day = relative_windows(frame, lookback)
    train = target_day < int(len(frame) * train_fraction)
    actual = last_close[~train] * (1 + y[~train])
    forecasts = {
        "multivariate": last_close[~train] * (1 + fit_and_forecast(X, y, train, [0, 1, 2, 3, 4], epochs, seed)),
        "close only": last_close[~train] * (1 + fit_and_forecast(X, y, train, [3], epochs, seed)),
        "persistence": last_close[~train],
    }
    return {name: {"mae": mae(actual, f), "rmse": rmse(actual, f)} for name, f in forecasts.items()}, int((~train).sum())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    wall, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    scores, test_days = run(seqlab.datasets.load_aapl(adjusted=True), epochs=args.epochs, seed=args.seed)
    for name, score in scores.items():
        print(f"{name}: test MAE ${score['mae']:.3f}, RMSE ${score['rmse']:.3f} ({test_days} days)")
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(f"time: {time.perf_counter() - wall:.1f} s wall, "
          f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s CPU")
    return scores


if __name__ == "__main__":
    main()
