"""Missing timesteps: put a series on a regular grid, report its gaps, fill them on the record.

Every fill returns :class:`Filled`: the filled data *and* a boolean frame of the positions it
imputed, plus the gap report saying which gaps were filled and which were left (too long, or no
values to fill from). Observed values are never changed, and no gap is ever filled in part:
a gap longer than the limit stays missing as a whole (pandas' ``interpolate(limit=k)`` would fill
its first ``k`` steps and leave the rest, which reads like data that is not there).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from seqlab.checks import check_int
from seqlab.data._checks import steps_of
from seqlab.errors import describe


class Regularized(NamedTuple):
    """What :func:`regularize` returns.

    Attributes:
        data: the series on the regular grid; steps without an observation hold NaN.
        gaps: the gap report of ``data`` (see :func:`find_gaps`).
        inserted: grid timestamps that had no observation at all.
        aggregated: grid timestamps where several observations were combined by ``agg``.
    """

    data: pd.DataFrame | pd.Series
    gaps: pd.DataFrame
    inserted: pd.DatetimeIndex
    aggregated: pd.DatetimeIndex


class Filled(NamedTuple):
    """What the fill functions return.

    Attributes:
        data: the filled series (same shape, index and columns as the input).
        imputed: booleans of the same shape, True exactly where a value was imputed.
        gaps: the input's gap report with a ``filled`` column (steps filled per gap).
    """

    data: pd.DataFrame | pd.Series
    imputed: pd.DataFrame | pd.Series
    gaps: pd.DataFrame

    def with_mask(self, suffix: str = "_imputed") -> pd.DataFrame:
        """The filled data plus one 0/1 channel per column marking imputed steps (a model input)."""
        data = self.data.to_frame() if isinstance(self.data, pd.Series) else self.data
        imputed = self.imputed.to_frame() if isinstance(self.imputed, pd.Series) else self.imputed
        mask = imputed.astype(np.float64)
        mask.columns = [f"{c}{suffix}" for c in data.columns]
        return pd.concat([data, mask], axis=1)


def regularize(data, freq, agg="mean") -> Regularized:
    """Resample onto a regular grid of frequency ``freq`` (pandas ``resample``).

    Observations inside one grid step are combined by ``agg`` (``"mean"``, ``"last"``, ...);
    grid steps without any become NaN and are reported, never filled here.

    >>> s = pd.Series([1.0, 2.0, 4.0], index=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"]))
    >>> out = regularize(s, "D")
    >>> out.data.tolist(), list(out.inserted.strftime("%m-%d"))
    ([1.0, 2.0, nan, 4.0], ['01-03'])
    """
    data = _pandas("regularize", data)
    if not isinstance(data.index, pd.DatetimeIndex):
        raise TypeError(f"regularize: the data needs a DatetimeIndex, got {type(data.index).__name__}")
    try:
        resampler = data.resample(freq)
    except ValueError as error:
        raise ValueError(f"regularize: `freq`={freq!r} is not a pandas frequency ({error})") from None
    regular = resampler.agg(agg)
    counts = resampler.size()
    return Regularized(regular, find_gaps(regular), counts.index[counts.to_numpy() == 0],
                       counts.index[counts.to_numpy() > 1])


def find_gaps(data) -> pd.DataFrame:
    """One row per run of consecutive missing values, per column.

    Columns: ``column``, ``start``/``end`` (index labels of the first/last missing step),
    ``length`` (steps) and ``position`` (position of the first missing step).

    >>> find_gaps(pd.Series([1.0, None, None, 4.0, None], name="x")).values.tolist()
    [['x', 1, 2, 2, 1], ['x', 4, 4, 1, 4]]
    """
    frame = _as_frame(_pandas("find_gaps", data))
    rows = []
    for column in frame.columns:
        starts, lengths = _runs(frame[column].isna().to_numpy())
        for start, length in zip(starts.tolist(), lengths.tolist()):
            rows.append((column, frame.index[start], frame.index[start + length - 1], length, start))
    return pd.DataFrame(rows, columns=["column", "start", "end", "length", "position"])


def fill_interpolate(data, limit=None, method: str = "linear") -> Filled:
    """Fill gaps of at most ``limit`` steps by interpolating between their neighbours.

    Args:
        data: Series or DataFrame, on a regular grid (see :func:`regularize`).
        limit: the longest gap filled, as steps or a duration (``"6h"``); ``None``: any length.
            Longer gaps stay missing in full. Gaps at the very start or end have one neighbour
            only and are never interpolated.
        method: a pandas interpolation method (``"linear"``, ``"time"``, ...).

    >>> s = pd.Series([0.0, None, 2.0, None, None, None, 6.0])
    >>> fill_interpolate(s, limit=2).data.tolist()
    [0.0, 1.0, 2.0, nan, nan, nan, 6.0]
    """
    data = _pandas("fill_interpolate", data)
    limit = None if limit is None else steps_of("fill_interpolate", "limit", limit, data.index)
    frame = _as_frame(data)
    try:
        interpolated = frame.interpolate(method=method, limit_area="inside")
    except (ValueError, TypeError) as error:
        raise ValueError(f"fill_interpolate: interpolation `method`={method!r} failed: {error}") from None
    return _fill(data, lambda column, positions: interpolated[column].to_numpy()[positions], limit)


def fill_constant(data, value=0.0) -> Filled:
    """Fill every gap with ``value``; ``Filled.with_mask()`` adds the channel saying where.

    >>> filled = fill_constant(pd.Series([1.0, None], name="x"), value=-1.0)
    >>> filled.with_mask().values.tolist()
    [[1.0, 0.0], [-1.0, 1.0]]
    """
    data = _pandas("fill_constant", data)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"fill_constant: `value` must be a number, got {describe(value)}")
    return _fill(data, lambda column, positions: np.full(len(positions), float(value)), None)


def fill_seasonal(data, season, max_gap, n_seasons: int = 3) -> Filled:
    """The notes' seasonal-lag rule: the mean of the same slot 1, 2 .. ``n_seasons`` seasons before.

    A missing step ``i`` in a gap of at most ``max_gap`` steps takes the mean of the observed
    values at ``i - season``, ``i - 2*season`` .., or — when fewer than ``n_seasons`` seasons of
    history exist before it — at ``i + season``, ``i + 2*season`` .. (the notes' rule at the
    start of a series). Only observed values are averaged (never earlier imputations); a step
    none of whose lags is observed stays missing and is reported.

    Args:
        data: Series or DataFrame on a regular grid.
        season: steps per season, or a duration (``"7D"`` for the notes' week).
        max_gap: the longest gap filled, as steps or a duration (the notes: ``"10h"``).
        n_seasons: how many seasons to average (3 in the notes).

    >>> s = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None, 8.0])
    >>> fill_seasonal(s, season=2, max_gap=1).data.tolist()   # mean of steps 4, 2 and 0
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 3.0, 8.0]
    """
    data = _pandas("fill_seasonal", data)
    season = steps_of("fill_seasonal", "season", season, data.index)
    max_gap = steps_of("fill_seasonal", "max_gap", max_gap, data.index)
    n_seasons = check_int("fill_seasonal", "n_seasons", n_seasons)
    frame = _as_frame(data)
    lags = season * np.arange(1, n_seasons + 1)

    def seasonal(column, positions):
        values = frame[column].to_numpy(dtype=np.float64)
        enough_history = positions - lags[-1] >= 0
        sources = np.where(enough_history[:, None], positions[:, None] - lags, positions[:, None] + lags)
        inside = sources < len(values)
        picked = np.where(inside, values[np.minimum(sources, len(values) - 1)], np.nan)
        with np.errstate(invalid="ignore"):
            total = np.nansum(picked, axis=1)
            count = np.sum(~np.isnan(picked), axis=1)
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    return _fill(data, seasonal, max_gap)


def _fill(data, values_for, limit) -> Filled:
    """Fill each gap of at most ``limit`` steps with ``values_for(column, positions)``."""
    frame = _as_frame(data)
    filled = frame.astype(np.float64)  # copy-on-write: the caller's data is never written
    imputed = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    gaps = find_gaps(frame)
    done = np.zeros(len(gaps), dtype=np.int64)
    for column in frame.columns:
        rows = np.flatnonzero((gaps["column"] == column).to_numpy())
        eligible = [r for r in rows if limit is None or gaps["length"].iat[r] <= limit]
        if not eligible:
            continue
        positions = np.concatenate([np.arange(gaps["position"].iat[r], gaps["position"].iat[r]
                                              + gaps["length"].iat[r]) for r in eligible])
        new = np.asarray(values_for(column, positions), dtype=np.float64)
        ok = ~np.isnan(new)
        j = frame.columns.get_loc(column)
        filled.iloc[positions[ok], j] = new[ok]
        imputed.iloc[positions[ok], j] = True
        owner = np.repeat(eligible, [gaps["length"].iat[r] for r in eligible])
        np.add.at(done, owner[ok], 1)
    gaps["filled"] = done
    if isinstance(data, pd.Series):
        return Filled(filled.iloc[:, 0].rename(data.name), imputed.iloc[:, 0].rename(data.name), gaps)
    return Filled(filled, imputed, gaps)


def _runs(missing: np.ndarray):
    """Starts and lengths of the runs of True in a boolean vector."""
    edges = np.diff(np.concatenate(([0], missing.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def _pandas(where, data):
    if isinstance(data, (pd.Series, pd.DataFrame)):
        return data
    if isinstance(data, np.ndarray) and data.ndim in (1, 2):
        return pd.Series(data) if data.ndim == 1 else pd.DataFrame(data)
    raise TypeError(f"{where}: `data` must be a pandas Series or DataFrame (or a 1-D/2-D array), "
                    f"got {describe(data)}")


def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else 0)
    non_numeric = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    if non_numeric:
        raise TypeError(f"the data's columns must be numeric, got non-numeric {non_numeric}")
    return data
