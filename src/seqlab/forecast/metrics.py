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

Every metric is computed so that it is finite whenever its value fits in a float64 (RMSE is
scaled by the largest error before squaring: errors of 1e300 square to ``inf``, their RMSE does
not); where even the errors overflow (actual and forecast of opposite signs near 1.8e308) the
metric raises :class:`UndefinedMetric`, which :func:`score` records as undefined, never as
``inf``.
"""
from __future__ import annotations

import numpy as np

from seqlab.checks import check_int


class UndefinedMetric(ValueError):
    """A metric has no value for these data (MAPE with a zero actual, MASE on a constant
    training part, errors beyond the float64 range); :func:`score` records the reason."""


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


def _errors(actual, forecast, name: str) -> np.ndarray:
    """``|actual - forecast|``, refused when a difference overflows float64."""
    a, f = _pair(actual, forecast, name)
    with np.errstate(over="ignore"):
        errors = np.abs(a - f)
    if not np.all(np.isfinite(errors)):
        raise UndefinedMetric(f"{name}: undefined because an error actual - forecast overflows float64 "
                              f"(values up to {max(np.max(np.abs(a)), np.max(np.abs(f))):.3g})")
    return errors


def _mean(values: np.ndarray) -> float:
    """The mean of finite values; where their sum overflows, each is divided first."""
    with np.errstate(over="ignore"):
        mean = float(np.mean(values))
    return mean if np.isfinite(mean) else float(np.sum(values / values.size))


def mae(actual, forecast) -> float:
    """Mean absolute error.

    >>> mae([1.0, 2.0], [2.0, 4.0])
    1.5
    """
    return _mean(_errors(actual, forecast, "mae"))


def rmse(actual, forecast) -> float:
    """Root mean squared error.

    >>> rmse([0.0, 0.0], [6.0, 8.0])   # sqrt((36 + 64) / 2)
    7.0710678118654755
    """
    errors = _errors(actual, forecast, "rmse")
    largest = float(np.max(errors))
    if largest == 0:
        return 0.0
    # scaled by the largest error: squares of errors of 1e300 overflow, their RMSE does not
    return largest * float(np.sqrt(np.mean((errors / largest) ** 2)))


def mape(actual, forecast) -> float:
    """Mean absolute percentage error, in percent.

    >>> mape([100.0, 200.0], [110.0, 180.0])
    10.0
    """
    a, _ = _pair(actual, forecast, "mape")
    zeros = int(np.sum(a == 0))
    if zeros:
        raise UndefinedMetric(f"mape: undefined because `actual` holds {zeros} zero value(s); use smape or mae")
    with np.errstate(over="ignore"):
        ratios = _errors(actual, forecast, "mape") / np.abs(a)
    if not np.all(np.isfinite(ratios)):
        raise UndefinedMetric("mape: undefined because an error divided by its actual value overflows float64")
    return 100.0 * _mean(ratios)


def smape(actual, forecast) -> float:
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    >>> smape([100.0, 0.0], [300.0, 0.0])
    50.0
    """
    a, f = _pair(actual, forecast, "smape")
    errors = _errors(actual, forecast, "smape")
    # halved terms: |a| + |f| and 2|e| overflow near 1.8e308, their halves do not
    denominator = np.abs(a) / 2 + np.abs(f) / 2
    ratio = np.divide(errors, denominator, out=np.zeros_like(a), where=denominator > 0)
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
    with np.errstate(over="ignore"):
        changes = np.abs(values[season:] - values[:-season])
    scale = _mean(changes)
    if scale == 0:
        raise UndefinedMetric("naive_scale: the training values never change, so MASE is undefined")
    if not np.isfinite(scale):
        raise UndefinedMetric("naive_scale: undefined because a change of the training values overflows float64")
    return scale


def mase(actual, forecast, train, season: int = 1) -> float:
    """Mean absolute scaled error: MAE divided by :func:`naive_scale` of ``train``.

    >>> mase([3.0], [5.0], train=[1.0, 2.0, 4.0, 7.0])
    1.0
    """
    value = mae(actual, forecast) / naive_scale(train, season)
    if not np.isfinite(value):
        raise UndefinedMetric("mase: undefined because MAE / the in-sample naive MAE overflows float64")
    return value


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
        constant training part, errors beyond float64) is ``None`` and its reason is in ``result[name]["undefined"]``.
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
            except UndefinedMetric as error:
                row[metric] = None
                reasons[metric] = str(error)
        if reasons:
            row["undefined"] = reasons
        table[name] = row
    if reference in table:
        reference_mae = table[reference]["mae"]
        for row in table.values():
            defined = reference_mae is not None and reference_mae > 0 and row["mae"] is not None
            row["skill"] = skill(row["mae"], reference_mae) if defined else None
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
