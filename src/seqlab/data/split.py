"""Chronological train/validation/test splits that know their boundaries.

The parts are consecutive blocks of the series, in time order: ``train = [0, train_end)``,
``val = [train_end, val_end)``, ``test = [val_end, n)``. No shuffling: in a forecast the
validation and test parts must lie after everything the model trained on.
"""
from __future__ import annotations

import datetime
import numbers

import numpy as np
import pandas as pd

from seqlab.data._checks import check_data, check_time_order
from seqlab.data.windows import Windows, make_windows
from seqlab.errors import describe

PARTS = ("train", "val", "test")


class Split:
    """A series cut into train, validation and test parts at two positions.

    Attributes:
        data: the whole series (array, Series or DataFrame), never copied.
        index: labels of its steps (its own index, or ``RangeIndex`` for an array).
        train_end, val_end: the boundaries as positions (``val_end == train_end`` without a
            validation part).
    """

    def __init__(self, data, train_end: int, val_end: int, index=None):
        self.data = data
        self.index = pd.Index(index) if index is not None else _index_of(data)
        self.train_end, self.val_end = int(train_end), int(val_end)

    def __len__(self) -> int:
        return len(self.index)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={size}" for name, size in self.sizes.items())
        return f"Split({sizes})"

    @property
    def sizes(self) -> dict:
        return {name: stop - start for name, (start, stop) in self.bounds.items()}

    @property
    def bounds(self) -> dict:
        """``{"train": (0, train_end), "val": (...), "test": (val_end, n)}`` as positions."""
        return {"train": (0, self.train_end), "val": (self.train_end, self.val_end),
                "test": (self.val_end, len(self))}

    @property
    def boundary_times(self) -> dict:
        """Index label of the first step of each non-empty part."""
        return {name: self.index[start] for name, (start, stop) in self.bounds.items() if stop > start}

    def part(self, name: str):
        """The rows of one part, of the same type as ``data`` (a view for arrays)."""
        if name not in PARTS:
            raise ValueError(f"Split.part: `name` must be one of {PARTS}, got {describe(name)}")
        start, stop = self.bounds[name]
        if isinstance(self.data, (pd.Series, pd.DataFrame)):
            return self.data.iloc[start:stop]
        return self.data[start:stop]

    @property
    def train(self):
        return self.part("train")

    @property
    def val(self):
        return self.part("val")

    @property
    def test(self):
        return self.part("test")

    def part_of(self, position: int) -> str:
        """Which part a position belongs to."""
        return "train" if position < self.train_end else "val" if position < self.val_end else "test"

    def with_data(self, data) -> "Split":
        """The same boundaries over other data of the same length (e.g. the scaled series)."""
        if len(data) != len(self):
            raise ValueError(f"Split.with_data: `data` has {len(data)} steps, the split has {len(self)}")
        return Split(data, self.train_end, self.val_end, index=self.index)

    def windows(self, look_back: int, horizon: int = 1, foresight: int = 0, stride: int = 1,
                **kwargs) -> dict[str, Windows]:
        """:func:`make_windows` inside each non-empty part, so no window crosses a boundary.

        Positions and times in the returned windows are those of the whole series. Takes the
        same arguments as :func:`make_windows`.

        >>> split = chronological_split(np.arange(100.0), train=0.7, val=0.15)
        >>> {name: w.X.shape for name, w in split.windows(look_back=5).items()}
        {'train': (65, 5, 1), 'val': (10, 5, 1), 'test': (10, 5, 1)}
        """
        result = {}
        for name, (start, stop) in self.bounds.items():
            if stop == start:
                continue
            try:
                windows = make_windows(self.part(name), look_back, horizon, foresight, stride,
                                       index=self.index[start:stop], **kwargs)
            except ValueError as error:
                raise ValueError(f"Split.windows: the {name} part ({stop - start} steps): {error}") from None
            windows.offset = start
            result[name] = windows
        return result


