"""Walk-forward backtesting: N forecast origins, each fold scaled from its own past only.

The last ``n_folds × test_size`` rows are cut into consecutive test blocks. Fold ``k``
trains on the rows before its block — all of them (``expanding``) or the latest
``train_size`` (``sliding``) — and is scored on its block. Everything learnt from data (the
scalers' statistics, and the model's weights when it is refitted) comes from the fold's
training rows only, so no fold ever sees its own future; the baselines are scored on the very
same windows, in the data's units.

::

    expanding   [==train==][test0]
                [=====train=====][test1]
    sliding     [==train==][test0]
                      [==train==][test1]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from seqlab.checks import check_choice, check_int
from seqlab.data import SeriesScaler, Split
from seqlab.forecast import baselines as _baselines
from seqlab.forecast.metrics import score_by_target
from seqlab.forecast.windows import WindowSpec, gather_inputs, gather_targets, window_origins


@dataclass(frozen=True)
class Fold:
    """Rows ``[train_start, origin)`` train; targets in rows ``[origin, test_end)`` are scored."""

    index: int
    train_start: int
    origin: int
    test_end: int


def walk_forward(n_rows: int, n_folds: int, test_size: int, mode: str = "expanding",
                 train_size: int | None = None) -> list[Fold]:
    """The folds of a walk-forward backtest.

    Args:
        n_rows: rows in the series.
        n_folds: number of forecast origins (>= 1).
        test_size: rows scored per fold (>= 1).
        mode: ``"expanding"`` (train from row 0) or ``"sliding"`` (the latest ``train_size`` rows).
        train_size: training rows per fold in ``sliding`` mode; defaults to the rows before the
            first test block, so the first fold is the same in both modes.

    >>> [(f.train_start, f.origin, f.test_end) for f in walk_forward(10, 2, 2, "sliding")]
    [(0, 6, 8), (2, 8, 10)]
    """
    n_rows, n_folds, test_size = (check_int("walk_forward", name, value) for name, value in
                                  (("n_rows", n_rows), ("n_folds", n_folds), ("test_size", test_size)))
    check_choice("walk_forward", "mode", mode, ("expanding", "sliding"))
    first_origin = n_rows - n_folds * test_size
    if first_origin < 1:
        raise ValueError(
            f"walk_forward: {n_folds} folds of {test_size} test rows need more than "
            f"{n_folds * test_size} rows, the series has {n_rows}"
        )
    if train_size is None:
        train_size = first_origin
    if mode == "sliding" and not 1 <= train_size <= first_origin:
        raise ValueError(
            f"walk_forward: `train_size` must be between 1 and {first_origin} (the rows before "
            f"the first test block), got {train_size}"
        )
    folds = []
    for k in range(n_folds):
        origin = first_origin + k * test_size
        start = 0 if mode == "expanding" else origin - train_size
        folds.append(Fold(k, start, origin, origin + test_size))
    return folds


@dataclass
class FoldData:
    """One fold, prepared: scalers (:class:`~seqlab.data.SeriesScaler`) fitted on its training
    rows, windows cut and scaled.

    Shapes: ``x_*`` ``(N, look_back, n_inputs)``, ``y_train`` ``(N, horizon, n_targets)``
    (scaled), ``actual`` ``(M, horizon, n_targets)`` in the data's units.
    """

    fold: Fold
    x_scaler: object
    y_scaler: object
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    actual: np.ndarray
    test_origins: np.ndarray


def scale(scaler, values: np.ndarray, inverse: bool = False) -> np.ndarray:
    """Apply a fitted 2-D scaler to an array of any rank whose last axis is the features."""
    flat = np.asarray(values).reshape(-1, np.shape(values)[-1])
    out = scaler.inverse_transform(flat) if inverse else scaler.transform(flat)
    return np.asarray(out, dtype=np.float64).reshape(np.shape(values))


def prepare_fold(inputs, targets, spec: WindowSpec, fold: Fold, make_scaler: Callable[[], object],
                 scalers: tuple | None = None, observed_targets=None) -> FoldData:
    """Fit fresh scalers on the fold's training rows only, then cut and scale its windows.

    ``make_scaler()`` returns an unfitted transformer of one column (``MinMaxScaler`` ...); each
    fold fits a :class:`~seqlab.data.SeriesScaler` of it on a split of the fold's rows whose
    train part is ``[train_start, origin)``, so the fold's test rows cannot reach it.
    ``scalers`` (``(x_scaler, y_scaler)``, already fitted) replaces the fresh ones: a model that
    is not refitted must see its inputs scaled exactly as in its training. ``observed_targets``
    (``targets`` with NaN where a value was imputed) gives the actual values to score.

    Input shape: ``inputs`` ``(T, n_inputs)``, ``targets`` ``(T, n_targets)`` in the data's units.
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if scalers is not None:
        x_scaler, y_scaler = scalers
    else:
        x_scaler = SeriesScaler(make_scaler()).fit(_fold_split(inputs, fold))
        y_scaler = SeriesScaler(make_scaler()).fit(_fold_split(targets, fold))
    train_origins = window_origins(spec, fold.train_start, fold.origin, fold.train_start, spec.stride)
    test_origins = window_origins(spec, fold.origin, fold.test_end, fold.train_start)
    if len(train_origins) == 0 or len(test_origins) == 0:
        raise ValueError(
            f"backtest fold {fold.index}: rows {fold.train_start}..{fold.origin - 1} (train) and "
            f"{fold.origin}..{fold.test_end - 1} (test) are too short for windows of "
            f"{spec.span} rows (look_back + foresight + horizon)"
        )
    x_scaled = scale(x_scaler, inputs)
    y_scaled = scale(y_scaler, targets)
    return FoldData(
        fold, x_scaler, y_scaler,
        x_train=gather_inputs(x_scaled, spec, train_origins),
        y_train=gather_targets(y_scaled, spec, train_origins),
        x_test=gather_inputs(x_scaled, spec, test_origins),
        actual=gather_targets(targets if observed_targets is None else observed_targets, spec, test_origins),
        test_origins=test_origins,
    )


