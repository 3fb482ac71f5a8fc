"""A complete ReportData built from small synthetic arrays (no training needed)."""
import numpy as np
import pandas as pd
import pytest

from seqlab.forecast import WindowSpec, all_baselines, score_by_target
from seqlab.report import ReportData


@pytest.fixture
def report_data():
    rng = np.random.default_rng(0)
    index = pd.bdate_range("2021-01-01", periods=120, name="date")
    close = 50 + rng.normal(size=120).cumsum()
    series = pd.DataFrame({"close": close}, index=index)
    spec = WindowSpec(look_back=5)
    origins = np.arange(95, 119)
    actual = close[origins + 1][:, None, None]
    forecasts = {"model": actual + rng.normal(scale=2.0, size=actual.shape)}
    forecasts.update(all_baselines(close[:, None], spec, origins, season=5))
    metrics = score_by_target(actual, forecasts, close[:84, None], ["close"])
    predictions = pd.DataFrame({"time": index[origins + 1].strftime("%Y-%m-%d"), "actual": actual.ravel(),
                                **{name: values.ravel() for name, values in forecasts.items()}})
    history = pd.DataFrame({"loss": [0.5, 0.3, 0.2, 0.15], "val_loss": [0.6, 0.4, 0.35, 0.36]})
    panels = {"input gate": rng.uniform(size=(5, 4)), "forget gate": rng.uniform(size=(5, 4)),
              "cell": rng.normal(size=(5, 4)) * 3, "hidden": np.tanh(rng.normal(size=(5, 4)))}
    fold_metrics = [score_by_target(actual[i::3], {k: v[i::3] for k, v in forecasts.items()},
                                    close[:84, None], ["close"]) for i in range(3)]
    return ReportData(
        title="tiny <report> & test",
        description="A synthetic report for the tests.",
        series=series,
        bounds={"train": (0, 84), "validation": (84, 96), "test": (96, 120)},
        predictions=predictions,
        metrics=metrics,
        data_description="synthetic random walk",
        data_notes=["filled 2 missing values with the previous value (data.missing = 'ffill')"],
        history=history,
        labels={"seasonal_naive": "seasonal naive (season 5)"},
        settings={"look_back": 5, "horizon": 1},
        backtest={"mode": "expanding", "refit": False,
                  "folds": [{"train": [0, 96 + 8 * i], "test": [96 + 8 * i, 104 + 8 * i]} for i in range(3)],
                  "fold_metrics": fold_metrics, "metrics": metrics},
        model_summary='Model: "tiny"\nTotal params: 4,385',
        trace={"window": "the test window ending 2021-06-17", "steps": [str(d.date()) for d in index[:5]],
               "layers": {"lstm": panels}},
        spec_text='name = "tiny"\n',
    )
