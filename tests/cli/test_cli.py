"""The `seqlab` command through its entry point: exit codes, messages, a tiny real run."""
import os
import subprocess
import sys
from importlib.metadata import entry_points

import pandas as pd
import pytest

import seqlab
from seqlab.cli.main import main

def _tiny(make_spec, path, epochs=2):
    """The CLI's tiny run: Flatten + Dense on ~125 bundled AAPL closes, windows of 4."""
    return make_spec(path, name="cli-tiny", training={"epochs": epochs, "seed": 3},
                     evaluation={"baselines": ["persistence", "drift"]})


@pytest.fixture
def tiny_spec(tmp_path, make_spec):
    return _tiny(make_spec, tmp_path / "tiny.toml")


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, make_spec):
    folder = tmp_path_factory.mktemp("cli")
    spec = _tiny(make_spec, folder / "tiny.toml")
    assert main(["run", str(spec), "--runs-dir", str(folder / "runs"), "--quiet"]) == 0
    (run,) = (folder / "runs").iterdir()
    return run


def test_console_script_points_at_main():
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "seqlab"]
    assert script.value == "seqlab.cli.main:main" and script.load() is main


def test_help_of_every_command_has_an_example(capsys):
    assert main(["--help"]) == 0
    assert "examples:" in capsys.readouterr().out
    for command in ("run", "demo", "predict", "report"):
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "example:" in out and f"seqlab {command}" in out, command


def test_bad_usage_exits_2(capsys):
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
    assert main(["predict", "runs/x"]) == 2
    assert "the following arguments are required: --data" in capsys.readouterr().err
    assert main(["run", "x.toml", "--seed", "abc"]) == 2


