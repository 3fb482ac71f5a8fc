"""The bundled daily stock series."""
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from seqlab.data import chronological_split, make_windows
from seqlab.datasets import TICKERS, load_aapl, load_stock


def test_aapl_is_the_public_domain_series_2000_2013():
    aapl = load_aapl()
    assert aapl.shape == (3270, 6) and list(aapl.columns) == ["open", "high", "low", "close", "volume", "adj_close"]
    assert str(aapl.index[0].date()) == "2000-03-01" and str(aapl.index[-1].date()) == "2013-03-01"
    # First row of bokeh-sampledata's stocks.csv.gz: AAPL,2000-03-01,118.56,132.06,118.5,130.31,9616100,...
    np.testing.assert_array_equal(aapl.iloc[0, :5], [118.56, 132.06, 118.5, 130.31, 9616100])
    assert aapl.index.is_monotonic_increasing and aapl.index.is_unique
    assert not aapl.isna().any().any()
    assert (aapl["high"] >= aapl["low"]).all()


def test_every_ticker_and_the_adjusted_prices():
    sizes = {ticker: len(load_stock(ticker)) for ticker in TICKERS}
    assert sizes == {"AAPL": 3270, "GOOG": 2148, "IBM": 3270, "MSFT": 3270}
    adjusted = load_stock("aapl", adjusted=True)
    np.testing.assert_allclose(adjusted["close"], adjusted["adj_close"], rtol=1e-12)
    # AAPL's 2:1 split on 2005-02-28 halves the traded close; the adjusted close moves by a few percent.
    raw = load_stock("AAPL")
    assert raw.loc["2005-02-28", "close"] / raw.loc["2005-02-25", "close"] < 0.55
    assert abs(adjusted.loc["2005-02-28", "close"] / adjusted.loc["2005-02-25", "close"] - 1) < 0.05


def test_unknown_ticker():
    with pytest.raises(ValueError, match=r"`ticker` must be one of AAPL, GOOG, IBM, MSFT, got 'FB'"):
        load_stock("FB")


def test_the_file_ships_inside_the_package():
    path = resources.files("seqlab.datasets").joinpath("data/stocks.csv.gz")
    assert path.is_file() and len(path.read_bytes()) < 400_000


def test_the_notes_pipeline_on_real_data():
    close = load_aapl()[["close"]]
    split = chronological_split(close)
    windows = split.windows(look_back=7, foresight=6)
    assert windows["train"].X.shape == (split.sizes["train"] - 13, 7, 1)
    X, y = make_windows(close, look_back=7, foresight=6)
    assert X.shape == (3270 - 13, 7, 1)


def test_bundled_names_are_what_a_spec_source_accepts():
    from seqlab.datasets import bundled_names, load_bundled

    assert bundled_names() == ["aapl", "goog", "ibm", "msft"]
    frame, description = load_bundled("Aapl")
    assert description == "AAPL daily prices 2000-2013 (bundled)" and frame.index.name == "date"
    pd.testing.assert_frame_equal(frame, load_stock("AAPL"))
    with pytest.raises(ValueError, match=r"load_bundled: no bundled data set 'appl'; did you mean 'aapl'\? "
                                         r"available: aapl, goog, ibm, msft"):
        load_bundled("appl")
