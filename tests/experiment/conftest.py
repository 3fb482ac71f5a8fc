"""Small CSV series and spec files for the experiment tests."""
import textwrap

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def prices_csv(tmp_path):
    """160 business days of a noisy upward series (Date, Close, Volume), written as CSV."""
    rng = np.random.default_rng(7)
    dates = pd.bdate_range("2020-01-01", periods=160)
    close = 100 + np.arange(160) * 0.2 + rng.normal(size=160).cumsum()
    frame = pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": close.round(4),
                          "Volume": rng.integers(1000, 2000, size=160)})
    path = tmp_path / "prices.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def prices_data(prices_csv):
    """The ``[data]`` section of a spec that reads ``prices_csv`` (Close by Date)."""
    return {"path": prices_csv.name, "time_column": "Date", "targets": ["Close"]}


@pytest.fixture
def write_spec(tmp_path, prices_data, make_spec):
    """Write a spec (TOML text, dedented); the default body is a small valid experiment."""

    def write(text=None, name="spec.toml"):
        if text is None:
            return make_spec(tmp_path / name, data=prices_data, look_back=5, hidden_layers=[],
                             training={"epochs": 2, "batch_size": 16})
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return write


@pytest.fixture
def write_tuning(tmp_path, prices_data, make_spec):
    """Write tune.toml: the tiny spec on ``prices_csv`` whose hidden Dense has ``units`` (TOML
    text: a search space by default) and no ``[training]`` unless given; other fields as
    ``make_spec``'s."""

    def write(units="{int = [2, 8]}", **fields):
        layers = [{"type": "Flatten"}, {"type": "Dense", "units": make_spec.raw(str(units))}]
        return make_spec(tmp_path / "tune.toml", **{"name": "tiny-tune", "data": prices_data, "look_back": 5,
                                                   "hidden_layers": layers, "training": None, **fields})

    return write