def test_a_seqlab_error_exits_1_with_one_clear_line(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text('[data]\nsource = "aapl"\ntargets = ["close"]\n[training]\nepochs = 0\n'
                    '[[model.layers]]\ntype = "Dense"\nunits = 1\n')
    assert main(["run", str(spec), "--runs-dir", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"seqlab: error: invalid spec {spec}: line 5: training.epochs: must be >= 1, got 0"
    assert "Traceback" not in err
    assert not (tmp_path / "runs").exists()  # an invalid spec never starts a run


def test_debug_shows_the_traceback(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.toml"), "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "spec file" in err and "does not exist" in err


def test_a_tiny_real_run_end_to_end(tiny_spec, tmp_path, capsys):
    assert main(["run", str(tiny_spec), "--runs-dir", str(tmp_path / "runs"), "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "Test metrics for close, in the data's units" in out
    assert "persistence (last value)" in out and "report: " in out
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.endswith("-cli-tiny")
    assert "seed = 5" in (run / "spec.toml").read_text()
    assert (run / "report.html").stat().st_size > 10_000


def test_global_options_work_before_the_command(tiny_spec, tmp_path, capsys):
    assert main(["--quiet", "--device", "cpu", "run", str(tiny_spec), "--runs-dir", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "Epoch" not in out and "finished in" not in out and "Test metrics" in out


def test_an_unavailable_device_is_a_clear_error(tiny_spec, tmp_path, capsys):
    import torch

    device = "cuda" if not torch.cuda.is_available() else "tpu"
    assert main(["run", str(tiny_spec), "--runs-dir", str(tmp_path / "r"), "--device", device]) == 1
    assert "--device" in capsys.readouterr().err


def test_predict_writes_forecasts_in_the_data_units(finished_run, tmp_path, capsys):
    output = tmp_path / "forecast.csv"
    assert main(["predict", str(finished_run), "--data", str(finished_run / "data.csv"), "--output", str(output)]) == 0
    forecasts = pd.read_csv(output)
    assert list(forecasts.columns) == ["origin", "step", "close"]
    # in dollars: the last test forecast of the run (made from the second-to-last row) reappears
    predictions = pd.read_csv(finished_run / "predictions.csv")
    assert forecasts["close"].iloc[-2] == pytest.approx(predictions["model"].iloc[-1], rel=1e-6)
    # the model file inside the run folder works too, and standard output is the default
    assert main(["predict", str(finished_run / "model.seqlab"), "--data", str(finished_run / "data.csv")]) == 0
    assert capsys.readouterr().out.startswith("origin,step,close")


def test_predict_errors(finished_run, tmp_path, capsys):
    assert main(["predict", str(tmp_path), "--data", str(finished_run / "data.csv")]) == 1
    assert "is not a seqlab run folder" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("date,open\n2013-01-02,1.0\n")
    assert main(["predict", str(finished_run), "--data", str(bad)]) == 1
    assert "column 'close' does not exist" in capsys.readouterr().err


def test_report_rebuilds_the_report(finished_run, capsys):
    before = (finished_run / "report.html").read_text()
    os.remove(finished_run / "report.html")
    assert main(["report", str(finished_run)]) == 0
    assert capsys.readouterr().out.strip().endswith("report.html")
    after = (finished_run / "report.html").read_text()
    assert after.count("<img ") == before.count("<img ") >= 3


def test_demo_spec_is_valid_and_run_without_spec_runs_it(monkeypatch, tmp_path, capsys):
    from seqlab.experiment import runner

    assert main(["demo", "--show-spec"]) == 0
    assert 'source = "aapl"' in capsys.readouterr().out
    seen = {}

    def fake_run(spec, **options):  # only checks which spec `seqlab run` picks
        seen["spec"] = spec
        raise runner.RunError("stopped by the test")

    monkeypatch.setattr(runner, "run_experiment", fake_run)
    assert main(["run", "--runs-dir", str(tmp_path)]) == 1
    assert seen["spec"].name == "aapl-lstm" and seen["spec"].data.source == "aapl"


def test_python_dash_m_entry_point():
    done = subprocess.run([sys.executable, "-m", "seqlab.cli.main", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("seqlab ")


def test_threads_are_set_for_the_run_and_restored(tiny_spec, tmp_path, capsys, monkeypatch):
    import torch

    from seqlab.experiment import modeling

    before, seen = torch.get_num_threads(), []
    original = modeling.train
    monkeypatch.setattr(modeling, "train", lambda *a, **k: (seen.append(torch.get_num_threads()), original(*a, **k))[1])
    assert main(["run", str(tiny_spec), "--runs-dir", str(tmp_path / "r"), "--threads", "1", "--quiet"]) == 0
    assert seen == [1] and torch.get_num_threads() == before
    assert main(["run", str(tiny_spec), "--threads", "0"]) == 2
    assert "--threads: must be a positive integer, got 0" in capsys.readouterr().err


def test_demo_uses_one_thread_unless_told_otherwise(monkeypatch, capsys):
    from seqlab.cli import commands

    seen = []
    monkeypatch.setattr(commands, "_run_spec", lambda path, args: seen.append(args.threads) or 0)
    assert main(["demo"]) == 0
    assert "seqlab demo: using 1 CPU thread" in capsys.readouterr().out
    assert main(["demo", "--threads", "2"]) == 0
    assert seen == [1, 2]


def test_sigterm_stops_a_run_and_its_folder_says_interrupted(tmp_path, make_spec):
    import json
    import signal
    import time

    spec = _tiny(make_spec, tmp_path / "long.toml", epochs=100000)
    runs = tmp_path / "runs"
    process = subprocess.Popen([sys.executable, "-m", "seqlab.cli.main", "run", str(spec), "--runs-dir", str(runs),
                                "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 120
        while not list(runs.glob("*/status.json")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # into the training loop
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, err
    assert "seqlab: interrupted" in err
    (status_file,) = runs.glob("*/status.json")
    status = json.loads(status_file.read_text())
    assert status == {**status, "state": "interrupted", "error": "stopped before the run finished (SIGTERM)"}
    assert "finished" in status


def test_precision_option_overrides_the_spec_and_is_recorded(tiny_spec, tmp_path, capsys):
    assert main(["run", str(tiny_spec), "--runs-dir", str(tmp_path / "r"), "--precision", "bf16", "--quiet"]) == 0
    (run,) = (tmp_path / "r").iterdir()
    assert 'precision = "bf16"' in (run / "spec.toml").read_text()  # the run folder repeats the run
    loaded = seqlab.load_model(run / "model.seqlab")
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_bfloat16", "float32"]
    assert main(["run", str(tiny_spec), "--precision", "fp16"]) == 2
    assert "argument --precision: invalid choice: 'fp16' (choose from" in capsys.readouterr().err
