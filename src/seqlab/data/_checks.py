"""Argument checks shared by the data modules (messages name function, argument and value)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from seqlab.checks import check_int
from seqlab.errors import describe


def check_data(where: str, data):
    """A Series, DataFrame or 1-D/2-D array; anything else is a TypeError."""
    if isinstance(data, (pd.Series, pd.DataFrame)):
        return data
    if isinstance(data, (list, tuple)):
        data = np.asarray(data)
    if not isinstance(data, np.ndarray):
        raise TypeError(
            f"{where}: `data` must be a NumPy array, a pandas Series or DataFrame, got {describe(data)}"
        )
    if data.ndim not in (1, 2):
        raise ValueError(
            f"{where}: `data` must be 1-D (timesteps,) or 2-D (timesteps, features), "
            f"got an array of shape {data.shape}"
        )
    return data


def steps_of(where: str, argument: str, value, index) -> int:
    """A length given as a number of steps or as a duration ('6h') on a regular time index."""
    if isinstance(value, (str, pd.Timedelta, np.timedelta64)) or hasattr(value, "total_seconds"):
        step = regular_step(index)
        if step is None:
            raise ValueError(
                f"{where}: `{argument}`={value!r} is a duration, which needs a regular DatetimeIndex "
                "(call seqlab.data.regularize first), got "
                f"{type(index).__name__} without a fixed step"
            )
        try:
            duration = pd.Timedelta(value)
        except ValueError:
            raise ValueError(f"{where}: `{argument}` must be a number of steps or a duration such as "
                             f"'6h', got {value!r}") from None
        steps, rest = divmod(duration, step)
        if rest != pd.Timedelta(0) or steps < 1:
            raise ValueError(
                f"{where}: `{argument}`={value!r} is not a whole positive number of steps of {step}"
            )
        return int(steps)
    return check_int(where, argument, value)


def check_time_order(where: str, argument: str, index) -> None:
    """Refuse a DatetimeIndex or PeriodIndex that is not strictly increasing (unsorted, repeating a
    timestamp, or holding NaT).

    Positions are what splits and windows cut by, so rows out of time order would put later
    data in the train part, or inputs after their targets. Other indexes are not time: left alone.
    """
    if not isinstance(index, (pd.DatetimeIndex, pd.PeriodIndex)):
        return
    # Cheap when sorted: pandas computes both in one pass and caches them on the index.
    if index.is_monotonic_increasing and index.is_unique and not index.hasnans:
        return
    if index.hasnans:
        k = int(np.flatnonzero(index.isna())[0])
        raise ValueError(f"{where}: `{argument}` has no time at position {k} (NaT); drop or fix that row, "
                         "since a row without a time has no place in the sequence")
    k = int(np.flatnonzero(np.diff(index.asi8) <= 0)[0]) + 1
    problem = "repeats" if index[k] == index[k - 1] else "goes back in time from"
    raise ValueError(
        f"{where}: `{argument}` has a {type(index).__name__} out of time order: position {k} ({index[k]}) "
        f"{problem} position {k - 1} ({index[k - 1]}); sort it first with .sort_index() (and drop "
        "repeated timestamps, e.g. data[~data.index.duplicated()]), or load it with "
        "seqlab.data.load_csv, which sorts and refuses duplicates"
    )


def regular_step(index) -> pd.Timedelta | None:
    """The fixed step of a regular DatetimeIndex, else None (irregular, or calendar months)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return None
    differences = index[1:] - index[:-1]
    step = differences[0]
    if step <= pd.Timedelta(0) or not (differences == step).all():
        return None
    return step
