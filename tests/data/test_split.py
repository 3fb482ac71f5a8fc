"""Chronological splits: the notes' 70/15/15, dates, and windows that never cross a boundary."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from seqlab.data import Split, chronological_split


def test_the_notes_70_15_15_split_of_926_points():
    # The notes: round(926*0.7) = 648 training, round(926*0.15) = 139 validation, 139 test points.
    high = np.arange(926.0)
    split = chronological_split(high)
    assert split.sizes == {"train": 648, "val": 139, "test": 139}
    np.testing.assert_array_equal(split.train, high[:648])
    np.testing.assert_array_equal(split.val, high[648:787])
    np.testing.assert_array_equal(split.test, high[787:])
    assert repr(split) == "Split(train=648, val=139, test=139)"


def test_split_by_dates_keeps_pandas_types_and_boundary_times():
    index = pd.date_range("2024-01-01", periods=10, freq="D")
    frame = pd.DataFrame({"x": np.arange(10.0)}, index=index)
    split = chronological_split(frame, val_start="2024-01-06", test_start="2024-01-09")
    assert split.sizes == {"train": 5, "val": 3, "test": 2}
    assert isinstance(split.val, pd.DataFrame)
    assert split.boundary_times == {"train": index[0], "val": index[5], "test": index[8]}
    no_val = chronological_split(frame, test_start="2024-01-09")
    assert no_val.sizes == {"train": 8, "val": 0, "test": 2}
    assert set(no_val.windows(look_back=1)) == {"train", "test"}


def test_split_errors():
    with pytest.raises(ValueError, match=r"`train` must be a fraction in \[0, 1\], got 1.5"):
        chronological_split(np.arange(10.0), train=1.5)
    with pytest.raises(ValueError, match=r"train \+ val \+ test must be 1, got 0.6 \+ 0.2 \+ 0.1"):
        chronological_split(np.arange(10.0), train=0.6, val=0.2, test=0.1)
    with pytest.raises(ValueError, match="either fractions .* or dates"):
        chronological_split(pd.Series(range(3), index=pd.date_range("2024", periods=3)), train=0.5,
                            test_start="2024-01-02")
    with pytest.raises(ValueError, match="`val_start`='2024-01-03' must come before `test_start`='2024-01-02'"):
        chronological_split(pd.Series(range(3), index=pd.date_range("2024", periods=3)),
                            val_start="2024-01-03", test_start="2024-01-02")
    with pytest.raises(ValueError, match="the train part of a 3-step series would be empty"):
        chronological_split(np.arange(3.0), train=0.1, val=0.2)
    with pytest.raises(ValueError, match=r"Split.windows: the val part \(2 steps\): .*too short"):
        chronological_split(np.arange(20.0), train=0.8, val=0.1).windows(look_back=3)


@pytest.mark.parametrize("data", [np.arange(10.0), pd.DataFrame({"x": np.arange(10.0)})],
                         ids=["array", "range-index"])
def test_date_bounds_need_a_datetime_index(data):
    # A RangeIndex would compare the date with row numbers and cut somewhere arbitrary.
    with pytest.raises(TypeError, match=r"chronological_split: `test_start`='2020-01-01' is a date, which needs "
                                        r"data indexed by a DatetimeIndex, but the data (is a NumPy array|has a "
                                        r"RangeIndex).*load_csv.*set_index.*or split by fractions"):
        chronological_split(data, test_start="2020-01-01")
    with pytest.raises(TypeError, match=r"`val_start`=Timestamp\('2020-01-01 00:00:00'\) is a date"):
        chronological_split(data, val_start=pd.Timestamp("2020-01-01"), test_start=8)
    # Row numbers are labels of such an index: still a valid way to cut it.
    assert chronological_split(data, val_start=6, test_start=8).sizes == {"train": 6, "val": 2, "test": 2}


def test_a_row_number_is_not_a_date_bound_on_a_datetime_index():
    daily = pd.Series(np.arange(10.0), index=pd.date_range("2020-01-01", periods=10))
    with pytest.raises(TypeError, match=r"`test_start`=8 is a number, but the data are indexed by dates; "
                                        r"give a date such as '2020-01-01'"):
        chronological_split(daily, test_start=8)


def test_label_bounds_need_a_sorted_index():
    shuffled = pd.Series(np.arange(4.0), index=[3, 1, 2, 0])
    with pytest.raises(ValueError, match=r"`test_start`=2 is looked up in the data's index, which must be sorted "
                                         r"in increasing order \(sort it with .sort_index\(\)\)"):
        chronological_split(shuffled, test_start=2)


@pytest.mark.parametrize("bounds", [{}, {"train": 0.5, "val": 0.25}, {"test_start": "2024-01-04"}],
                         ids=["default-fractions", "fractions", "dates"])
def test_a_datetime_index_out_of_time_order_is_refused(bounds):
    unsorted = pd.Series(np.arange(5.0), index=pd.to_datetime(
        ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-04", "2024-01-05"]))
    with pytest.raises(ValueError, match=r"chronological_split: `data` has a DatetimeIndex out of time order: "
                                         r"position 2 \(2024-01-02 00:00:00\) goes back in time from position 1 "
                                         r"\(2024-01-03 00:00:00\); sort it first with .sort_index\(\)"):
        chronological_split(unsorted, **bounds)
    repeated = pd.DataFrame({"x": np.arange(4.0)}, index=pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-03"]))
    with pytest.raises(ValueError, match=r"position 3 \(2024-01-03 00:00:00\) repeats position 2"):
        chronological_split(repeated, **bounds)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(20, 150), train=st.floats(0.3, 0.8), val=st.floats(0.0, 0.2),
       look_back=st.integers(1, 4), horizon=st.integers(1, 3), foresight=st.integers(0, 2))
def test_no_window_crosses_a_split_boundary(n, train, val, look_back, horizon, foresight):
    index = pd.date_range("2021-01-01", periods=n, freq="D")
    series = pd.Series(np.arange(n, dtype=float), index=index)
    split = chronological_split(series, train=train, val=val)
    assert sum(split.sizes.values()) == n
    span = look_back + horizon + foresight
    if any(0 < size < span for size in split.sizes.values()):
        with pytest.raises(ValueError, match="too short"):
            split.windows(look_back, horizon, foresight)
        return
    for name, w in split.windows(look_back, horizon, foresight).items():
        start, stop = split.bounds[name]
        # The values are positions in the whole series: inputs and targets stay inside the part.
        assert w.X.min() >= start and w.X.max() < stop
        assert w.y.min() >= start and w.y.max() < stop
        assert w.times["input_start"].min() >= index[start]
        assert w.times["target_end"].max() <= index[stop - 1]
        np.testing.assert_array_equal(w.input_positions, w.X[:, :, 0])  # positions in the whole series
        np.testing.assert_array_equal(w.target_times, index.to_numpy()[w.target_positions])
        assert isinstance(split, Split)


def test_time_order_checks_cover_period_indexes_and_missing_times():
    months = pd.Series(np.arange(5.0), index=pd.PeriodIndex(["2020-01", "2020-03", "2020-02", "2020-04", "2020-05"],
                                                            freq="M"))
    with pytest.raises(ValueError, match=r"`data` has a PeriodIndex out of time order: position 2 \(2020-02\) "
                                         r"goes back in time from position 1 \(2020-03\)"):
        chronological_split(months)
    gap = pd.Series(np.arange(4.0), index=pd.DatetimeIndex(["2020-01-01", None, "2020-01-03", "2020-01-04"]))
    with pytest.raises(ValueError, match=r"`data` has no time at position 1 \(NaT\)"):
        chronological_split(gap)


def test_a_plain_date_bound_on_zoned_times_is_read_in_their_zone():
    berlin = pd.Series(np.arange(10.0), index=pd.date_range("2024-01-01", periods=10, tz="Europe/Berlin"))
    split = chronological_split(berlin, val_start="2024-01-05", test_start="2024-01-08")
    assert split.sizes == {"train": 4, "val": 3, "test": 3}
    assert split.test.index[0] == pd.Timestamp("2024-01-08", tz="Europe/Berlin")
