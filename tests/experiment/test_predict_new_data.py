"""`predict_file` on new data: evenly spaced runs refuse or fill gaps, errors speak of the file."""

import numpy as np
import pandas as pd
import pytest

from seqlab.experiment import load_spec, run_experiment
from seqlab.experiment.predict import NewDataError, predict_file


def _hourly(hours, start="2024-03-01 00:00"):
    times = pd.date_range(start, periods=hours, freq="h")
    load = 50 + 10 * np.sin(np.arange(hours) * 2 * np.pi / 24)
    return pd.DataFrame({"time": times, "load": load.round(4)})


def _run(make_spec, tmp_path, missing):
    _hourly(240).to_csv(tmp_path / "load.csv", index=False)
    spec = make_spec(tmp_path / f"{missing}.toml", name=f"hourly-{missing}", look_back=6, report=False,
                     data={"path": "load.csv", "time_column": "time", "targets": ["load"], "missing": missing})
    return run_experiment(load_spec(spec), runs_dir=tmp_path / "runs", quiet=True).run


def _new_data_with_a_gap(tmp_path):
    frame = _hourly(30, start="2024-04-01 00:00").drop(index=[10, 11, 12])  # 10:00-12:00 absent
    path = tmp_path / "new.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_gap_in_new_data_is_refused_when_the_run_refuses_missing_values(tmp_path, make_spec):
    run = _run(make_spec, tmp_path, "error")
    with pytest.raises(NewDataError) as caught:
        predict_file(run.path, _new_data_with_a_gap(tmp_path))
    message = str(caught.value)
    assert "new.csv cannot be forecast by run" in message
    assert ("the data hold 3 missing time steps at frequency 'h' (first: 2024-04-01 10:00:00) (the run's data "
            "were spaced 'h', inferred from its data.csv)") in message
    assert "data.missing = 'error' refuses them: add or fill them in the file" in message
    assert "invalid spec" not in message
    # an empty cell is a missing value, told apart from the absent steps
    frame = pd.read_csv(tmp_path / "new.csv")
    frame.loc[20, "load"] = None
    frame.to_csv(tmp_path / "holey.csv", index=False)
    with pytest.raises(NewDataError, match=r"3 missing time steps at frequency 'h' \(first: 2024-04-01 10:00:00\) "
                                           r"and 1 missing values \(first at 2024-04-01 23:00:00\)"):
        predict_file(run.path, tmp_path / "holey.csv")


def test_a_run_that_drops_rows_refuses_gaps_in_new_data_on_its_frequency(tmp_path, make_spec):
    # Dropping the absent hours would make a window read across the gap and mislabel its times.
    run = _run(make_spec, tmp_path, "drop")
    with pytest.raises(NewDataError, match=r"data.missing = 'drop' cannot apply to new data on a fixed frequency"):
        predict_file(run.path, _new_data_with_a_gap(tmp_path))
    _hourly(30).to_csv(tmp_path / "complete.csv", index=False)
    assert len(predict_file(run.path, tmp_path / "complete.csv")) == 25


def test_interpolate_fills_new_data_from_the_past_and_says_so(tmp_path, make_spec):
    run = _run(make_spec, tmp_path, "interpolate")
    forecasts = predict_file(run.path, _new_data_with_a_gap(tmp_path))
    assert any("with the previous value: new data are filled from the past only" in note
               for note in forecasts.attrs["notes"])


def test_a_gap_in_new_data_is_filled_forward_and_said(tmp_path, make_spec, capsys):
    from seqlab.cli.main import main

    run = _run(make_spec, tmp_path, "ffill")
    forecasts = predict_file(run.path, _new_data_with_a_gap(tmp_path))
    assert main(["predict", run.path, "--data", str(tmp_path / "new.csv"), "--output", str(tmp_path / "out.csv")]) == 0
    assert "note: 3 missing time steps at frequency 'h' (first: 2024-04-01 10:00:00)" in capsys.readouterr().err
    # the 3 absent hours came back as rows: 30 rows, windows of 6 -> 25 forecasts, one per hour
    assert len(forecasts) == 25
    expected_times = pd.date_range("2024-04-01 06:00", periods=25, freq="h")
    assert list(pd.to_datetime(forecasts["time"])) == list(expected_times)
    assert any("3 missing time steps at frequency 'h'" in note for note in forecasts.attrs["notes"])
    # filled forward: the window ending at 12:00 equals the one ending at 09:00 shifted by the fill
    complete = _hourly(30, start="2024-04-01 00:00")
    complete.loc[10:12, "load"] = complete.loc[9, "load"]
    complete.to_csv(tmp_path / "filled.csv", index=False)
    np.testing.assert_allclose(forecasts["load"], predict_file(run.path, tmp_path / "filled.csv")["load"])


def test_off_grid_times_and_missing_columns_name_the_file_not_a_spec_key(tmp_path, make_spec):
    run = _run(make_spec, tmp_path, "error")
    frame = _hourly(30)
    frame.loc[5, "time"] = frame.loc[5, "time"] + pd.Timedelta(minutes=30)
    frame.to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(NewDataError, match=r"1 timestamps are not on the 'h' grid, the first 2024-03-01 05:30:00 "
                                           r"\(the run's data were spaced 'h', and so must the new rows be\)"):
        predict_file(run.path, tmp_path / "odd.csv")
    _hourly(30).rename(columns={"load": "Load"}).to_csv(tmp_path / "renamed.csv", index=False)
    with pytest.raises(NewDataError, match=r"renamed.csv cannot be forecast by run .*: the file lacks a column the "
                                           r"run's model reads \(data.targets\): column 'load' does not exist; "
                                           r"did you mean 'Load'\?"):
        predict_file(run.path, tmp_path / "renamed.csv")
