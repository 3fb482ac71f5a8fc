"""Honest forecasts: naive baselines, metrics in the data's units, walk-forward backtests and
recursive multi-step forecasts.

>>> import numpy as np
>>> from seqlab.forecast import WindowSpec, persistence, mae
>>> spec = WindowSpec(look_back=2)
>>> mae([3.0, 4.0], persistence([1.0, 2.0, 3.0, 4.0], spec, [1, 2])[:, 0])
1.0
"""
from seqlab.forecast.backtest import BacktestResult, Fold, FoldData, backtest, prepare_fold, scale, walk_forward
from seqlab.forecast.baselines import (
    BASELINE_NAMES, all_baselines, drift, moving_average, persistence, seasonal_naive,
)
from seqlab.forecast.metrics import (
    METRIC_NAMES, mae, mape, mase, naive_scale, rmse, score, score_by_target, skill, smape,
)
from seqlab.forecast.recursive import recursive_forecast
from seqlab.forecast.summary import MetricTable
from seqlab.forecast.windows import WindowSpec, gather_inputs, gather_targets, target_rows, window_origins

__all__ = [
    "BASELINE_NAMES", "METRIC_NAMES", "BacktestResult", "MetricTable", "Fold", "FoldData", "WindowSpec", "all_baselines",
    "backtest", "drift", "gather_inputs", "gather_targets", "mae", "mape", "mase", "moving_average",
    "naive_scale", "persistence", "prepare_fold", "recursive_forecast", "rmse", "scale", "score",
    "score_by_target", "seasonal_naive", "skill", "smape", "target_rows", "walk_forward", "window_origins",
]