def chronological_split(data, train=None, val=None, test=None, *, val_start=None, test_start=None) -> Split:
    """Cut a series into consecutive train/validation/test parts, by fractions or by dates.

    By fractions (the notes: 70/15/15): ``train_size = round(n * train)``, ``val_size =
    round(n * val)`` and the test part takes the rest, exactly as the notes compute
    ``trainPortion``/``valPortion``. ``test`` may be given as a check that the three add to 1.
    By dates: ``val_start`` and ``test_start`` are the first labels of those parts (strings are
    parsed as timestamps on a DatetimeIndex); rows before ``val_start`` are the train part.
    Dates need a DatetimeIndex (``TypeError`` otherwise); on an array or a RangeIndex the
    labels are row numbers. A DatetimeIndex must be sorted with unique timestamps (``ValueError``
    naming the first step out of order).

    Args:
        data: array ``(timesteps[, features])``, Series or DataFrame, in time order.
        train, val, test: fractions in [0, 1]; default 0.7 and 0.15 (test = the rest).
        val_start, test_start: boundaries as index labels (instead of fractions).

    Returns:
        :class:`Split`.

    >>> split = chronological_split(np.zeros(926))   # the notes' AAL series
    >>> split.sizes
    {'train': 648, 'val': 139, 'test': 139}
    """
    where = "chronological_split"
    data = check_data(where, data)
    index = _index_of(data)
    check_time_order(where, "data", index)
    n = len(index)
    if val_start is not None or test_start is not None:
        if train is not None or val is not None or test is not None:
            raise ValueError(f"{where}: give either fractions (train/val/test) or dates "
                             "(val_start/test_start), not both")
        train_end, val_end = _date_bounds(where, data, index, val_start, test_start)
    else:
        train = 0.7 if train is None else _fraction(where, "train", train)
        val = 0.15 if val is None else _fraction(where, "val", val)
        if test is not None and abs(train + val + _fraction(where, "test", test) - 1.0) > 1e-9:
            raise ValueError(f"{where}: train + val + test must be 1, got {train} + {val} + {test} "
                             f"= {train + val + test:g}")
        if train + val > 1.0 + 1e-9:
            raise ValueError(f"{where}: train + val must be at most 1, got {train} + {val}")
        # Python's round, as the notes: round(926 * 0.7) = 648, round(926 * 0.15) = 139.
        train_end = round(n * train)
        val_end = min(n, train_end + round(n * val))
    if train_end == 0:
        raise ValueError(f"{where}: the train part of a {n}-step series would be empty")
    return Split(data, train_end, val_end, index=index)


def _index_of(data) -> pd.Index:
    if isinstance(data, (pd.Series, pd.DataFrame)):
        return data.index
    return pd.RangeIndex(len(data))


def _fraction(where, argument, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: `{argument}` must be a fraction in [0, 1], got {describe(value)}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{where}: `{argument}` must be a fraction in [0, 1], got {value}")
    return float(value)


def _date_bounds(where, data, index, val_start, test_start):
    def position(argument, label):
        if label is None:
            return None
        if isinstance(index, pd.DatetimeIndex):
            if isinstance(label, (numbers.Number, np.number)):
                # pd.Timestamp(8) is 8 ns after 1970: a row number would silently split nothing
                raise TypeError(f"{where}: `{argument}`={label!r} is a number, but the data are indexed by "
                                "dates; give a date such as '2020-01-01', or split by fractions (train=, val=)")
            try:
                label = pd.Timestamp(label)
            except (TypeError, ValueError):
                raise ValueError(f"{where}: `{argument}` must be a timestamp, got {describe(label)}") from None
            if index.tz is not None and label.tz is None:
                label = label.tz_localize(index.tz)  # as pandas' .loc reads a plain date on zoned times
        elif isinstance(label, (str, datetime.date, np.datetime64)):
            # A string index would compare dates as text, a RangeIndex as row numbers: refuse both.
            has = "is a NumPy array (rows have positions, not dates)" if isinstance(data, np.ndarray) \
                else f"has a {type(index).__name__} of dtype {index.dtype}"
            raise TypeError(
                f"{where}: `{argument}`={label!r} is a date, which needs data indexed by a DatetimeIndex, "
                f"but the data {has}; load it with seqlab.data.load_csv(..., time_column=...) or index it "
                "with df.set_index(pd.to_datetime(...)), or split by fractions (train=, val=)"
            )
        elif not index.is_monotonic_increasing:
            raise ValueError(f"{where}: `{argument}`={label!r} is looked up in the data's index, which must be "
                             f"sorted in increasing order (sort it with .sort_index())")
        try:
            return int(index.searchsorted(label, side="left"))
        except TypeError:
            raise TypeError(f"{where}: `{argument}`={label!r} cannot be compared with an index of "
                            f"dtype {index.dtype}") from None

    n = len(index)
    val_pos = position("val_start", val_start)
    test_pos = position("test_start", test_start)
    test_pos = n if test_pos is None else test_pos
    val_pos = test_pos if val_pos is None else val_pos
    if val_pos > test_pos:
        raise ValueError(f"{where}: `val_start`={val_start!r} must come before `test_start`={test_start!r}")
    return val_pos, test_pos
