"""Run folders: unique names, atomic writes, nothing overwritten, status that explains a failure."""
import datetime as dt
import json
import os

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from seqlab.data import SeriesScaler, Split
from seqlab.experiment.artifacts import scaler_from_dict, scaler_to_dict, transformer_to_dict
from seqlab.experiment.rundir import RunDir, RunDirError

NOW = dt.datetime(2024, 5, 1, 12, 0, 0)


def test_folder_name_and_no_reuse(tmp_path):
    first = RunDir.create(tmp_path, "exp", now=NOW)
    second = RunDir.create(tmp_path, "exp", now=NOW)
    assert os.path.basename(first.path) == "20240501-120000-exp"
    assert os.path.basename(second.path) == "20240501-120000-exp-2"


def test_files_are_never_overwritten_unless_asked(tmp_path):
    run = RunDir.create(tmp_path, "exp", now=NOW)
    run.write_text("metrics.json", "{}")
    with pytest.raises(RunDirError, match="metrics.json already exists; a run never overwrites its files"):
        run.write_text("metrics.json", "{}")
    run.write_text("report.html", "a")
    run.write_text("report.html", "b", replace=True)
    assert open(run.file("report.html")).read() == "b"
    assert not [name for name in os.listdir(run.path) if name.endswith(".tmp")]


def test_status_records_running_then_failure_with_the_error(tmp_path):
    run = RunDir.create(tmp_path, "exp", now=NOW)
    run.mark("running", seed=3)
    assert run.status()["state"] == "running" and "finished" not in run.status()
    run.mark("failed", error="RunError: while training: boom")
    status = json.load(open(run.file("status.json")))
    assert status["state"] == "failed" and status["error"].endswith("boom") and status["seed"] == 3
    assert "started" in status and "finished" in status


def test_open_refuses_folders_that_are_not_runs(tmp_path):
    with pytest.raises(RunDirError, match="does not exist"):
        RunDir.open(tmp_path / "nope")
    with pytest.raises(RunDirError, match="is not a seqlab run folder"):
        RunDir.open(tmp_path)


def test_missing_file_names_the_run_state(tmp_path):
    run = RunDir.create(tmp_path, "exp", now=NOW)
    run.mark("failed", error="x")
    with pytest.raises(RunDirError, match="has no metrics.json \\(its status is 'failed'\\)"):
        run.read_json("metrics.json")


def test_save_via_moves_a_finished_file_in(tmp_path):
    run = RunDir.create(tmp_path, "exp", now=NOW)
    run.save_via("model.bin", lambda path: open(path, "wb").write(b"weights"))
    assert open(run.file("model.bin"), "rb").read() == b"weights"
    with pytest.raises(RuntimeError):
        run.save_via("broken.bin", lambda path: (open(path, "wb").write(b"half"), (_ for _ in ()).throw(RuntimeError("disk"))))
    assert not run.has("broken.bin") and not os.path.exists(run.file(".broken.bin.partial"))


SCALERS = [MinMaxScaler(feature_range=(-1, 1)), StandardScaler(), RobustScaler(),
           FunctionTransformer(validate=True, check_inverse=False)]


@pytest.mark.parametrize("transformer", SCALERS)
def test_scalers_round_trip_through_json(transformer):
    rng = np.random.default_rng(0)
    train = rng.normal(loc=5, scale=3, size=(50, 2))
    scaler = SeriesScaler(transformer).fit(Split(train, 50, 50))
    again = scaler_from_dict(json.loads(json.dumps(scaler_to_dict(scaler))))
    assert again.n_train_ == 50 and again.columns_ == [0, 1]
    values = rng.normal(size=(7, 2)) * 10
    np.testing.assert_allclose(again.transform(values), scaler.transform(values), rtol=0, atol=1e-12)
    np.testing.assert_allclose(again.inverse_transform(values), scaler.inverse_transform(values), rtol=0, atol=1e-12)


@pytest.mark.parametrize("transformer", SCALERS)
def test_scalers_of_older_runs_are_read_column_by_column(transformer):
    # Runs written up to commit 920d42e stored one multi-column scikit-learn scaler per role.
    rng = np.random.default_rng(0)
    train = rng.normal(loc=5, scale=3, size=(50, 2))
    fitted = clone(transformer).fit(train)
    old_record = transformer_to_dict(fitted)
    assert old_record["class"] == type(transformer).__name__  # the old form, as 920d42e wrote it
    again = scaler_from_dict(json.loads(json.dumps(old_record)))
    counted = 50 if hasattr(fitted, "n_samples_seen_") else None  # RobustScaler does not count its rows
    assert isinstance(again, SeriesScaler) and again.columns_ == [0, 1] and again.n_train_ == counted
    values = rng.normal(size=(7, 2)) * 10
    np.testing.assert_allclose(again.transform(values), fitted.transform(values), rtol=0, atol=1e-12)
    np.testing.assert_allclose(again.inverse_transform(values), fitted.inverse_transform(values), rtol=0, atol=1e-12)
    np.testing.assert_allclose(again.inverse_transform(values[:, 1], column=1),
                               fitted.inverse_transform(values)[:, 1], rtol=0, atol=1e-12)
