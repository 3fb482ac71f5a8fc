"""Missing timesteps: regularise, report, fill on the record (observed values never change)."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from seqlab.data import fill_constant, fill_interpolate, fill_seasonal, find_gaps, regularize

maybe = st.one_of(st.none(), st.floats(-100, 100, allow_nan=False))
series_strategy = st.lists(maybe, min_size=1, max_size=80).map(lambda v: np.array([np.nan if x is None else x
                                                                                    for x in v], dtype=float))


def gaps_of(values):
    """(start, length) of each NaN run, by a plain loop."""
    runs, i = [], 0
    while i < len(values):
        if np.isnan(values[i]):
            j = i
            while j < len(values) and np.isnan(values[j]):
                j += 1
            runs.append((i, j - i))
            i = j
        else:
            i += 1
    return runs


def check_on_the_record(values, filled):
    """Observed values unchanged; `imputed` is exactly where a NaN became a number."""
    out, imputed = filled.data.to_numpy(), filled.imputed.to_numpy()
    observed = ~np.isnan(values)
    np.testing.assert_array_equal(out[observed], values[observed])
    np.testing.assert_array_equal(imputed, np.isnan(values) & ~np.isnan(out))
    assert filled.gaps["filled"].sum() == imputed.sum()


def test_regularize_reports_inserted_and_aggregated_steps():
    index = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 00:20", "2024-01-01 00:25", "2024-01-01 01:20"])
    out = regularize(pd.Series([1.0, 2.0, 4.0, 8.0], index=index, name="temp"), "20min")
    np.testing.assert_array_equal(out.data.to_numpy(), [1.0, 3.0, np.nan, np.nan, 8.0])
    assert list(out.inserted.strftime("%H:%M")) == ["00:40", "01:00"]
    assert list(out.aggregated.strftime("%H:%M")) == ["00:20"]
    assert out.gaps[["column", "length", "position"]].values.tolist() == [["temp", 2, 2]]
    with pytest.raises(TypeError, match="needs a DatetimeIndex, got RangeIndex"):
        regularize(pd.Series([1.0]), "D")


def test_find_gaps_per_column():
    frame = pd.DataFrame({"a": [1, np.nan, np.nan, 4], "b": [np.nan, 2, 3, np.nan]},
                         index=pd.date_range("2024-01-01", periods=4, freq="h"))
    gaps = find_gaps(frame)
    assert gaps[["column", "length", "position"]].values.tolist() == [["a", 2, 1], ["b", 1, 0], ["b", 1, 3]]
    assert gaps["start"].iloc[0] == frame.index[1] and gaps["end"].iloc[0] == frame.index[2]


def test_interpolation_limit_as_duration_like_the_notes():
    index = pd.date_range("2024-01-01", periods=40, freq="20min")
    values = np.arange(40.0)
    values[5:23] = np.nan   # 18 steps = 6 hours: filled with limit '6h'
    values[25:44] = np.nan  # the trailing gap: one neighbour only, never interpolated
    filled = fill_interpolate(pd.Series(values, index=index), limit="6h")
    np.testing.assert_allclose(filled.data.to_numpy()[5:23], np.arange(5.0, 23.0), atol=1e-12)
    assert filled.imputed.sum() == 18 and filled.gaps["filled"].tolist() == [18, 0]
    shorter = fill_interpolate(pd.Series(values, index=index), limit="2h")  # 6 steps: the 18-step gap stays
    assert shorter.imputed.sum() == 0
    with pytest.raises(ValueError, match=r"`limit`='7min' is not a whole positive number of steps of 0 days 00:20:00"):
        fill_interpolate(pd.Series(values, index=index), limit="7min")
    with pytest.raises(ValueError, match=r"`limit`='6h' is a duration, which needs a regular DatetimeIndex"):
        fill_interpolate(pd.Series(values), limit="6h")


def test_constant_fill_with_mask_channel():
    frame = pd.DataFrame({"x": [1.0, np.nan, 3.0], "y": [np.nan, 5.0, 6.0]})
    filled = fill_constant(frame, value=0.0)
    assert filled.with_mask().values.tolist() == [[1, 0, 0, 1], [0, 5, 1, 0], [3, 6, 0, 0]]
    assert list(filled.with_mask().columns) == ["x", "y", "x_imputed", "y_imputed"]
    assert frame.isna().sum().sum() == 2  # the caller's frame is untouched
    with pytest.raises(TypeError, match=r"`value` must be a number, got 'zero'"):
        fill_constant(frame, value="zero")


def test_seasonal_rule_of_the_notes_before_and_after():
    # A weekly pattern at daily steps: slot values 10*day_of_week + week number.
    days = pd.date_range("2024-01-01", periods=35, freq="D")
    values = np.array([10.0 * (d % 7) + d // 7 for d in range(35)])
    values[30] = np.nan  # 4 weeks of history: mean of days 23, 16, 9 -> 10*2 + (3+2+1)/3
    values[3] = np.nan   # at the start: mean of days 10, 17, 24 -> 10*3 + (1+2+3)/3
    filled = fill_seasonal(pd.Series(values, index=days), season="7D", max_gap="1D")
    assert filled.data.iloc[30] == 22.0 and filled.data.iloc[3] == 32.0
    assert filled.imputed.sum() == 2


@settings(max_examples=80, deadline=None)
@given(values=series_strategy, limit=st.integers(1, 6))
def test_interpolation_properties(values, limit):
    filled = fill_interpolate(pd.Series(values), limit=limit)
    check_on_the_record(values, filled)
    out = filled.data.to_numpy()
    for start, length in gaps_of(values):
        inside = start > 0 and start + length < len(values)
        positions = np.arange(start, start + length)
        if length > limit or not inside:
            assert np.isnan(out[positions]).all()  # never filled, not even in part
        else:
            reference = np.interp(positions, [start - 1, start + length], values[[start - 1, start + length]])
            np.testing.assert_allclose(out[positions], reference, rtol=1e-12, atol=1e-12)


def seasonal_reference(values, season, max_gap, n):
    out = values.copy()
    for start, length in gaps_of(values):
        if length > max_gap:
            continue
        for i in range(start, start + length):
            sign = -1 if i - n * season >= 0 else 1
            lags = [values[i + sign * k * season] for k in range(1, n + 1) if 0 <= i + sign * k * season < len(values)]
            lags = [v for v in lags if not np.isnan(v)]
            if lags:
                out[i] = np.mean(lags)
    return out


@settings(max_examples=80, deadline=None)
@given(values=series_strategy, season=st.integers(1, 8), max_gap=st.integers(1, 5), n=st.integers(1, 3))
def test_seasonal_properties(values, season, max_gap, n):
    filled = fill_seasonal(pd.Series(values), season=season, max_gap=max_gap, n_seasons=n)
    check_on_the_record(values, filled)
    np.testing.assert_allclose(filled.data.to_numpy(), seasonal_reference(values, season, max_gap, n),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(values=series_strategy)
def test_constant_properties(values):
    filled = fill_constant(pd.Series(values), value=-1.0)
    check_on_the_record(values, filled)
    assert not filled.data.isna().any()
