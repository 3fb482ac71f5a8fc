"""End to end on small real data: the run folder, honest metrics, no leak, recursive forecasts."""
import json

import numpy as np
import pandas as pd
import pytest

from seqlab.experiment import SpecError, load_spec
from seqlab.experiment.artifacts import scaler_from_dict
from seqlab.experiment.predict import predict_file
from seqlab.experiment.runner import run_experiment
from seqlab.forecast import mae

RUN_FILES = {"status.json", "spec.toml", "data.csv", "scalers.json", "summary.txt", "history.csv",
             "model.seqlab", "predictions.csv", "metrics.json", "trace.npz", "report.html"}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, make_spec):
    """One tiny LSTM run on ~190 bundled AAPL closes, shared by the tests below."""
    folder = tmp_path_factory.mktemp("tiny")
    spec_path = make_spec(folder / "tiny.toml", start="2012-06-01", look_back=5, hidden_layers=[{"type": "LSTM", "units": 4}],
                          training={"epochs": 2, "batch_size": 32, "seed": 1}, evaluation={"backtest": {"folds": 2}})
    return run_experiment(load_spec(spec_path), runs_dir=folder / "runs", quiet=True)


def test_the_run_folder_holds_every_file_and_succeeded(tiny_run):
    import os

    assert RUN_FILES <= set(os.listdir(tiny_run.run.path))
    assert tiny_run.run.status()["state"] == "succeeded"
    assert tiny_run.run.status()["seed"] == 1


def test_baseline_metrics_in_the_data_units_match_a_hand_computation(tiny_run):
    run = tiny_run.run
    data = pd.read_csv(run.file("data.csv"), index_col=0)
    metrics = json.load(open(run.file("metrics.json")))
    test_start, n = metrics["data"]["bounds"]["test"]
    close = data["close"].to_numpy()
    # persistence for row t is row t - 1; every test row is forecast
    expected = np.mean(np.abs(close[test_start:n] - close[test_start - 1:n - 1]))
    assert metrics["test"]["close"]["persistence"]["mae"] == pytest.approx(expected, abs=1e-9)
    predictions = pd.read_csv(run.file("predictions.csv"))
    assert list(predictions.columns) == ["time", "actual", "model", "persistence", "seasonal_naive", "drift",
                                         "moving_average"]
    assert len(predictions) == n - test_start
    assert metrics["test"]["close"]["model"]["mae"] == pytest.approx(mae(predictions["actual"], predictions["model"]), abs=1e-9)
    skill = 1 - metrics["test"]["close"]["model"]["mae"] / expected
    assert metrics["test"]["close"]["model"]["skill"] == pytest.approx(skill, abs=1e-12)


def test_the_scaler_saw_the_train_part_only(tiny_run):
    run = tiny_run.run
    data = pd.read_csv(run.file("data.csv"), index_col=0)
    train_end = json.load(open(run.file("metrics.json")))["data"]["bounds"]["train"][1]
    scaler = scaler_from_dict(json.load(open(run.file("scalers.json")))["targets"])
    assert scaler.n_train_ == train_end
    column = scaler.transformers_[0]  # a SeriesScaler: one fitted transformer per column
    assert column.data_min_[0] == data["close"].iloc[:train_end].min()
    assert column.data_max_[0] == data["close"].iloc[:train_end].max()
    assert column.data_min_[0] > data["close"].min()  # the test rows (lower prices) would have changed it


def test_backtest_and_verdict_are_recorded(tiny_run):
    metrics = tiny_run.metrics
    assert len(metrics["backtest"]["folds"]) == 2 and len(metrics["backtest"]["fold_metrics"]) == 2
    test_start = metrics["data"]["bounds"]["test"][0]
    assert all(fold["test"][0] >= test_start for fold in metrics["backtest"]["folds"])
    beats = metrics["beats_all_baselines"]
    assert beats == all(row["mae"] > metrics["test"]["close"]["model"]["mae"]
                        for name, row in metrics["test"]["close"].items() if name != "model")
    if not beats:
        assert any("does NOT beat" in sentence for sentence in metrics["verdict"])


