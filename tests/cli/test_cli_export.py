"""`seqlab export`: a tiny real run's LSTM written as ONNX and as a torch.export program, each
giving the run's own model's predictions on the run's windows (within 1e-5)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.cli.main import main
from seqlab.models import load_model

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models"))
from export_helpers import TOLERANCE, need, run_onnx, run_torch  # noqa: E402


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory, make_spec):
    folder = tmp_path_factory.mktemp("cli-export")
    spec = make_spec(folder / "lstm.toml", name="cli-export", look_back=6, hidden_layers=[{"type": "LSTM", "units": 4}],
                     training={"epochs": 1, "seed": 3}, evaluation={"baselines": ["persistence"]}, report=False)
    assert main(["run", str(spec), "--runs-dir", str(folder / "runs"), "--quiet"]) == 0
    (run,) = (folder / "runs").iterdir()
    return run


def _windows(batch: int) -> np.ndarray:
    return np.random.default_rng(batch).normal(size=(batch, 6, 1)).astype(np.float32)


@pytest.mark.slow
def test_export_writes_onnx_beside_the_model_by_default(lstm_run, capsys):
    need("onnxscript")
    assert main(["export", str(lstm_run), "--quiet"]) == 0
    path = lstm_run / "model.onnx"
    assert capsys.readouterr().out.strip() == str(path)
    model = load_model(lstm_run / "model.seqlab", compile=False)
    for batch in (1, 5):
        x = _windows(batch)
        np.testing.assert_allclose(run_onnx(path, [x])[0], model.predict(x, verbose=0), rtol=0, atol=TOLERANCE)


@pytest.mark.slow
def test_export_torch_to_a_chosen_file(lstm_run, tmp_path, capsys):
    output = tmp_path / "served" / "lstm.pt2"
    output.parent.mkdir()
    assert main(["export", str(lstm_run / "model.seqlab"), "--format", "torch", "--output", str(output)]) == 0
    assert capsys.readouterr().out.strip() == str(output)
    model = load_model(lstm_run / "model.seqlab", compile=False)
    x = _windows(3)
    with torch.no_grad():
        np.testing.assert_allclose(run_torch(output, [x])[0], model.predict(x, verbose=0), rtol=0, atol=TOLERANCE)


def test_export_of_an_unfinished_run_is_one_clear_error(lstm_run, tmp_path, capsys):
    failed = tmp_path / "failed-run"
    failed.mkdir()
    (failed / "status.json").write_text(json.dumps({"state": "failed"}))
    assert main(["export", str(failed)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error: run ") and "did not succeed (status 'failed')" in err
    assert "Traceback" not in err


def test_export_of_a_wrongly_named_output_is_one_clear_error(lstm_run, tmp_path, capsys):
    assert main(["export", str(lstm_run), "--format", "torch", "--output", str(tmp_path / "m.onnx")]) == 1
    assert "seqlab: error: export: format='torch' writes a .pt2 file" in capsys.readouterr().err


def test_export_help_has_an_example_and_the_formats(capsys):
    assert main(["export", "--help"]) == 0
    out = capsys.readouterr().out
    assert "example:" in out and "seqlab export" in out and "{onnx,torch}" in out
    assert main(["export", "run", "--format", "tflite"]) == 2
    assert "invalid choice: 'tflite'" in capsys.readouterr().err
