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
def write_spec(tmp_path, prices_csv):
    """Write a spec (TOML text, dedented); the default body is a small valid experiment."""

    def write(text=None, name="spec.toml"):
        body = text if text is not None else f"""
            name = "tiny"
            [data]
            path = "{prices_csv.name}"
            time_column = "Date"
            targets = ["Close"]
            [windows]
            look_back = 5
            [training]
            epochs = 2
            batch_size = 16
            [[model.layers]]
            type = "Dense"
            units = 1
        """
        path = tmp_path / name
        path.write_text(textwrap.dedent(body).lstrip())
        return path

    return write