def test_predict_on_the_run_data_reproduces_the_test_predictions(tiny_run):
    run = tiny_run.run
    forecasts = predict_file(run.path, run.file("data.csv"))
    predictions = pd.read_csv(run.file("predictions.csv"))
    # the window ending at row t-1 forecasts row t: match by the forecast row's predecessor
    data = pd.read_csv(run.file("data.csv"), index_col=0)
    origin_of = dict(zip(data.index[1:], data.index[:-1]))
    by_origin = forecasts.set_index("origin")["close"]
    expected = [by_origin[origin_of[t]] for t in predictions["time"]]
    np.testing.assert_allclose(predictions["model"], expected, rtol=1e-6, atol=1e-6)


def test_a_failed_run_leaves_a_folder_that_says_why(make_spec, tmp_path):
    path = make_spec(tmp_path / "spec.toml", name="too-long", start="2013-01-01", look_back=60, hidden_layers=[],
                     training=None)
    with pytest.raises(SpecError, match="windows.look_back: a window spans"):
        run_experiment(load_spec(path), runs_dir=tmp_path / "runs", quiet=True)
    (folder,) = (tmp_path / "runs").iterdir()
    status = json.load(open(folder / "status.json"))
    assert status["state"] == "failed" and "windows.look_back" in status["error"]
    assert (folder / "spec.toml").exists() and not (folder / "report.html").exists()


