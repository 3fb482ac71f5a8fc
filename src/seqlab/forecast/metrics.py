"""Forecast accuracy in the data's own units (after inverse scaling).

With actual values ``a``, forecasts ``f`` and errors ``e = a - f`` over every scored point:

- ``MAE  = mean(|e|)``, ``RMSE = sqrt(mean(e²))`` — in the data's units (dollars, kW ...).
- ``MAPE = 100 · mean(|e| / |a|)`` — undefined when an actual value is 0 (raises).
- ``sMAPE = 100 · mean(2|e| / (|a| + |f|))``, with 0/0 counted as 0 (both exactly right).
- ``MASE = MAE / mean(|y_t - y_{t-m}|)`` over the *training* part — below 1 means better than
  the in-sample (seasonal) naive forecast (Hyndman & Koehler 2006).
- ``skill = 1 - MAE_model / MAE_persistence`` — positive when the model beats persistence, 0
  when it ties, negative when it loses. MAE rather than MSE so that the skill reads on the same
  scale as MASE and the table (documented choice, see docs/forecasting.md).

Input shape: ``actual`` and ``forecast`` of the same shape (any); all points count equally.
"""
from __future__ import annotations

import numpy as np

from seqlab.checks import check_int


def _pair(actual, forecast, name: str) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if a.shape != f.shape:
        raise ValueError(f"{name}: `actual` and `forecast` must have the same shape, got {a.shape} and {f.shape}")
    if a.size == 0:
        raise ValueError(f"{name}: no points to score (empty arrays)")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(f))):
        raise ValueError(f"{name}: `actual` and `forecast` must be finite; found NaN or inf")
    return a, f


def mae(actual, forecast) -> float:
    """Mean absolute error.

    >>> mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    a, f = _pair(actual, forecast, "mae")
    return float(np.mean(np.abs(a - f)))


def rmse(actual, forecast) -> float:
    """Root mean squared error.

    >>> rmse([0.0, 0.0], [6.0, 8.0])   # sqrt((36 + 64) / 2)
    7.0710678118654755
    """
    a, f = _pair(actual, forecast, "rmse")
    return float(np.sqrt(np.mean((a - f) ** 2)))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error, in percent.

    >>> mape([100.0, 200.0], [110.0, 180.0])
    10.0
    """
    a, f = _pair(actual, forecast, "mape")
    zeros = int(np.sum(a == 0))
    if zeros:
        raise ValueError(f"mape: undefined because `actual` holds {zeros} zero value(s); use smape or mae")
    return float(100.0 * np.mean(np.abs(a - f) / np.abs(a)))


def smape(actual, forecast) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    >>> smape([100.0, 0.0], [300.0, 0.0])
    50.0
    """
    a, f = _pair(actual, forecast, "smape")
    denominator = np.abs(a) + np.abs(f)
    ratio = np.divide(2.0 * np.abs(a - f), denominator, out=np.zeros_like(a), where=denominator > 0)
    return float(100.0 * np.mean(ratio))


def naive_scale(train, season: int = 1) -> float:
    """In-sample MAE of the (seasonal) naive forecast on the training values: MASE's divisor.

    Input shape: ``train`` ``(T,)`` or ``(T, F)`` (all columns pooled).

    >>> naive_scale([1.0, 2.0, 4.0, 7.0])
    2.0
    """
    season = check_int("naive_scale", "season", season)
    values = np.asarray(train, dtype=np.float64)
    if len(values) <= season:
        raise ValueError(
            f"naive_scale: need more than `season`={season} training values, got {len(values)}"
        )
    scale = float(np.mean(np.abs(values[season:] - values[:-season])))
    if scale == 0:
        raise ValueError("naive_scale: the training values never change, so MASE is undefined")
    return scale


def mase(actual, forecast, train, season: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by :func:`naive_scale` of ``train``.

    >>> mase([3.0], [5.0], train=[1.0, 2.0, 4.0, 7.0])
    1.0
    """
    return mae(actual, forecast) / naive_scale(train, season)


def skill(model_error: float, reference_error: float) -> float:
    """``1 - model_error / reference_error``: > 0 beats the reference, < 0 loses to it.

    >>> skill(0.8, 1.0)
    0.19999999999999996
    """
    if not reference_error > 0:
        raise ValueError(f"skill: `reference_error` must be > 0, got {reference_error!r}")
    return 1.0 - float(model_error) / float(reference_error)


METRIC_NAMES = ("mae", "rmse", "mape", "smape", "mase")


def score(actual, forecasts: dict, train, season: int = 1, reference: str = "persistence") -> dict:
    """Every metric for every forecast, plus each forecast's skill against ``reference``.

    Args:
        actual: the true values, any shape; NaN marks a point that was not observed (an
            imputed value), which every forecast skips.
        forecasts: name -> forecast of the same shape (the model and the baselines).
        train: training values of the same series, for MASE's scale.
        season: MASE's seasonal lag (1: plain naive).
        reference: the forecast that skill is measured against.

    Returns:
        ``{name: {"mae": ..., "rmse": ..., "mape": ..., "smape": ..., "mase": ...,
        "skill": ...}}``; a metric that is undefined for these data (MAPE with zeros, MASE on a
        constant training part) is ``None`` and its reason is in ``result[name]["undefined"]``.
    """
    functions = {"mae": mae, "rmse": rmse, "mape": mape, "smape": smape,
                 "mase": lambda a, f: mase(a, f, train, season)}
    actual = np.asarray(actual, dtype=np.float64)
    observed = np.isfinite(actual)
    if not observed.all():
        # A NaN actual is a value nobody observed (an imputed one): no forecast is scored on it.
        actual = actual[observed]
        forecasts = {name: np.asarray(forecast)[observed] for name, forecast in forecasts.items()}
    table: dict[str, dict] = {}
    for name, forecast in forecasts.items():
        row: dict = {}
        reasons = {}
        for metric, function in functions.items():
            try:
                row[metric] = function(actual, forecast)
            except ValueError as error:
                if metric not in ("mape", "mase"):
                    raise
                row[metric] = None
                reasons[metric] = str(error)
        if reasons:
            row["undefined"] = reasons
        table[name] = row
    if reference in table:
        reference_mae = table[reference]["mae"]
        for row in table.values():
            row["skill"] = skill(row["mae"], reference_mae) if reference_mae > 0 else None
    return table


def score_by_target(actual, forecasts: dict, train, target_names, season: int = 1,
                    reference: str = "persistence") -> dict:
    """:func:`score` for each target column separately (different columns, different units).

    Input shape: ``actual`` and each forecast ``(..., n_targets)``; ``train`` ``(T, n_targets)``.

    Returns:
        ``{target_name: score(...)}``.
    """
    actual = np.asarray(actual, dtype=np.float64)
    train = np.asarray(train, dtype=np.float64)
    if actual.shape[-1] != len(target_names) or train.shape[-1] != len(target_names):
        raise ValueError(
            f"score_by_target: {len(target_names)} target names but actual has "
            f"{actual.shape[-1]} and train {train.shape[-1]} columns"
        )
    return {
        name: score(actual[..., j], {k: np.asarray(v)[..., j] for k, v in forecasts.items()},
                    train[:, j], season=season, reference=reference)
        for j, name in enumerate(target_names)
    }
