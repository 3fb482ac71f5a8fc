"""Run folders written by older seqlab still forecast and report: users' saved runs are never lost.

``fixtures/run_920d42e`` is a run folder written by commit 920d42e (before the run pipeline
scaled with :class:`seqlab.data.SeriesScaler`): its ``scalers.json`` holds one multi-column
scikit-learn ``StandardScaler`` per role. ``expected_predict.csv`` is what ``seqlab predict``
printed for ``new_data.csv`` with that same commit (made with ``tests/experiment/fixtures``'
spec: 2 inputs, horizon 2, an LSTM(3) trained 1 epoch; report.html left out, it is rebuilt).
"""
import json
import pathlib
import shutil

import numpy as np
import pandas as pd
import pytest

from seqlab.cli.main import main
from seqlab.data import SeriesScaler
from seqlab.experiment.artifacts import report_data, scaler_from_dict
from seqlab.experiment.predict import predict_file
from seqlab.experiment.rundir import RunDir

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "run_920d42e"


@pytest.fixture
def old_run(tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(FIXTURE, folder)
    return folder


def test_the_fixture_holds_the_old_scaler_form():
    record = json.loads((FIXTURE / "scalers.json").read_text())
    assert record["inputs"]["class"] == "StandardScaler" and record["inputs"]["state"]["n_features_in_"] == 2
    scaler = scaler_from_dict(record["inputs"])
    assert isinstance(scaler, SeriesScaler) and scaler.columns_ == [0, 1]


def test_an_old_run_forecasts_new_data_as_it_did(old_run):
    forecasts = predict_file(old_run, FIXTURE / "new_data.csv")
    expected = pd.read_csv(FIXTURE / "expected_predict.csv")
    assert list(forecasts.columns) == list(expected.columns)
    assert forecasts["origin"].astype(str).tolist() == expected["origin"].tolist()
    np.testing.assert_allclose(forecasts["close"].to_numpy(), expected["close"].to_numpy(), rtol=1e-6, atol=0)


def test_an_old_run_reports(old_run, capsys):
    assert report_data(RunDir.open(old_run)).metrics["close"]["model"]["mae"] > 0
    assert main(["report", str(old_run)]) == 0
    assert capsys.readouterr().out.strip().endswith("report.html")
    assert "<img " in (old_run / "report.html").read_text()
