"""Walk-forward backtests: fold layout, no leakage through the scalers, baselines on the same windows."""
import numpy as np
import pytest
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from seqlab.forecast import WindowSpec, backtest, persistence, prepare_fold, scale, walk_forward


def test_expanding_and_sliding_folds():
    expanding = walk_forward(100, n_folds=3, test_size=10)
    assert [(f.train_start, f.origin, f.test_end) for f in expanding] == [(0, 70, 80), (0, 80, 90), (0, 90, 100)]
    sliding = walk_forward(100, n_folds=3, test_size=10, mode="sliding", train_size=50)
    assert [(f.train_start, f.origin, f.test_end) for f in sliding] == [(20, 70, 80), (30, 80, 90), (40, 90, 100)]


def test_walk_forward_errors_name_the_problem():
    with pytest.raises(ValueError, match="3 folds of 40 test rows need more than 120 rows, the series has 100"):
        walk_forward(100, 3, 40)
    with pytest.raises(ValueError, match="`train_size` must be between 1 and 70"):
        walk_forward(100, 3, 10, mode="sliding", train_size=80)
    with pytest.raises(ValueError, match="`mode` must be 'expanding' or 'sliding', got 'rolling'"):
        walk_forward(100, 3, 10, mode="rolling")


@pytest.mark.parametrize("make_scaler", [MinMaxScaler, StandardScaler])
@pytest.mark.parametrize("mode", ["expanding", "sliding"])
def test_scaler_statistics_come_from_the_fold_training_rows_only(make_scaler, mode):
    rng = np.random.default_rng(3)
    # a trending series: any look at later rows would change the statistics
    series = (np.arange(300.0) + rng.normal(size=300).cumsum())[:, None]
    spec = WindowSpec(look_back=5)
    for fold in walk_forward(300, 4, 25, mode=mode, train_size=120):
        data = prepare_fold(series, series, spec, fold, make_scaler)
        reference = make_scaler().fit(series[fold.train_start:fold.origin])
        for scaler in (data.x_scaler, data.y_scaler):
            scaler = scaler.transformers_[0]  # a SeriesScaler: one fitted transformer per column
            for attribute in ("data_min_", "data_max_", "mean_", "var_"):
                if hasattr(reference, attribute):
                    np.testing.assert_array_equal(getattr(scaler, attribute), getattr(reference, attribute))
        # and the training targets never reach the fold's test rows
        train_rows = data.y_train.shape[0]
        last_target = fold.train_start + spec.look_back - 1 + train_rows  # origin of last window + 1
        assert last_target <= fold.origin


def test_backtest_scores_the_model_and_baselines_on_the_same_windows():
    series = np.sin(np.arange(240) / 5.0)[:, None] * 10 + 50
    spec = WindowSpec(look_back=6, horizon=2)
    folds = walk_forward(240, 3, 20)
    seen = []

    def last_value_model(fold):  # a "model" that is persistence, in scaled space
        seen.append(fold.fold.index)
        return np.repeat(fold.x_test[:, -1:, :], 2, axis=1)

    result = backtest(series, series, spec, folds, MinMaxScaler, last_value_model, ["y"], season=31)
    assert seen == [0, 1, 2]
    expected = persistence(series, spec, result.origins)
    np.testing.assert_allclose(result.forecasts["model"], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result.forecasts["persistence"], expected, rtol=0, atol=1e-12)
    assert result.metrics["y"]["model"]["mae"] == pytest.approx(result.metrics["y"]["persistence"]["mae"], abs=1e-10)
    assert result.metrics["y"]["model"]["skill"] == pytest.approx(0.0, abs=1e-9)
    assert len(result.fold_metrics) == 3
    # every targeted row of every fold lies in that fold's test block
    assert result.actual.shape == (3 * (20 - 2 + 1), 2, 1)


def test_scale_round_trips_any_rank():
    scaler = MinMaxScaler().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    values = np.random.default_rng(0).normal(size=(4, 3, 2))
    np.testing.assert_allclose(scale(scaler, scale(scaler, values), inverse=True), values, rtol=0, atol=1e-12)
