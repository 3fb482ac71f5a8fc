"""Values near the float64 range (issue 15, finding 8): metrics stay finite where their value
fits, say "undefined" where it does not, and an overflowed value is never marked best."""
import decimal
import math
import warnings

import numpy as np
import pytest

from seqlab.forecast.metrics import UndefinedMetric, mae, mape, mase, rmse, score, smape
from seqlab.forecast.summary import beats_all, best_values, format_number, text_table, verdicts


def _decimal_rmse(actual, forecast) -> float:
    # the reference in exact decimal arithmetic, where (1e300)^2 is an ordinary number
    with decimal.localcontext() as context:
        context.prec = 40
        errors = [decimal.Decimal(float(a)) - decimal.Decimal(float(f)) for a, f in zip(actual, forecast)]
        return float((sum(e * e for e in errors) / len(errors)).sqrt())


def test_metrics_of_values_near_1e300_are_finite_and_match_exact_arithmetic():
    rng = np.random.default_rng(0)
    actual = 1e300 * (1 + rng.normal(size=50))
    forecast = 1e300 * (1 + rng.normal(size=50))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning on the way either
        got = rmse(actual, forecast), mae(actual, forecast), smape(actual, forecast), mape(actual, forecast)
    assert got[0] == pytest.approx(_decimal_rmse(actual, forecast), rel=1e-12)
    errors = np.abs(actual - forecast)  # finite here: only their squares overflow
    assert got[1] == pytest.approx(float(sum(decimal.Decimal(float(e)) for e in errors) / 50), rel=1e-12)
    assert got[2] == pytest.approx(100 * np.mean(2 * errors / (np.abs(actual) + np.abs(forecast))), rel=1e-12)
    assert got[3] == pytest.approx(100 * np.mean(errors / np.abs(actual)), rel=1e-12)


def test_small_values_keep_their_exact_numbers():
    assert rmse([0.0, 0.0], [6.0, 8.0]) == math.sqrt(50.0)
    assert mae([1.0, 2.0], [2.0, 4.0]) == 1.5


def test_errors_beyond_float64_make_the_metric_undefined_never_inf():
    actual, forecast = np.array([1.7e308, 1.0]), np.array([-1.7e308, 1.0])
    for metric in (mae, rmse, smape):
        with pytest.raises(UndefinedMetric, match=rf"{metric.__name__}: undefined because an error actual - "
                                                  r"forecast overflows float64 \(values up to 1.7e\+308\)"):
            metric(actual, forecast)
    with pytest.raises(UndefinedMetric, match="mase: undefined because MAE / the in-sample naive MAE overflows"):
        mase([1e308], [-1e308 / 2], train=[0.0, 1e-10, 0.0])
    table = score(actual, {"model": forecast, "persistence": np.array([1.7e308, 2.0])}, train=[0.0, 1.0, 3.0])
    assert table["model"]["mae"] is None and table["model"]["rmse"] is None
    assert "overflows float64" in table["model"]["undefined"]["rmse"]
    assert table["model"]["skill"] is None and table["persistence"]["mae"] == 0.5


def test_an_undefined_or_infinite_value_is_never_marked_best():
    table = {"model": {"mae": None, "rmse": math.inf}, "persistence": {"mae": 2.0, "rmse": math.inf},
             "drift": {"mae": 3.0, "rmse": 4.0}}
    assert best_values(table.values(), ["mae", "rmse"]) == {"mae": 2.0, "rmse": 4.0}
    lines = text_table(table, metrics=("mae", "rmse")).splitlines()
    assert lines[1].split() == ["model", "n/a", "inf"]
    assert lines[2].split() == ["persistence", "2*", "inf"]
    assert lines[3].split() == ["drift", "3", "4*"]


def test_huge_numbers_print_in_scientific_notation_not_300_digits():
    assert format_number(8.129e298) == "8.129e+298"
    assert format_number(123456.7) == "123,457" and format_number(9.99e14) == "999,000,000,000,000"
    assert format_number(1e15) == "1e+15"


def test_verdicts_say_when_the_models_mae_is_undefined():
    metrics = {"y": {"model": {"mae": None, "undefined": {"mae": "mae: undefined because ..."}},
                     "persistence": {"mae": 1.0}}}
    assert verdicts(metrics) == ["y: the model's MAE is undefined (mae: undefined because ...); it beats no baseline."]
    assert beats_all(metrics) is False
