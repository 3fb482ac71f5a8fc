"""make_windows, and the notes' prepare_sequence_data / createSeq as its special cases."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from seqlab.data import Windows, create_seq, createSeq, make_windows, prepare_sequence_data

# The first 19 values of the notes' normalised validation series `valNorm` (AAL highs, MinMax-scaled),
# and the notes' printed results of createSeq(valNorm, look_back=7, foresight=6).
VAL_NORM = np.array([0.13857557, 0.16467934, 0.20206252, 0.31324525, 0.326136, 0.35514019, 0.35095069,
                     0.35997422, 0.35159523, 0.37222043, 0.33483725, 0.36706413, 0.36190783, 0.37093136,
                     0.36835321, 0.36609733, 0.37286497, 0.34096036, 0.32968095]).reshape(-1, 1)
NOTES_X0 = [0.13857557, 0.16467934, 0.20206252, 0.31324525, 0.326136, 0.35514019, 0.35095069]
NOTES_X1 = [0.16467934, 0.20206252, 0.31324525, 0.326136, 0.35514019, 0.35095069, 0.35997422]
NOTES_Y = [0.37093136, 0.36835321, 0.36609733, 0.37286497, 0.34096036, 0.32968095]


def notes_create_seq(data, look_back, foresight):
    """The notes' loop, as printed in the lecture."""
    X, Y = [], []
    for i in range(len(data) - look_back - foresight):
        X.append(data[i:(i + look_back), 0])
        Y.append(data[i + look_back + foresight, 0])
    return np.array(X), np.array(Y)


def notes_prepare_sequence_data(values, window_size=2):
    X, y = [], []
    for i in range(window_size, len(values)):
        X.append(values[i - window_size:i])
        y.append(values[i])
    X = np.asarray(X)
    X.shape = (len(X), window_size, 1)
    y = np.asarray(y)
    y.shape = (len(y), 1)
    return X, y


def test_create_seq_reproduces_the_notes_printed_values():
    X, y = create_seq(VAL_NORM, look_back=7, foresight=6)
    assert X.shape == (6, 7) and y.shape == (6,)
    np.testing.assert_array_equal(X[0], NOTES_X0)
    np.testing.assert_array_equal(X[1], NOTES_X1)
    np.testing.assert_array_equal(y, NOTES_Y)
    assert createSeq is create_seq


def test_create_seq_gives_635_windows_for_the_notes_648_training_points():
    train = np.random.default_rng(0).random((648, 1))
    X, y = create_seq(train, look_back=7, foresight=6)
    assert (X.shape, y.shape) == ((635, 7), (635,))  # the notes: 648 - 7 - 6 = 635
    X_ref, y_ref = notes_create_seq(train, 7, 6)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


@pytest.mark.parametrize("shape", [(40,), (40, 1)])
def test_prepare_sequence_data_equals_the_notes_loop(shape):
    values = np.random.default_rng(1).random(shape)
    X, y = prepare_sequence_data(values, window_size=5)
    X_ref, y_ref = notes_prepare_sequence_data(values.reshape(-1, 1) if values.ndim == 1 else values, 5)
    assert X.dtype == np.float64 and X.shape == (35, 5, 1) and y.shape == (35, 1)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_windows_are_read_only_views_of_one_series():
    series = np.arange(1000, dtype=np.float32)
    X, y = make_windows(series, look_back=10)
    assert np.shares_memory(X, series) and np.shares_memory(y, series)
    assert not X.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        X[0, 0, 0] = 1.0


def test_float64_input_is_cast_once_to_float32_by_default_and_kept_with_dtype_none():
    series = np.arange(50.0)
    X, _ = make_windows(series, 5)
    assert X.dtype == np.float32 and not np.shares_memory(X, series)
    X64, _ = make_windows(series, 5, dtype=None)
    assert X64.dtype == np.float64 and np.shares_memory(X64, series)


def test_dataframe_columns_by_name_multistep_and_timestamps():
    index = pd.date_range("2024-01-01", periods=12, freq="D")
    frame = pd.DataFrame({"a": np.arange(12.0), "b": 100 + np.arange(12.0), "c": -np.arange(12.0)}, index=index)
    w = make_windows(frame, look_back=3, horizon=2, foresight=1, inputs=["a", "c"], targets="b")
    assert w.X.shape == (7, 3, 2) and w.y.shape == (7, 2)
    np.testing.assert_array_equal(w.X[0], [[0, 0], [1, -1], [2, -2]])
    np.testing.assert_array_equal(w.y[0], [104, 105])  # 3 inputs, 1 skipped, then 2 targets
    assert w.times.iloc[0].tolist() == [index[0], index[2], index[4], index[5]]
    assert w.target_times[-1].tolist() == [index[10], index[11]]
    w_list = make_windows(frame, 3, targets=["b"])
    assert w_list.y.shape == (9, 1, 1)
    assert w.input_columns == ["a", "c"] and w.target_columns == ["b"]


def test_stride_keeps_every_kth_window():
    X, y = make_windows(np.arange(20.0), look_back=4, stride=3, dtype=None)
    np.testing.assert_array_equal(X[:, 0, 0], [0, 3, 6, 9, 12, 15])
    np.testing.assert_array_equal(y[:, 0], [4, 7, 10, 13, 16, 19])


