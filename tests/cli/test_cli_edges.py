"""Spec values at the edges of the machine: one `seqlab: error:` line and exit 1, never a traceback.

Issue 15, finding 6: a 300-character `name`, `data.frequency = "1ns"`, `units = 100000000` and a
`--runs-dir` on a read-only file system each printed a traceback. The bounds of
`seqlab.experiment.resources` are checked against the memory the machine reports; the tests
that need a given amount of memory set it (`available_bytes`), so they do not depend on the
machine they run on.
"""
import errno
import re

import numpy as np
import pandas as pd
import pytest

from seqlab.cli.main import main
from seqlab.experiment import resources


@pytest.fixture
def spec(tmp_path, make_spec):
    dates = pd.bdate_range("2020-01-01", periods=120)
    pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Close": np.linspace(100, 130, 120)}).to_csv(
        tmp_path / "prices.csv", index=False)

    def write(name="edge", frequency="", units=2):
        data = {"path": "prices.csv", "time_column": "Date", "targets": ["Close"],
                **({"frequency": frequency} if frequency else {})}
        return make_spec(tmp_path / "spec.toml", name=name, data=data,
                         hidden_layers=[{"type": "Dense", "units": units}, {"type": "Flatten"}])

    return write


def _error_of(capsys, *argv) -> str:
    assert main(list(argv)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("seqlab: error: "), err
    return err


def test_a_name_too_long_for_a_folder_is_refused_by_the_spec_check(spec, tmp_path, capsys):
    err = _error_of(capsys, "run", str(spec(name="a" * 300)), "--runs-dir", str(tmp_path / "runs"))
    assert "line 1: name: must be at most 100 characters (it names the run folder), got 300" in err
    assert not (tmp_path / "runs").exists()  # refused before any work


def test_a_frequency_whose_grid_cannot_fit_in_memory_is_refused_before_it_is_built(spec, tmp_path, capsys):
    err = _error_of(capsys, "run", str(spec(frequency="1ns")), "--runs-dir", str(tmp_path / "runs"))
    # 2020-01-01 to 2020-06-16 (120 business days) in steps of 1 ns: 167 days * 86400e9 + 1 rows
    rows = (pd.Timestamp("2020-06-16") - pd.Timestamp("2020-01-01")).value + 1
    assert f"data.frequency: '1ns' puts the 120 rows read (2020-01-01 00:00:00 to 2020-06-16 00:00:00) on a " \
           f"grid of {rows:,} rows, whose windows need about" in err
    assert "Is the frequency the data's own step?" in err


def test_grid_rows_counts_a_fixed_step_without_building_the_grid_and_a_calendar_step_exactly():
    first, last = pd.Timestamp("2020-01-01"), pd.Timestamp("2020-03-01")
    for frequency in ("h", "15min", "D", "B", "MS", "W"):
        assert resources.grid_rows(first, last, frequency) == len(pd.date_range(first, last, freq=frequency))
    assert resources.grid_rows(first, last, "1ns") == (last - first).value + 1


def test_a_layer_too_large_for_memory_is_refused_before_its_weights_exist(spec, tmp_path, capsys, monkeypatch):
    # The issue's `units = 100000000` on a machine with 1 GiB free: its first kernel alone is 10^8
    # weights, 1.6 GB with gradients and Adam's moments, refused before it is allocated.
    monkeypatch.setattr(resources, "available_bytes", lambda: 2 ** 30)
    err = _error_of(capsys, "run", str(spec(units=100_000_000)), "--runs-dir", str(tmp_path / "runs"))
    # the layer's automatic name counts the Dense layers made before in this process: dense, dense_1...
    assert re.search(r"model.layers: layer 'dense(_\d+)?' \(Dense\) asks for a weight 'kernel' of shape "
                     r"\(1, 100000000\) \(100,000,000 values\), beyond the 67,108,864 values the memory this "
                     r"machine has free for training \(1.0 GiB at 16 bytes per weight\) holds in all", err), err


def test_a_batch_whose_outputs_cannot_fit_in_memory_is_refused_before_training(spec, tmp_path, capsys, monkeypatch):
    # 100,000 units: the weights fit in 64 MiB (1*100000 + 100000 + 400000*1 + 1 = 600,001 of them,
    # 16 bytes each in training: 9.2 MiB), but one batch of 32 windows needs the outputs of Dense
    # (4, 100000), Flatten (400000) and Dense (1): 800,001 values * 32 * 4 bytes * 2 = 195.3 MiB.
    monkeypatch.setattr(resources, "available_bytes", lambda: 64 * 2 ** 20)
    err = _error_of(capsys, "run", str(spec(units=100_000)), "--runs-dir", str(tmp_path / "runs"))
    assert ("model.layers: training this model needs about 204.5 MiB (600,001 weights with their gradients "
            "and optimizer state: 9.2 MiB; the outputs of one batch of 32, the largest of shape "
            "(None, 4, 100000): 195.3 MiB); this machine has 64.0 MiB free") in err


def test_a_runs_dir_on_a_read_only_file_system_is_one_clear_line(spec, tmp_path, capsys, monkeypatch):
    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr("seqlab.experiment.rundir.os.makedirs", read_only)
    err = _error_of(capsys, "run", str(spec()), "--runs-dir", "/mnt/ro/runs")
    assert err == ("seqlab: error: cannot create a run folder in '/mnt/ro/runs': Read-only file system "
                   "(--runs-dir chooses another place)\n")


def test_a_runs_dir_inside_a_file_is_one_clear_line(spec, tmp_path, capsys):
    (tmp_path / "a_file").write_text("not a folder")
    err = _error_of(capsys, "run", str(spec()), "--runs-dir", str(tmp_path / "a_file" / "runs"))
    assert f"cannot create a run folder in '{tmp_path / 'a_file' / 'runs'}': Not a directory" in err
