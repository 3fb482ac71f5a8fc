"""Run folders: unique names, atomic writes, nothing overwritten, status that explains a failure."""
import datetime as dt
import json
import os

import numpy as np
import pytest
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from seqlab.experiment.artifacts import scaler_from_dict, scaler_to_dict
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


@pytest.mark.parametrize("scaler", [MinMaxScaler(feature_range=(-1, 1)), StandardScaler(), RobustScaler(),
                                    FunctionTransformer(validate=True, check_inverse=False)])
def test_scalers_round_trip_through_json(scaler):
    rng = np.random.default_rng(0)
    train = rng.normal(loc=5, scale=3, size=(50, 2))
    scaler.fit(train)
    again = scaler_from_dict(json.loads(json.dumps(scaler_to_dict(scaler))))
    values = rng.normal(size=(7, 2)) * 10
    np.testing.assert_allclose(again.transform(values), scaler.transform(values), rtol=0, atol=1e-12)
    np.testing.assert_allclose(again.inverse_transform(values), scaler.inverse_transform(values), rtol=0, atol=1e-12)
