"""The notes' stock-price lesson: LSTM, GRU and Conv1D side by side against persistence.

The notes' steps, kept: a ``MinMaxScaler`` fitted on the training closes only, then
``createSeq(values, look_back=7, foresight=6)`` (the input is 7 consecutive closes, the label the
close ``foresight + 1 = 7`` trading days after the window's last one), and three models compiled
with ``loss='mae'`` and ``adam``:

- ``LSTM(32, dropout=0.1, recurrent_dropout=0.1) -> Dense(1)`` (4,385 parameters, as the notes);
- ``GRU(32, dropout=0.1, recurrent_dropout=0.1) -> Dense(1)``;
- ``Conv1D(64, kernel_size=5, activation='relu') -> MaxPooling1D(2) -> Dense(1)`` (449 parameters,
  as the notes), with a ``Flatten`` before the Dense: the notes' Dense on the (None, 1, 64) tensor
  outputs (None, 1, 1) against (None, 1) labels; the Flatten makes the same model output (None, 1).

What differs: the notes' stock file is not given, so the data is the bundled AAPL adjusted
closes (``seqlab.datasets.load_aapl``, splits removed), its last ``train + 2 * held`` days cut in
time order into 648 training days (the notes' count), then validation and test. The figure is
the test MAE in dollars, beside the persistence forecast (tomorrow+6 = today's close) on the
same windows, which the notes do not show.

    python examples/stock_forecast.py --seeds 0 1 2
"""
import argparse
import time

import numpy as np
import torch
from sklearn.preprocessing import MinMaxScaler

import seqlab
from seqlab import layers
from seqlab.datasets import load_aapl

LOOK_BACK = 7
FORESIGHT = 6
TRAIN_DAYS = 648
HELD_DAYS = 200


def createSeq(values, look_back=LOOK_BACK, foresight=FORESIGHT):
    """The notes' windows: X[i] = values[i:i+look_back], Y[i] = values[i+look_back+foresight]."""
    X, Y = [], []
    for i in range(len(values) - look_back - foresight):
        X.append(values[i:(i + look_back), 0])
        Y.append(values[i + look_back + foresight, 0])
    return np.array(X, dtype="float32")[..., None], np.array(Y, dtype="float32")[:, None]


def split_closes(train_days=TRAIN_DAYS, held_days=HELD_DAYS):
    """The last train + 2 * held adjusted closes, in time order: train, validation, test (N, 1)."""
    closes = load_aapl(adjusted=True)["close"].to_numpy(dtype="float64")
    closes = closes[-(train_days + 2 * held_days):].reshape(-1, 1)
    return closes[:train_days], closes[train_days:train_days + held_days], closes[train_days + held_days:]


def build(kind):
    model = seqlab.Sequential()
    if kind == "LSTM":
        model.add(layers.LSTM(32, input_shape=(LOOK_BACK, 1), dropout=0.1, recurrent_dropout=0.1))
    elif kind == "GRU":
        model.add(layers.GRU(32, input_shape=(LOOK_BACK, 1), dropout=0.1, recurrent_dropout=0.1))
    else:
        model.add(layers.Conv1D(64, kernel_size=5, input_shape=(LOOK_BACK, 1), activation="relu"))
        model.add(layers.MaxPooling1D(pool_size=2))
        model.add(layers.Flatten())
    model.add(layers.Dense(1, activation="linear"))
    model.compile(loss="mae", optimizer="adam", metrics=["mean_absolute_error"])
    return model


def run(seed=0, epochs=100, train_days=TRAIN_DAYS, held_days=HELD_DAYS, kinds=("LSTM", "GRU", "Conv1D")):
    """Test MAE in dollars per model and for persistence; seconds of training per model."""
    train, val, test = split_closes(train_days, held_days)
    sc = MinMaxScaler(feature_range=(0, 1)).fit(train)  # fitted on training closes only
    trainX, trainY = createSeq(sc.transform(train))
    valX, valY = createSeq(sc.transform(val))
    testX, testY = createSeq(sc.transform(test))
    dollars = float(sc.data_max_[0] - sc.data_min_[0])  # MinMax is linear: an error scales by this
    maes = {"persistence": float(np.mean(np.abs(testX[:, -1, 0] - testY[:, 0]))) * dollars}
    seconds = {}
    for kind in kinds:
        seqlab.utils.set_random_seed(seed)
        model = build(kind)
        stop = seqlab.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
        began = time.perf_counter()
        model.fit(trainX, trainY, epochs=epochs, batch_size=32, validation_data=(valX, valY),
                  callbacks=[stop], verbose=0)
        seconds[kind] = time.perf_counter() - began
        predicted = np.asarray(model.predict(testX, verbose=0)).reshape(-1)
        maes[kind] = float(np.mean(np.abs(predicted - testY[:, 0]))) * dollars
    return maes, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    wall, cpu = time.perf_counter(), time.process_time()
    table = {}
    for seed in args.seeds:
        maes, seconds = run(seed, args.epochs)
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.3f} $" for k, v in maes.items())
              + " | training s: " + ", ".join(f"{k} {v:.1f}" for k, v in seconds.items()))
        for name, value in maes.items():
            table.setdefault(name, []).append(value)
    for name, values in table.items():
        print(f"{name:12s} test MAE {np.mean(values):.3f} $ ± {np.std(values):.3f} (min {min(values):.3f}, "
              f"max {max(values):.3f}) over {len(values)} seed(s)")
    print(f"wall {time.perf_counter() - wall:.1f} s, CPU {time.process_time() - cpu:.1f} s")


if __name__ == "__main__":
    main()
