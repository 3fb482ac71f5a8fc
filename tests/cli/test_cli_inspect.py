"""`seqlab inspect`: the explorer of a finished run (its own test part), of a model file with a
data file (numbers, a text classifier, a character model), the lesson page, and the errors."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

import seqlab
from seqlab.cli.main import main
from seqlab.experiment import inspection
from seqlab.experiment.artifacts import read_data, read_spec_table, read_trace, scaler_from_dict
from seqlab.experiment.rundir import RunDir
from seqlab.experiment.validate import spec_from_dict
from seqlab.forecast.backtest import scale
from seqlab.inspect import attribute, cut_signals, series_signals, text_signals, trace
from seqlab.inspect.explorer import read_page
from seqlab.layers import LSTM, Dense, Embedding
from seqlab.models import Sequential, load_model


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory, make_spec):
    folder = tmp_path_factory.mktemp("inspect")
    spec = make_spec(folder / "run.toml", name="cli-inspect", look_back=6, hidden_layers=[{"type": "LSTM", "units": 5}],
                     training={"epochs": 1, "seed": 3}, evaluation={"baselines": ["persistence"]})
    assert main(["run", str(spec), "--runs-dir", str(folder / "runs"), "--quiet"]) == 0
    (run,) = (folder / "runs").iterdir()
    return run


def test_a_run_folder_shows_its_own_test_windows(lstm_run, capsys):
    assert main(["inspect", str(lstm_run), "--attribution", "saliency"]) == 0
    assert capsys.readouterr().out.strip() == str(lstm_run / "inspect.html")
    meta, arrays = read_page((lstm_run / "inspect.html").read_text(encoding="utf-8"))
    # The test windows, rebuilt by hand from the run's files: data.csv, the test bounds, the scalers.
    frame = read_data(RunDir.open(lstm_run))
    bounds = json.loads((lstm_run / "metrics.json").read_text())["data"]["bounds"]
    scaler = scaler_from_dict(json.loads((lstm_run / "scalers.json").read_text())["inputs"])
    scaled = scale(scaler, frame[["close"]].to_numpy(np.float64))[:, 0]
    first_origin = bounds["test"][0] - 1             # the first window whose target is the first test row
    count = bounds["test"][1] - bounds["test"][0]
    expected = np.stack([scaled[o - 5:o + 1] for o in range(first_origin, first_origin + count)])[:, :, None]
    x = arrays[meta["input"]["array"]]
    np.testing.assert_allclose(x, expected, rtol=1e-6)
    assert meta["input"]["features"] == ["close"] and meta["sample_labels"][0] == f"window ending {frame.index[first_origin].date()}"
    assert meta["step_labels"][0][-1] == str(frame.index[first_origin].date())
    model = load_model(lstm_run / "model.seqlab", compile=False)
    (layer,) = meta["layers"]
    hidden = next(arrays[s["array"]] for s in layer["states"] if s["name"] == "hidden")
    np.testing.assert_allclose(hidden, trace(model, x)[layer["name"]].hidden, rtol=1e-5, atol=1e-6)
    assert meta["gradient_of"] == "the loss" and meta["attribution"]["method"] == "saliency"
    assert "test part" in meta["notes"][0]
    # The signals: series_signals of the unscaled close over the whole series (level and trend over
    # the 6-step look-back, weekdays from the business-day dates), cut at the windows' first rows;
    # saturday and sunday never occur in trading days: constant, left out.
    starts = np.arange(first_origin, first_origin + count) - 5
    whole = series_signals(frame["close"].to_numpy(np.float64), frame.index, window=6)
    expected = cut_signals(whole, starts, 6)
    names = ["value", "level", "trend", "monday", "tuesday", "wednesday", "thursday", "friday", "weekday_sin", "weekday_cos"]
    assert [s["name"] for s in meta["signals"]] == ["input: close"] + names
    for signal in meta["signals"][1:]:
        np.testing.assert_allclose(arrays[signal["array"]], expected[signal["name"]], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(expected["value"][:, -1], frame["close"].to_numpy()[first_origin:first_origin + count])


def test_a_model_file_with_a_csv_and_with_npy_numbers(lstm_run, tmp_path, capsys, monkeypatch):
    model = lstm_run / "model.seqlab"
    csv = tmp_path / "new.csv"
    csv.write_text("date,close\n2020-01-01,0.1\n2020-01-02,0.3\n2020-01-03,0.2\n2020-01-06,0.5\n")
    output = tmp_path / "csv.html"
    assert main(["inspect", str(model), "--data", str(csv), "--output", str(output), "--attribution", "none"]) == 0
    meta, arrays = read_page(output.read_text(encoding="utf-8"))
    np.testing.assert_allclose(arrays[meta["input"]["array"]], [[[0.1], [0.3], [0.2], [0.5]]], rtol=1e-6)
    assert meta["step_labels"] == [["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06"]]
    npy = tmp_path / "x.npy"
    np.save(npy, np.linspace(0, 1, 16, dtype="float32").reshape(2, 8, 1))
    before, seen, original = torch.get_num_threads(), [], inspection.inspect_model_file
    monkeypatch.setattr(inspection, "inspect_model_file",
                        lambda *a, **k: (seen.append(torch.get_num_threads()), original(*a, **k))[1])
    assert main(["inspect", str(model), "--data", str(npy), "--output", str(tmp_path / "npy.html"),
                 "--attribution", "none", "--threads", "1"]) == 0
    assert seen == [1] and torch.get_num_threads() == before  # --threads holds for the work, then is restored
    meta, arrays = read_page((tmp_path / "npy.html").read_text(encoding="utf-8"))
    assert arrays[meta["input"]["array"]].shape == (2, 8, 1)


def test_a_text_classifier_and_a_character_model_show_their_tokens(tmp_path, capsys):
    seqlab.utils.set_random_seed(0)
    words = ["", "[UNK]", "good", "bad", "film", "not"]
    classifier = Sequential([Embedding(len(words), 4, mask_zero=True), LSTM(3), Dense(2, activation="softmax")])
    classifier.build((None, 4))
    classifier.save(tmp_path / "classifier.seqlab")
    np.save(tmp_path / "ids.npy", np.array([[5, 2, 4, 0], [3, 4, 0, 0]]))
    (tmp_path / "words.json").write_text(json.dumps(words))
    assert main(["inspect", str(tmp_path / "classifier.seqlab"), "--data", str(tmp_path / "ids.npy"),
                 "--vocabulary", str(tmp_path / "words.json"), "--attribution", "saliency"]) == 0
    meta, arrays = read_page((tmp_path / "inspect.html").read_text(encoding="utf-8"))  # beside the model
    ids = arrays[meta["input"]["ids"]]
    assert [meta["input"]["vocabulary"][i] for i in ids[0]] == ["not", "good", "film", ""]
    assert meta["input"]["join"] == " " and arrays[meta["layers"][0]["mask"]].tolist() == [[1, 1, 1, 0], [1, 1, 0, 0]]
    assert "predicted class" in meta["attribution"]["explains"]
    assert [s["name"] for s in meta["signals"]] == []   # words, not characters: no text signals

    alphabet = ["\n", " ", "a", "b"]
    chars = Sequential([Embedding(4, 3), LSTM(4, return_sequences=True), Dense(4, activation="softmax")])
    chars.build((None, 6))
    chars.save(tmp_path / "chars.seqlab")
    np.save(tmp_path / "text.npy", np.array([2, 3, 1, 2, 0, 3]))  # "ab a\nb", one sequence without its sample axis
    (tmp_path / "alphabet.json").write_text(json.dumps(alphabet))
    assert main(["inspect", str(tmp_path / "chars.seqlab"), "--data", str(tmp_path / "text.npy"), "--vocabulary",
                 str(tmp_path / "alphabet.json"), "--output", str(tmp_path / "chars.html"), "--attribution", "saliency"]) == 0
    meta, arrays = read_page((tmp_path / "chars.html").read_text(encoding="utf-8"))
    assert meta["input"]["join"] == "" and "".join(meta["input"]["vocabulary"][i] for i in arrays[meta["input"]["ids"]][0]) == "ab a\nb"
    assert "last step" in meta["attribution"]["explains"]
    # text_signals of the decoded text; those constant over it (no capital, quote, speaker head or
    # punctuation in "ab a\nb") are left out.
    expected = text_signals("ab a\nb")
    assert [s["name"] for s in meta["signals"]] == ["line_position", "line_end", "whitespace"]
    for signal in meta["signals"]:
        np.testing.assert_array_equal(arrays[signal["array"]], expected[signal["name"]][None])
    assert expected["line_position"].tolist() == [0, 1, 2, 3, 4, 0]   # by hand: "ab a\n" then "b"


def test_errors_are_one_clear_line(lstm_run, tmp_path, capsys):
    model = str(lstm_run / "model.seqlab")
    outside = tmp_path / "alone.seqlab"
    outside.write_bytes((lstm_run / "model.seqlab").read_bytes())
    assert main(["inspect", str(outside)]) == 1
    assert capsys.readouterr().err.strip() == (f"seqlab: error: model file {str(outside)!r} needs --data FILE to look at: "
                                               f"{inspection.DATA_FORMATS}")
    assert main(["inspect", str(tmp_path / "nothing.seqlab"), "--data", "x.npy"]) == 1
    assert f"{str(tmp_path / 'nothing.seqlab')!r} does not exist; pass a run folder or a model file" in capsys.readouterr().err
    assert main(["inspect", model, "--data", str(tmp_path / "missing.npy")]) == 1
    assert f"--data {str(tmp_path / 'missing.npy')!r} does not exist" in capsys.readouterr().err
    (tmp_path / "x.txt").write_text("hello")
    assert main(["inspect", model, "--data", str(tmp_path / "x.txt")]) == 1
    assert "--data must be a .npy or .csv file, got" in capsys.readouterr().err
    np.save(tmp_path / "flat.npy", np.zeros(5, dtype="float32"))
    assert main(["inspect", model, "--data", str(tmp_path / "flat.npy"), "--attribution", "none"]) == 1
    assert "seqlab: error: explore: `x` must be 3-D (samples, timesteps, features), got shape (5,)" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path)]) == 1
    assert "is not a seqlab run folder" in capsys.readouterr().err
    assert main(["inspect"]) == 1
    assert "needs a run folder, a model file (with --data) or --lesson" in capsys.readouterr().err
    assert main(["inspect", "--lesson", "exploding"]) == 2


def test_the_lesson_page(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(inspection, "LESSON_SETTINGS", {"distances": (3,), "units": 4, "epochs": 1, "samples": 64})
    assert main(["inspect", "--lesson", "vanishing", "--output", str(tmp_path / "lesson.html")]) == 0
    page = (tmp_path / "lesson.html").read_text(encoding="utf-8")
    assert page.count("<img ") == 2 and page.count("data:image/png;base64,") == 2
    assert all(cell in page for cell in ("SimpleRNN", "LSTM", "GRU")) and "grad_first_trained" in page



def test_the_run_report_shows_the_attribution_of_its_traced_window(lstm_run):
    pytest.importorskip("captum", reason="attributions need Captum (the inspect extra)")
    run = RunDir.open(lstm_run)
    recorded = read_trace(run)["attribution"]
    assert recorded["features"] == ["close"] and recorded["explains"].startswith("the first forecast step of close")
    model = load_model(lstm_run / "model.seqlab", compile=False)
    x = inspection.forecast_inputs(run, spec_from_dict(read_spec_table(run)[0])).x
    expected = attribute(model, x[-1:], target=0, method="integrated_gradients")[0]   # report.trace_window = -1
    np.testing.assert_allclose(recorded["values"], expected, rtol=1e-5, atol=1e-7)
    assert "Attribution of the first forecast step of close" in (lstm_run / "report.html").read_text(encoding="utf-8")


def test_forecast_signals_name_the_weekday_only_for_daily_or_finer_dates():
    values = np.sin(np.arange(40.0)) + np.arange(40.0) / 10
    starts = np.array([0, 10, 30])
    for index, weekdays in [(pd.date_range("2024-01-01", periods=40, freq="6h"), True),
                            (pd.date_range("2024-01-01", periods=40, freq="D"), True),
                            (pd.date_range("2024-01-01", periods=40, freq="MS"), False),
                            (pd.RangeIndex(40), False)]:
        frame = pd.DataFrame({"y": values}, index=index)
        got = inspection.forecast_signals(frame, "y", starts, 5)
        expected = cut_signals(series_signals(values, index if weekdays else None, window=5), starts, 5)
        assert ("monday" in got) == weekdays, index
        assert set(got) == {name for name, signal in expected.items() if np.ptp(signal) > 0}
        for name, signal in got.items():
            np.testing.assert_array_equal(signal, expected[name])