def test_errors_name_the_argument_and_value():
    with pytest.raises(ValueError, match=r"`look_back` must be a positive integer, got 0"):
        make_windows(np.arange(10.0), 0)
    with pytest.raises(TypeError, match=r"`foresight` must be a non-negative integer, got 1.5"):
        make_windows(np.arange(10.0), 2, foresight=1.5)
    with pytest.raises(ValueError, match=r"series of 10 steps is too short for look_back=7 \+ foresight=6 "
                                         r"\+ horizon=1 = 14 steps"):
        make_windows(np.arange(10.0), 7, foresight=6)
    with pytest.raises(ValueError, match=r"`targets` names column 'z', which the data does not have \(columns: a\)"):
        make_windows(pd.DataFrame({"a": np.arange(10.0)}), 2, targets="z")
    with pytest.raises(ValueError, match=r"1 NaN values, first at step 3 .*column 0; fill them first"):
        make_windows(np.array([0, 1, 2, np.nan, 4, 5.0]), 2)
    assert make_windows(np.array([0, 1, 2, np.nan, 4, 5.0]), 2, allow_nan=True).X.shape == (4, 2, 1)
    with pytest.raises(ValueError, match=r"must be 1-D \(timesteps,\) or 2-D"):
        make_windows(np.zeros((3, 4, 5)), 1)
    with pytest.raises(TypeError, match=r"columns \['name'\] are not numeric"):
        make_windows(pd.DataFrame({"x": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]}), 1)
    labelled = pd.DataFrame({"x": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]})
    assert make_windows(labelled, 1, inputs=["x"], targets="x").X.shape == (2, 1, 1)  # text column unused
    mixed = pd.DataFrame({"a": [1, 2, 3, 4], "b": [True, False, True, False]})
    np.testing.assert_array_equal(make_windows(mixed, 2).X[0], [[1, 1], [2, 0]])
    with pytest.raises(TypeError, match=r"`data` must be a NumPy array, a pandas Series or DataFrame, got 'abc'"):
        make_windows("abc", 1)


def test_a_datetime_index_out_of_time_order_is_refused_with_its_first_bad_position():
    unsorted = pd.Series(np.arange(5.0), index=pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-03", "2024-01-05"]))
    with pytest.raises(ValueError, match=r"make_windows: `data` has a DatetimeIndex out of time order: position 3 "
                                         r"\(2024-01-03 00:00:00\) goes back in time from position 2 "
                                         r"\(2024-01-04 00:00:00\); sort it first with .sort_index\(\)"):
        make_windows(unsorted, 1)
    repeated = pd.DataFrame({"x": np.arange(4.0)}, index=pd.to_datetime(
        ["2024-01-01", "2024-01-02", "2024-01-02", "2024-01-03"]))
    with pytest.raises(ValueError, match=r"position 2 \(2024-01-02 00:00:00\) repeats position 1 .*drop "
                                         r"repeated timestamps.*seqlab.data.load_csv, which sorts"):
        make_windows(repeated, 1)
    with pytest.raises(ValueError, match=r"make_windows: `index` has a DatetimeIndex out of time order: position 3"):
        make_windows(np.arange(5.0), 1, index=unsorted.index)
    assert make_windows(unsorted.sort_index(), 1).X[:, 0, 0].tolist() == [0, 1, 3, 2]


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 120), look_back=st.integers(1, 15), horizon=st.integers(1, 5),
       foresight=st.integers(0, 6), stride=st.integers(1, 5), features=st.integers(1, 3))
def test_window_count_and_alignment_with_timestamps(n, look_back, horizon, foresight, stride, features):
    # Each value encodes its own position, so X and y can be checked against positions directly.
    values = np.repeat(np.arange(n, dtype=np.float64)[:, None], features, axis=1)
    index = pd.date_range("2020-01-01", periods=n, freq="h")
    frame = pd.DataFrame(values, index=index)
    span = look_back + foresight + horizon
    if n < span:
        with pytest.raises(ValueError, match="too short"):
            make_windows(frame, look_back, horizon, foresight, stride)
        return
    w = make_windows(frame, look_back, horizon, foresight, stride, dtype=None)
    assert isinstance(w, Windows)
    assert w.n_samples == len(range(0, n - span + 1, stride))
    assert w.X.shape == (w.n_samples, look_back, features)
    np.testing.assert_array_equal(w.X[:, :, 0], w.input_positions)
    expected_y = w.target_positions if features == 1 else w.target_positions[:, :, None].repeat(features, 2)
    np.testing.assert_array_equal(w.y, expected_y)
    # Every input precedes every target by at least foresight + 1 steps: no target leaks into X.
    assert np.all(w.target_positions.min(axis=1) - w.input_positions.max(axis=1) == foresight + 1)
    np.testing.assert_array_equal(w.times["input_start"].to_numpy(), index[w.starts].to_numpy())
    np.testing.assert_array_equal(w.target_times, index.to_numpy()[w.target_positions])


@settings(max_examples=40, deadline=None)
@given(look_back=st.integers(1, 6), horizon=st.integers(1, 4), foresight=st.integers(0, 3),
       stride=st.integers(1, 3), extra=st.integers(0, 12))
def test_make_windows_and_the_forecast_windows_follow_one_rule(look_back, horizon, foresight, stride, extra):
    from seqlab.data.windows import WindowSpec
    from seqlab.forecast import WindowSpec as ForecastWindowSpec
    from seqlab.forecast import gather_inputs, gather_targets, window_origins

    assert ForecastWindowSpec is WindowSpec  # one definition, not two that agree
    rule = WindowSpec(look_back, horizon, foresight, stride)
    series = np.arange(float(rule.span + extra))[:, None] * 10
    windows = make_windows(series, look_back, horizon, foresight, stride, targets=[0], dtype=None)
    origins = window_origins(rule, 0, len(series), stride=stride)
    assert windows.rule == rule and windows.n_samples == rule.count(len(series)) == len(origins)
    np.testing.assert_array_equal(windows.origins, origins)
    np.testing.assert_array_equal(windows.X, gather_inputs(series, rule, origins))
    np.testing.assert_array_equal(windows.y, gather_targets(series, rule, origins))
