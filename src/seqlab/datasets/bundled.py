"""The data sets shipped inside the package, by the names a spec's ``data.source`` accepts.

Today these are the bundled stocks (``"aapl"``, ``"goog"``, ``"ibm"``, ``"msft"``); a name is
any letter case of the ticker.

>>> bundled_names()
['aapl', 'goog', 'ibm', 'msft']
>>> frame, description = load_bundled("AAPL")
>>> description
'AAPL daily prices 2000-2013 (bundled)'
"""
from __future__ import annotations

import difflib

import pandas as pd

from seqlab.datasets.stocks import TICKERS, load_stock


def bundled_names() -> list[str]:
    """The names of the bundled data sets, sorted (lower case)."""
    return sorted(ticker.lower() for ticker in TICKERS)


def load_bundled(name: str) -> tuple[pd.DataFrame, str]:
    """A bundled data set (indexed by its own time column) and a one-line description of it.

    Raises:
        ValueError: ``name`` is not one of :func:`bundled_names` (the closest one is suggested).
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in bundled_names():
        close = difflib.get_close_matches(str(key), bundled_names(), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"load_bundled: no bundled data set {name!r}; {hint}available: {', '.join(bundled_names())}")
    ticker = key.upper()
    return load_stock(ticker), f"{ticker} daily prices 2000-2013 (bundled)"
