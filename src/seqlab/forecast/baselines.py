"""The naive forecasts every model must beat, for exactly the model's windows.

Each baseline reads the series in the data's own units up to a window's origin ``e`` (never
later) and predicts every target row ``t = e + foresight + k`` (``k = 1..horizon``):

- persistence: ``y[e]`` — the last value seen.
- seasonal naive (season ``m``): the last value seen at the same phase of the season,
  ``y[t - m * ceil((t - e) / m)]``.
- drift: the line through the first value and the last value seen, extended,
  ``y[e] + (t - e) * (y[e] - y[0]) / e`` (Hyndman & Athanasopoulos, *FPP3* §5.2).
- moving average: the mean of the last ``window`` values seen, ``mean(y[e-window+1 .. e])``.

Input shape: ``series`` ``(T,)`` or ``(T, F)``; ``origins`` ``(N,)``.
Output shape: ``(N, horizon)`` or ``(N, horizon, F)`` (the series' trailing axes kept).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from seqlab.checks import check_int
from seqlab.forecast.windows import WindowSpec, target_rows


def _prepare(series, origins) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(series, dtype=np.float64)
    if values.ndim not in (1, 2):
        raise ValueError(f"baselines: `series` must be 1-D (T,) or 2-D (T, F), got shape {values.shape}")
    origins = np.asarray(origins, dtype=np.int64)
    if origins.size and (origins.min() < 0 or origins.max() >= len(values)):
        raise ValueError(
            f"baselines: origins must index the series' {len(values)} rows, got origins from "
            f"{origins.min()} to {origins.max()}"
        )
    return values, origins


def _repeat(row_values: np.ndarray, horizon: int) -> np.ndarray:
    # (N, ...) -> (N, horizon, ...): one value per origin, repeated over the horizon.
    return np.repeat(row_values[:, None], horizon, axis=1)


def persistence(series, spec: WindowSpec, origins) -> np.ndarray:
    """Repeat the last value seen.

    >>> persistence([1.0, 2.0, 4.0], WindowSpec(1, horizon=2), [1]).tolist()
    [[2.0, 2.0]]
    """
    values, origins = _prepare(series, origins)
    return _repeat(values[origins], spec.horizon)


def seasonal_naive(series, spec: WindowSpec, origins, season: int) -> np.ndarray:
    """Repeat the value seen one season earlier (at the same phase).

    >>> seasonal_naive([1.0, 2.0, 3.0, 4.0], WindowSpec(1, horizon=3), [3], season=2).tolist()
    [[3.0, 4.0, 3.0]]
    """
    season = check_int("seasonal_naive", "season", season)
    values, origins = _prepare(series, origins)
    targets = target_rows(spec, origins)  # (N, horizon)
    ahead = targets - origins[:, None]
    source = targets - season * -(-ahead // season)  # ceil division keeps source <= origin
    if source.size and source.min() < 0:
        bad = int(origins[np.argmin(source.min(axis=1))])
        raise ValueError(
            f"seasonal_naive: origin {bad} has less than one season ({season} rows) of history; "
            f"the first usable origin is {season - 1}"
        )
    return values[source]


def drift(series, spec: WindowSpec, origins) -> np.ndarray:
    """Extend the straight line from the first value to the last value seen.

    >>> drift([1.0, 2.0, 3.0], WindowSpec(1, horizon=2), [2]).tolist()
    [[4.0, 5.0]]
    """
    values, origins = _prepare(series, origins)
    if origins.size and origins.min() < 1:
        raise ValueError("drift: an origin of 0 has a single value seen, so no slope; origins must be >= 1")
    slope = (values[origins] - values[0]) / origins.reshape((-1,) + (1,) * (values.ndim - 1))
    ahead = target_rows(spec, origins) - origins[:, None]  # (N, horizon)
    ahead = ahead.reshape(ahead.shape + (1,) * (values.ndim - 1)).astype(np.float64)
    return _repeat(values[origins], spec.horizon) + ahead * slope[:, None]


def moving_average(series, spec: WindowSpec, origins, window: int) -> np.ndarray:
    """Repeat the mean of the last ``window`` values seen.

    >>> moving_average([1.0, 2.0, 3.0, 6.0], WindowSpec(1), [3], window=3).tolist()
    [[3.6666666666666665]]
    """
    window = check_int("moving_average", "window", window)
    values, origins = _prepare(series, origins)
    if origins.size and origins.min() < window - 1:
        raise ValueError(
            f"moving_average: origin {int(origins.min())} has fewer than `window`={window} values "
            f"of history; the first usable origin is {window - 1}"
        )
    cumulative = np.concatenate([np.zeros((1,) + values.shape[1:]), np.cumsum(values, axis=0)])
    means = (cumulative[origins + 1] - cumulative[origins + 1 - window]) / window
    return _repeat(means, spec.horizon)


def all_baselines(series, spec: WindowSpec, origins, season: int | None = None,
                  window: int | None = None,
                  names=("persistence", "seasonal_naive", "drift", "moving_average")) -> dict[str, np.ndarray]:
    """Every requested baseline, keyed by name.

    ``season`` is needed for ``seasonal_naive``; ``window`` defaults to ``spec.look_back``
    (the moving average then sees the same history as the model).
    """
    makers: dict[str, Callable[[], np.ndarray]] = {
        "persistence": lambda: persistence(series, spec, origins),
        "seasonal_naive": lambda: seasonal_naive(series, spec, origins, season),
        "drift": lambda: drift(series, spec, origins),
        "moving_average": lambda: moving_average(series, spec, origins, window or spec.look_back),
    }
    unknown = [name for name in names if name not in makers]
    if unknown:
        raise ValueError(f"all_baselines: unknown baselines {unknown}; known: {sorted(makers)}")
    if "seasonal_naive" in names and season is None:
        raise ValueError("all_baselines: `season` is required for the seasonal_naive baseline")
    return {name: makers[name]() for name in names}


BASELINE_NAMES = ("persistence", "seasonal_naive", "drift", "moving_average")
