"""series_to_supervised: the notes' shift table, NaN rows kept or dropped."""
import numpy as np
import pandas as pd
import pytest

from seqlab.data import series_to_supervised


def test_the_notes_shift_table_with_nan_rows():
    # The notes: df['t'] = 0..9; df['t-1'] = df['t'].shift(1); df['t+1'] = df['t'].shift(-1).
    df = pd.DataFrame({"t": range(10)})
    expected = pd.DataFrame({"t(t-1)": df["t"].shift(1), "t(t)": df["t"], "t(t+1)": df["t"].shift(-1)})
    table = series_to_supervised(df, n_in=1, n_out=2, dropnan=False)
    pd.testing.assert_frame_equal(table, expected)
    assert np.isnan(table.iloc[0, 0]) and np.isnan(table.iloc[-1, 2])
    np.testing.assert_array_equal(table["t(t-1)"].to_numpy()[1:], np.arange(9))


def test_dropnan_and_multivariate_names():
    values = np.arange(12.0).reshape(6, 2)
    table = series_to_supervised(values, n_in=2, n_out=1)
    assert list(table.columns) == ["var1(t-2)", "var2(t-2)", "var1(t-1)", "var2(t-1)", "var1(t)", "var2(t)"]
    assert table.shape == (4, 6)
    np.testing.assert_array_equal(table.iloc[0], [0, 1, 2, 3, 4, 5])
    assert list(table.index) == [2, 3, 4, 5]


def test_framing_errors():
    with pytest.raises(ValueError, match=r"`n_out` must be a positive integer, got 0"):
        series_to_supervised(np.arange(5.0), n_out=0)
    with pytest.raises(ValueError, match=r"`n_in` must be a non-negative integer, got -1"):
        series_to_supervised(np.arange(5.0), n_in=-1)
