"""Step 2 of a run: split in time order, scale from the train part only, cut the windows.

The split comes from :func:`seqlab.data.chronological_split` (the notes' 70/15/15 rounding, or
dates), and the scaling is the library's own :class:`seqlab.data.SeriesScaler` fitted on that
split's train part: what a user writes with the public API gives the run's very numbers. Each part's windows are those whose *targets* fall in the part; their inputs may read
the rows just before it, which are the past, not a leak — so every row of the test part is
forecast (the notes' per-part ``createSeq`` would skip the first ``look_back + foresight``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from seqlab.data import SeriesScaler, Split, chronological_split
from seqlab.experiment.errors import spec_error
from seqlab.experiment.spec import Spec
from seqlab.forecast.backtest import scale
from seqlab.forecast.baselines import seasonal_naive
from seqlab.forecast.windows import WindowSpec, gather_inputs, gather_targets, window_origins


def make_transformer(spec: Spec):
    """A new, unfitted scikit-learn transformer of one column, as the spec's ``scaling`` says."""
    method = spec.scaling.method
    if method == "minmax":
        return MinMaxScaler(feature_range=tuple(spec.scaling.feature_range))
    if method == "standard":
        return StandardScaler()
    if method == "robust":
        return RobustScaler()
    return FunctionTransformer(validate=True, check_inverse=False)  # "none": the identity, kept explicit


def make_scaler(spec: Spec) -> SeriesScaler:
    """A new, unfitted :class:`~seqlab.data.SeriesScaler` of the spec's transformer."""
    return SeriesScaler(make_transformer(spec))


def window_spec(spec: Spec) -> WindowSpec:
    w = spec.windows
    return WindowSpec(look_back=w.look_back, horizon=w.horizon, foresight=w.foresight, stride=w.stride)


@dataclass
class Prepared:
    """The scaled windows of each part, plus what is needed to go back to the data's units.

    Shapes: ``x_*`` ``(N, look_back, n_inputs)``; ``y_*`` ``(N, horizon, n_targets)`` scaled;
    ``actual`` ``(N_test, horizon, n_targets)`` in the data's units.
    """

    frame: pd.DataFrame
    inputs: np.ndarray
    targets: np.ndarray
    bounds: dict
    windows: WindowSpec
    x_scaler: object
    y_scaler: object
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    actual: np.ndarray
    test_origins: np.ndarray
    observed_targets: np.ndarray | None = None  # ``targets`` with imputed values as NaN


def split_rows(spec: Spec, frame: pd.DataFrame) -> Split:
    """The spec's split of ``frame``'s rows (``SpecError`` on the key ``split``); no size checks."""
    s = spec.split
    try:
        if s.test_start is not None:
            return chronological_split(frame, val_start=s.validation_start, test_start=s.test_start)
        return chronological_split(frame, train=s.train, val=s.validation, test=s.test)
    except (TypeError, ValueError) as error:
        raise spec_error(spec, "split", str(error)) from None


def _bounds(split: Split) -> dict:
    return {"train": (0, split.train_end), "validation": (split.train_end, split.val_end),
            "test": (split.val_end, len(split))}


def split_bounds(spec: Spec, frame: pd.DataFrame) -> dict:
    """``{"train": (0, a), "validation": (a, b), "test": (b, n)}`` as row positions, each part
    checked against the windows and the evaluation (``SpecError`` naming the key to change)."""
    bounds = _bounds(split_rows(spec, frame))
    _check_sizes(spec, bounds)
    return bounds


def _check_sizes(spec: Spec, bounds: dict) -> None:
    windows = window_spec(spec)
    train = bounds["train"][1]
    if train < windows.span:
        raise spec_error(
            spec, "windows.look_back",
            f"a window spans look_back + foresight + horizon = {windows.look_back} + {windows.foresight} + "
            f"{windows.horizon} = {windows.span} rows, longer than the train part ({train} rows); "
            "lower windows.look_back or give the train part more rows")
    by_date = spec.split.test_start is not None
    for part, key in (("validation", "split.validation_start" if by_date else "split.validation"),
                      ("test", "split.test_start" if by_date else "split.test")):
        start, stop = bounds[part]
        if stop - start == 0 and part == "test":
            raise spec_error(spec, key, "the test part is empty; nothing would be evaluated")
        if 0 < stop - start < windows.horizon:
            raise spec_error(spec, key, f"the {part} part has {stop - start} rows, fewer than "
                                        f"windows.horizon = {windows.horizon}")
    _check_season(spec, windows, bounds["test"])


def _check_season(spec: Spec, windows, test_bounds) -> None:
    # Found before training, not after it: the seasonal naive forecast of the first test window
    # needs a whole season of history.
    origins = window_origins(windows, *test_bounds)
    if "seasonal_naive" not in spec.evaluation.baselines or len(origins) == 0:
        return
    try:
        seasonal_naive(np.zeros(test_bounds[1]), windows, origins[:1], spec.evaluation.season)
    except ValueError as error:
        raise spec_error(spec, "evaluation.season",
                         f"{error} (the first test window ends at row {origins[0]}); lower evaluation.season, "
                         "give the data more rows before the test part, or leave 'seasonal_naive' out of "
                         "evaluation.baselines") from None


def prepare(spec: Spec, frame: pd.DataFrame, imputed: pd.DataFrame | None = None,
            split: Split | None = None) -> Prepared:
    """Split, fit the scalers on the train rows only, and cut every part's windows.

    ``imputed`` (True where a value was filled in) marks test targets nobody observed: they
    stay NaN in ``actual``, so no forecast is scored on a made-up value.

    ``split``: the spec's split of the whole series (:func:`split_rows`), given when ``frame``
    holds only its first ``split.val_end`` rows — the train and validation parts, all a trial
    of ``seqlab tune`` is handed: then no test row exists to be read, and the test windows are
    empty.
    """
    split = split_rows(spec, frame) if split is None else split
    bounds = _bounds(split)
    _check_sizes(spec, bounds)
    if len(frame) not in (len(split), split.val_end):
        raise ValueError(f"prepare: `frame` has {len(frame)} rows; expected the {len(split)} rows of `split` "
                         f"or its first {split.val_end} (train and validation)")
    windows = window_spec(spec)
    inputs = frame[spec.inputs].to_numpy(np.float64)
    targets = frame[spec.targets].to_numpy(np.float64)
    train_end, val_end = bounds["train"][1], bounds["validation"][1]
    # Fitted on the train part of the split, so no row past it can reach the statistics.
    rows = Split(frame, train_end, val_end)
    x_scaler = make_scaler(spec).fit(rows.with_data(inputs))
    y_scaler = make_scaler(spec).fit(rows.with_data(targets))
    x_scaled, y_scaled = scale(x_scaler, inputs), scale(y_scaler, targets)
    observed = targets if imputed is None else np.where(imputed[spec.targets].to_numpy(), np.nan, targets)

    train = window_origins(windows, 0, train_end, stride=windows.stride)
    val = window_origins(windows, train_end, val_end)
    test = window_origins(windows, val_end, len(frame))
    return Prepared(
        frame, inputs, targets, bounds, windows, x_scaler, y_scaler,
        x_train=gather_inputs(x_scaled, windows, train), y_train=gather_targets(y_scaled, windows, train),
        x_val=gather_inputs(x_scaled, windows, val) if len(val) else None,
        y_val=gather_targets(y_scaled, windows, val) if len(val) else None,
        x_test=gather_inputs(x_scaled, windows, test), actual=gather_targets(observed, windows, test),
        test_origins=test, observed_targets=observed,
    )
