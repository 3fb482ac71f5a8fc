"""Daily stock prices bundled with seqlab (``datasets/data/stocks.csv.gz``, public domain).

AAPL, IBM and MSFT from 2000-03-01 to 2013-03-01 (3270 trading days each) and GOOG from
2004-08-19 (2148 days): open, high, low, close, volume as traded (not adjusted) and
``adj_close`` adjusted for splits and dividends. Source: Quandl WIKI Prices (declared public
domain), as redistributed in the ``bokeh-sampledata`` package (``stocks.csv.gz``).
"""
from __future__ import annotations

from importlib import resources

import pandas as pd

from seqlab.errors import describe

TICKERS = ("AAPL", "GOOG", "IBM", "MSFT")
_COLUMNS = ["open", "high", "low", "close", "volume", "adj_close"]


def load_stock(ticker: str = "AAPL", adjusted: bool = False) -> pd.DataFrame:
    """One stock's daily prices, indexed by date (a DatetimeIndex named ``date``).

    Args:
        ticker: one of ``"AAPL"``, ``"GOOG"``, ``"IBM"``, ``"MSFT"`` (any letter case).
        adjusted: scale open/high/low/close by ``adj_close / close``, so that splits (AAPL's
            2:1 of 2005-02-28 halves the traded price overnight) do not look like crashes.

    Returns:
        DataFrame with columns ``open, high, low, close, volume, adj_close`` (float64).

    >>> aapl = load_stock("AAPL")
    >>> aapl.shape, str(aapl.index[0].date()), str(aapl.index[-1].date())
    ((3270, 6), '2000-03-01', '2013-03-01')
    """
    if not isinstance(ticker, str) or ticker.upper() not in TICKERS:
        raise ValueError(f"load_stock: `ticker` must be one of {', '.join(TICKERS)}, got {describe(ticker)}")
    with resources.files("seqlab.datasets").joinpath("data/stocks.csv.gz").open("rb") as handle:
        table = pd.read_csv(handle, compression="gzip", parse_dates=["date"])
    frame = table[table["ticker"] == ticker.upper()].set_index("date")[_COLUMNS].astype("float64")
    frame = frame.sort_index()
    if adjusted:
        factor = frame["adj_close"] / frame["close"]
        for column in ("open", "high", "low", "close"):
            frame[column] = frame[column] * factor
    frame.attrs["source"] = "Quandl WIKI Prices via bokeh-sampledata (public domain)"
    return frame


def load_aapl(adjusted: bool = False) -> pd.DataFrame:
    """Apple's daily prices 2000-03-01 → 2013-03-01 (3270 days); see :func:`load_stock`."""
    return load_stock("AAPL", adjusted=adjusted)
