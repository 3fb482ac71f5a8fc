"""timeseries_dataset_from_array against the examples in Keras's own docstring
(keras/src/utils/timeseries_dataset_utils.py), and fed straight to fit."""
import doctest
import re

import numpy as np
import pytest

import seqlab
from seqlab.layers import LSTM, Dense, Input
from seqlab.models import Sequential
from seqlab.utils import timeseries, timeseries_dataset_from_array


def _all(ds):
    batches = list(ds)
    if isinstance(batches[0], tuple):
        return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    return np.concatenate(batches), None


def test_keras_example_1_windows_with_sampling_rate_and_stride():
    # Keras: indices [0..98], sequence_length=10, sampling_rate=2, sequence_stride=3.
    ds = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10, sampling_rate=2,
                                       sequence_stride=3)
    x, _ = _all(ds)
    assert x[0].tolist() == [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]
    assert x[1].tolist() == [3, 5, 7, 9, 11, 13, 15, 17, 19, 21]
    assert x[2].tolist() == [6, 8, 10, 12, 14, 16, 18, 20, 22, 24]
    assert x[-1].tolist() == [78, 80, 82, 84, 86, 88, 90, 92, 94, 96]  # the last 2 points are discarded
    assert len(x) == 27  # starts 0, 3, ..., 78


def test_keras_example_2_temporal_regression():
    data = np.arange(100.0) * 0.5
    ds = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(ds))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    x, y = _all(ds)
    assert len(x) == 81  # 90 - 10 + 1 windows, every target matched
    np.testing.assert_array_equal(y, data[10:91])


def test_keras_example_3_many_to_many_without_targets():
    X = np.arange(100)
    Y = X * 2
    inputs = timeseries_dataset_from_array(X, None, sequence_length=20, sequence_stride=20)
    targets = timeseries_dataset_from_array(Y, None, sequence_length=20, sequence_stride=20)
    a, b = next(iter(zip(inputs, targets)))
    np.testing.assert_array_equal(a[0], X[:20])
    np.testing.assert_array_equal(b[1], Y[20:40])


def test_start_and_end_index_batches_and_len():
    data = np.arange(50).reshape(25, 2)
    ds = timeseries_dataset_from_array(data, np.arange(25), sequence_length=3, batch_size=4,
                                       start_index=5, end_index=20)
    # rows 5..19: 15 - 2 = 13 windows, 4 batches of 4, 4, 4, 1
    assert len(ds) == 4 and [len(b[0]) for b in ds] == [4, 4, 4, 1]
    x, y = _all(ds)
    np.testing.assert_array_equal(x[0], data[5:8])
    np.testing.assert_array_equal(x[-1], data[17:20])
    np.testing.assert_array_equal(y, np.arange(5, 18))  # targets[start_index + i]
    assert x.shape == (13, 3, 2)


def test_shuffle_is_seeded_keeps_pairs_and_reshuffles_each_pass():
    data = np.arange(40)
    ds = timeseries_dataset_from_array(data, data, sequence_length=4, batch_size=5, shuffle=True, seed=3)
    first = _all(ds)
    again = _all(timeseries_dataset_from_array(data, data, sequence_length=4, batch_size=5, shuffle=True, seed=3))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[0][:, 0], first[1])  # each window keeps its target
    assert sorted(first[1].tolist()) == list(range(37))
    second = _all(ds)
    assert sorted(second[1].tolist()) == list(range(37)) and second[1].tolist() != first[1].tolist()


def test_unbatched_yields_single_windows():
    ds = timeseries_dataset_from_array(np.arange(6), np.arange(6), sequence_length=3, batch_size=None)
    samples = list(ds)
    assert len(ds) == 4 and samples[0][0].tolist() == [0, 1, 2] and samples[3][1] == 3


@pytest.mark.parametrize("kwargs, message", [
    (dict(sampling_rate=0), "`sampling_rate` must be a positive integer, got 0"),
    (dict(sampling_rate=10), "`sampling_rate` must be lower than the length of the data (10)"),
    (dict(sequence_stride=10), "`sequence_stride` must be lower than the length of the data (10)"),
    (dict(start_index=10), "`start_index` must be lower than the length of the data (10)"),
    (dict(end_index=10), "`end_index` must be lower than the length of the data (10)"),
    (dict(start_index=5, end_index=3), "`end_index` must be higher than `start_index`"),
    (dict(sequence_length=20), "a window of sequence_length=20 at sampling_rate=1 spans 20 rows, but rows 0..9 hold only 10"),
])
def test_bad_arguments_are_refused_by_message(kwargs, message):
    arguments = dict(sequence_length=3)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match="timeseries_dataset_from_array: " + re.escape(message)):
        timeseries_dataset_from_array(np.arange(10), None, **arguments)


def test_fit_takes_the_dataset_without_steps_per_epoch():
    seqlab.utils.set_random_seed(0)
    series = np.sin(np.arange(120) * 0.3).astype("float32")[:, None]
    ds = timeseries_dataset_from_array(series[:-5], series[5:, 0], sequence_length=5, batch_size=16)
    model = Sequential([Input(shape=(5, 1)), LSTM(4), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(timeseries_dataset_from_array(series, None, sequence_length=5), verbose=0).shape == (116, 1)


def test_aliases_and_docstring():
    assert seqlab.preprocessing.timeseries_dataset_from_array is timeseries_dataset_from_array
    result = doctest.testmod(timeseries, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
