"""Metrics against values computed by hand (and a float64 NumPy reference)."""
import numpy as np
import pytest

from seqlab.forecast import mae, mape, mase, naive_scale, rmse, score, score_by_target, skill, smape

A = np.array([100.0, 110.0, 120.0, 130.0])
F = np.array([102.0, 107.0, 120.0, 126.0])  # errors: -2, 3, 0, 4


def test_mae_rmse_by_hand():
    assert mae(A, F) == pytest.approx((2 + 3 + 0 + 4) / 4, abs=1e-12)
    assert rmse(A, F) == pytest.approx(np.sqrt((4 + 9 + 0 + 16) / 4), abs=1e-12)


def test_mape_smape_by_hand():
    expected_mape = 100 * (2 / 100 + 3 / 110 + 0 + 4 / 130) / 4
    expected_smape = 100 * (2 * 2 / 202 + 2 * 3 / 217 + 0 + 2 * 4 / 256) / 4
    assert mape(A, F) == pytest.approx(expected_mape, abs=1e-12)
    assert smape(A, F) == pytest.approx(expected_smape, abs=1e-12)


def test_mape_refuses_zero_actuals_and_smape_counts_exact_zeros_as_zero():
    with pytest.raises(ValueError, match="mape: undefined because `actual` holds 1 zero value"):
        mape([0.0, 1.0], [1.0, 1.0])
    assert smape([0.0, 2.0], [0.0, 2.0]) == 0.0


def test_mase_scales_by_the_in_sample_naive_error():
    train = np.array([1.0, 3.0, 2.0, 6.0])  # |diffs| 2, 1, 4 -> mean 7/3
    assert naive_scale(train) == pytest.approx(7 / 3, abs=1e-12)
    assert mase(A, F, train) == pytest.approx((9 / 4) / (7 / 3), abs=1e-12)
    # seasonal lag 2: |2-1|, |6-3| -> mean 2
    assert naive_scale(train, season=2) == pytest.approx(2.0, abs=1e-12)


def test_mase_of_persistence_on_its_own_training_data_is_one():
    rng = np.random.default_rng(1)
    y = rng.normal(size=300).cumsum()
    assert mase(y[1:], y[:-1], y) == pytest.approx(1.0, abs=1e-12)


def test_naive_scale_refuses_constant_or_short_training_data():
    with pytest.raises(ValueError, match="never change"):
        naive_scale([5.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="need more than `season`=3 training values, got 2"):
        naive_scale([1.0, 2.0], season=3)


def test_skill_against_persistence():
    assert skill(0.75, 1.0) == pytest.approx(0.25)
    assert skill(1.5, 1.0) == pytest.approx(-0.5)
    with pytest.raises(ValueError, match="`reference_error` must be > 0"):
        skill(1.0, 0.0)


def test_shape_mismatch_and_nan_are_refused():
    with pytest.raises(ValueError, match="same shape, got \\(2,\\) and \\(3,\\)"):
        mae([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="must be finite"):
        rmse([1.0, np.nan], [1.0, 2.0])


def test_score_table_with_skill_and_undefined_metrics():
    actual = np.array([0.0, 2.0, 4.0])
    table = score(actual, {"model": np.array([1.0, 2.0, 4.0]), "persistence": np.array([2.0, 0.0, 2.0])},
                  train=np.array([0.0, 1.0, 3.0]))
    assert table["model"]["mae"] == pytest.approx(1 / 3)
    assert table["persistence"]["mae"] == pytest.approx(2.0)
    assert table["model"]["skill"] == pytest.approx(1 - (1 / 3) / 2)
    assert table["persistence"]["skill"] == 0.0
    assert table["model"]["mape"] is None and "zero value" in table["model"]["undefined"]["mape"]


def test_score_by_target_scores_each_column_in_its_own_units():
    actual = np.stack([A, 1000 * A], axis=-1)[:, None, :]  # (4, 1, 2)
    forecasts = {"model": np.stack([F, 1000 * F], axis=-1)[:, None, :],
                 "persistence": np.stack([A - 1, 1000 * (A - 1)], axis=-1)[:, None, :]}
    train = np.stack([A, 1000 * A], axis=-1)
    table = score_by_target(actual, forecasts, train, ["small", "big"])
    assert table["big"]["model"]["mae"] == pytest.approx(1000 * table["small"]["model"]["mae"])
    assert table["big"]["model"]["mase"] == pytest.approx(table["small"]["model"]["mase"])