def test_recursive_forecast_equals_feeding_the_saved_model_by_hand(make_spec, tmp_path):
    from seqlab.models import load_model

    path = make_spec(tmp_path / "spec.toml", name="recursive", start="2012-06-01", look_back=4, horizon=3,
                     hidden_layers=[{"type": "SimpleRNN", "units": 3}],
                     evaluation={"multi_step": "recursive", "baselines": ["persistence", "drift"]})
    result = run_experiment(load_spec(path), runs_dir=tmp_path / "runs", quiet=True)
    run = result.run
    model = load_model(run.file("model.seqlab"))
    scaler = scaler_from_dict(json.load(open(run.file("scalers.json")))["targets"])
    data = pd.read_csv(run.file("data.csv"), index_col=0)["close"].to_numpy()
    predictions = pd.read_csv(run.file("predictions.csv"))
    assert list(predictions.columns[:3]) == ["time", "step", "actual"]
    test_start = result.metrics["data"]["bounds"]["test"][0]
    origin = test_start - 1  # the first test window: targets rows test_start .. test_start + 2
    window = scaler.transform(data[origin - 3:origin + 1, None]).ravel().tolist()
    by_hand = []
    for _ in range(3):
        x = np.asarray(window[-4:], dtype=np.float32).reshape(1, 4, 1)
        step = float(model.predict(x, verbose=0).ravel()[0])
        by_hand.append(step)
        window.append(step)
    expected = scaler.inverse_transform(np.array(by_hand)[:, None]).ravel()
    np.testing.assert_allclose(predictions["model"].to_numpy()[:3], expected, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(predictions["actual"].to_numpy()[:3], data[test_start:test_start + 3], rtol=0, atol=1e-9)


def test_the_same_seed_repeats_the_run_exactly(make_spec, tmp_path):
    path = make_spec(tmp_path / "spec.toml", name="repeat", hidden_layers=[{"type": "GRU", "units": 3}],
                     training={"epochs": 2, "batch_size": 16}, report=False)
    spec = load_spec(path)
    first, second = (run_experiment(spec, runs_dir=tmp_path / "runs", seed=11, quiet=True) for _ in range(2))
    assert first.run.path != second.run.path
    for name in ("history.csv", "predictions.csv"):
        assert open(first.run.file(name)).read() == open(second.run.file(name)).read(), name
    assert not first.run.has("report.html")


def test_backtest_with_refit_trains_each_fold_on_its_past(make_spec, tmp_path):
    path = make_spec(tmp_path / "spec.toml", name="refit", report=False, evaluation={"backtest": {
        "folds": 3, "test_size": 20, "mode": "sliding", "train_size": 50, "refit": True}})
    result = run_experiment(load_spec(path), runs_dir=tmp_path / "runs", quiet=True)
    backtest = result.metrics["backtest"]
    n = result.metrics["data"]["rows"]
    assert backtest["refit"] is True
    assert backtest["folds"] == [{"train": [n - 60 - 50 + 20 * k, n - 60 + 20 * k], "test": [n - 60 + 20 * k, n - 40 + 20 * k]}
                                 for k in range(3)]
    assert backtest["folds"][0]["test"][0] < result.metrics["data"]["bounds"]["test"][0]  # allowed with refit
    # the record says what was done: each fold retrained for the main run's epochs, seed + fold + 1
    assert backtest["retrained"] == {"epochs": 1, "seeds": [1, 2, 3]} and backtest["scalers"] == "per fold"


def test_a_backtest_fold_over_the_test_windows_scores_as_the_test_table(make_spec, tmp_path):
    # Without refit the model must see its own training scaling in every fold, and the moving
    # average its configured window: one fold covering exactly the test windows then gives
    # the test table's numbers.
    path = make_spec(tmp_path / "spec.toml", name="one-fold", start="2012-06-01", look_back=5, training={"epochs": 2},
                     evaluation={"moving_average_window": 3, "backtest": {"folds": 1}}, report=False)
    result = run_experiment(load_spec(path), runs_dir=tmp_path / "runs", quiet=True)
    bounds = result.metrics["data"]["bounds"]
    assert result.metrics["backtest"]["folds"] == [{"train": [0, bounds["test"][0]], "test": list(bounds["test"])}]
    test, folded = result.metrics["test"]["close"], result.metrics["backtest"]["metrics"]["close"]
    for name in ("model", "moving_average", "persistence"):
        assert folded[name]["mae"] == pytest.approx(test[name]["mae"], rel=1e-9), name
    assert result.metrics["backtest"]["scalers"] == "run" and result.metrics["backtest"]["retrained"] is None


def test_backtest_without_refit_must_stay_in_the_test_part(make_spec, tmp_path):
    path = make_spec(tmp_path / "spec.toml", name="no-refit", evaluation={"backtest": {"folds": 3, "test_size": 20}})
    with pytest.raises(SpecError, match="without refit the model is trained once, so every fold must lie in the test part"):
        run_experiment(load_spec(path), runs_dir=tmp_path / "runs", quiet=True)


def test_interpolation_reads_only_the_past_beyond_the_train_part_and_imputed_points_are_not_scored(tmp_path, prices_csv, make_spec):
    frame = pd.read_csv(prices_csv)
    observed = frame["Close"].to_numpy().copy()
    frame.loc[20:22, "Close"] = np.nan      # a gap in the train part
    frame.loc[150:152, "Close"] = np.nan    # a gap in the test part
    frame.to_csv(tmp_path / "gappy.csv", index=False)
    spec_path = make_spec(tmp_path / "gappy.toml", name="gappy", data={
        "path": "gappy.csv", "time_column": "Date", "targets": ["Close"], "missing": "interpolate"},
        look_back=5, report=False)
    result = run_experiment(load_spec(spec_path), runs_dir=tmp_path / "runs", quiet=True)
    data = pd.read_csv(result.run.file("data.csv"))["Close"].to_numpy()
    # train gap: a straight line in time between its neighbours (rows 19 and 23; weekends count)
    days = pd.to_datetime(frame["Date"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    fraction = (days[20:23] - days[19]) / (days[23] - days[19])
    np.testing.assert_allclose(data[20:23], observed[19] + (observed[23] - observed[19]) * fraction)
    # test gap: the last value seen before it, never the one after it
    np.testing.assert_array_equal(data[150:153], [observed[149]] * 3)

    predictions = pd.read_csv(result.run.file("predictions.csv"), parse_dates=["time"])
    gap_times = pd.to_datetime(frame.loc[150:152, "Date"])
    assert predictions.loc[predictions["time"].isin(gap_times), "actual"].isna().all()
    scored = predictions.dropna(subset=["actual"])
    assert len(scored) == len(predictions) - 3
    expected = np.abs(scored["persistence"] - scored["actual"]).mean()
    assert result.metrics["test"]["Close"]["persistence"]["mae"] == pytest.approx(expected, rel=1e-9)
    assert any("left out of the metrics" in note for note in result.metrics["data"]["notes"])