def _fold_split(values: np.ndarray, fold: Fold) -> Split:
    """The fold's rows as a Split whose train part is the fold's training rows."""
    rows = fold.origin - fold.train_start
    return Split(values[fold.train_start:fold.test_end], rows, rows)


@dataclass
class BacktestResult:
    """Per-fold and pooled scores; ``forecasts[name]`` is ``(M, horizon, n_targets)`` over all folds."""

    folds: list[Fold]
    fold_metrics: list[dict]
    metrics: dict
    origins: np.ndarray
    actual: np.ndarray
    forecasts: dict = field(default_factory=dict)
    scalers: list = field(default_factory=list)


def backtest(inputs, targets, spec: WindowSpec, folds: list[Fold], make_scaler: Callable[[], object],
             fit_predict: Callable[[FoldData], np.ndarray], target_names, baselines=_baselines.BASELINE_NAMES,
             season: int | None = None, mase_season: int = 1, progress: bool = False,
             window: int | None = None, fixed_scalers: tuple | None = None,
             observed_targets=None) -> BacktestResult:
    """Run a walk-forward backtest of a model and the baselines.

    Args:
        inputs: ``(T, n_inputs)`` and ``targets``: ``(T, n_targets)``, in the data's units.
        spec: the windows.
        folds: from :func:`walk_forward`.
        make_scaler: returns a new, unfitted transformer of one column (``fit``/``transform``/
            ``inverse_transform``); each fold scales with a ``SeriesScaler`` of it.
        fit_predict: given a :class:`FoldData`, returns the model's *scaled* forecasts for
            ``x_test``, shape ``(M, horizon, n_targets)``; it refits the model on
            ``x_train``/``y_train`` or reuses one trained on earlier rows only.
        target_names: names of the target columns (keys of the metrics).
        baselines: which naive forecasts to score beside the model.
        season: the seasonal naive baseline's season.
        window: the moving-average baseline's window (default: ``spec.look_back``).
        fixed_scalers: fitted ``(x_scaler, y_scaler)`` to use in every fold instead of fresh ones
            (for a model trained once and not refitted: it must see its own scaling).
        observed_targets: ``targets`` with NaN where a value was imputed; those are not scored.
        mase_season: MASE's in-sample lag.
        progress: show a progress bar over the folds.

    Returns:
        A :class:`BacktestResult`; ``metrics`` pools every fold's points.
    """
    targets = np.asarray(targets, dtype=np.float64)
    iterator = folds
    if progress:
        iterator = tqdm(folds, desc="backtest", unit="fold")
    fold_metrics, origins, actuals, scalers = [], [], [], []
    pooled: dict[str, list] = {}
    for fold in iterator:
        data = prepare_fold(inputs, targets, spec, fold, make_scaler, fixed_scalers, observed_targets)
        predicted = scale(data.y_scaler, np.asarray(fit_predict(data)).reshape(data.actual.shape), inverse=True)
        forecasts = {"model": predicted}
        forecasts.update(_baselines.all_baselines(targets, spec, data.test_origins, season=season, window=window,
                                                  names=baselines))
        train = targets[fold.train_start:fold.origin]
        fold_metrics.append(score_by_target(data.actual, forecasts, train, target_names, mase_season))
        origins.append(data.test_origins)
        actuals.append(data.actual)
        scalers.append((data.x_scaler, data.y_scaler))
        for name, values in forecasts.items():
            pooled.setdefault(name, []).append(values)
    forecasts = {name: np.concatenate(parts) for name, parts in pooled.items()}
    actual = np.concatenate(actuals)
    # MASE of the pooled points is scaled by the first fold's training rows (the shortest past).
    train = targets[folds[0].train_start:folds[0].origin]
    metrics = score_by_target(actual, forecasts, train, target_names, mase_season)
    return BacktestResult(list(folds), fold_metrics, metrics, np.concatenate(origins), actual, forecasts, scalers)


__all__ = ["Fold", "FoldData", "BacktestResult", "walk_forward", "prepare_fold", "backtest", "scale"]
