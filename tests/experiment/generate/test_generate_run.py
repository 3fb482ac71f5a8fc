"""A generate run end to end through the CLI: it repeats exactly with a seed, `seqlab generate`
repeats exactly with a seed, the report rebuilds, `seqlab inspect` reads its test text, and a
spec with a key its task does not read fails in one clear line before any training."""
import json
import os
import re
import textwrap

import numpy as np
import pytest

from seqlab.cli.main import main
from seqlab.experiment import load_spec
from seqlab.experiment.generate.api import generate
from seqlab.experiment.generate.corpus import build_corpus, tokenize
from seqlab.experiment.generate.ngram import KneserNey
from seqlab.experiment.runner import demo_spec_path
from seqlab.experiment.tomlout import dump_spec
from seqlab.inspect.explorer import read_page
from seqlab.models import load_model

VERSE = ("Shall I compare thee to a summer's day?\nThou art more lovely and more temperate:\n"
         "Rough winds do shake the darling buds of May,\nAnd summer's lease hath all too short a date;\n")

SPEC = """
    name = "gen-tiny"
    task = "generate"
    [text]
    path = "verse.txt"
    sequence_length = 20
    embedding_dim = 8
    [[model.layers]]
    type = "LSTM"
    units = 16
    return_sequences = true
    [training]
    epochs = 2
    batch_size = 16
    seed = 4
    [sampling]
    prime = "Thou "
    length = 40
    temperatures = [0.5, 1.0]
"""


def _write(folder, body=SPEC, name="gen.toml"):
    (folder / "verse.txt").write_text(VERSE * 12, encoding="utf-8")
    path = folder / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gen")
    spec = _write(folder)
    folders = []
    for i in range(2):
        runs = folder / f"runs{i}"
        assert main(["run", str(spec), "--runs-dir", str(runs), "--quiet", "--threads", "1"]) == 0
        (only,) = os.listdir(runs)
        folders.append(runs / only)
    return folder, folders


def test_a_seeded_generate_run_repeats_exactly(two_runs):
    _, (first, second) = two_runs
    a, b = (json.loads((run / "metrics.json").read_text()) for run in (first, second))
    assert a["test"] == b["test"] and a["samples"] == b["samples"]
    # layer names count up within one process (lstm, lstm_1): the units found are the same
    assert list(a["units"].values()) == list(b["units"].values())
    wa, wb = (load_model(run / "model.seqlab", compile=False).get_weights() for run in (first, second))
    assert all(np.array_equal(x, y) for x, y in zip(wa, wb))
    assert [s["temperature"] for s in a["samples"]] == [0.5, 1.0] and all(len(s["text"]) == 40 for s in a["samples"])


def test_the_run_scores_the_model_and_the_baselines_on_the_same_test_positions(two_runs):
    folder, (run, _) = two_runs
    record = json.loads((run / "metrics.json").read_text())
    assert set(record["test"]["bits"]) == {"model", "unigram", "3-gram KN", "5-gram KN"}
    # the 5-gram baseline recomputed here, on the positions the record says were scored
    corpus = build_corpus(VERSE * 12, "char", 0.05, 0.1)
    first, end = record["data"]["scored_positions"]
    assert record["data"]["bounds"]["test"] == list(corpus.bounds["test"]) and first == corpus.bounds["test"][0] + 1
    expected = KneserNey(5, len(corpus.vocabulary)).fit(corpus.part("train")).bits(corpus.ids, first, end,
                                                                                   corpus.bounds["test"][0])
    assert record["test"]["bits"]["5-gram KN"] == pytest.approx(expected, abs=1e-12)
    assert record["test"]["perplexity"]["model"] == pytest.approx(2 ** record["test"]["bits"]["model"])
    assert json.loads((run / "vocabulary.json").read_text())[0] == "\ufffd"
    (units,) = record["units"].values()
    assert set(units) == {"line_position", "speaker_name", "in_quotes", "upper"}


def test_seqlab_generate_repeats_exactly_with_a_seed(two_runs, capsys):
    _, (run, _) = two_runs
    arguments = ["generate", str(run), "--prime", "Thou ", "--length", "60", "--temperature", "0.8"]
    assert main(arguments + ["--seed", "1"]) == 0
    first = capsys.readouterr().out
    assert main(arguments + ["--seed", "1"]) == 0
    assert capsys.readouterr().out == first and first.startswith("Thou ") and len(first) == len("Thou ") + 60 + 1
    assert main(arguments + ["--seed", "2"]) == 0
    assert capsys.readouterr().out != first
    assert first == "Thou " + generate(run, prime="Thou ", length=60, temperature=0.8, seed=1) + "\n"


def test_seqlab_generate_refuses_a_forecast_run_and_bad_options(two_runs, tmp_path, capsys):
    _, (run, _) = two_runs
    assert main(["generate", str(run), "--top-p", "1.5"]) == 2
    assert "must be in (0, 1], got 1.5" in capsys.readouterr().err
    forecast = tmp_path / "forecast-run"
    forecast.mkdir()
    (forecast / "spec.toml").write_text('name = "x"\n')
    (forecast / "status.json").write_text('{"state": "succeeded"}')
    assert main(["generate", str(forecast)]) == 1
    assert "is a 'forecast' run; seqlab generate samples from runs of task = 'generate'" in capsys.readouterr().err


def test_the_report_rebuilds_the_same_and_inspect_reads_the_test_text(two_runs, capsys):
    _, (run, _) = two_runs
    before = (run / "report.html").read_text(encoding="utf-8")
    assert main(["report", str(run)]) == 0
    assert (run / "report.html").read_text(encoding="utf-8") == before
    assert all(f'id="{key}"' in before for key in ("data", "training", "metrics", "samples", "units"))
    capsys.readouterr()
    assert main(["inspect", str(run), "--attribution", "none"]) == 0
    meta, arrays = read_page((run / "inspect.html").read_text(encoding="utf-8"))
    record = json.loads((run / "metrics.json").read_text())
    start = record["data"]["bounds"]["test"][0]
    text = (VERSE * 12)[start:start + 300]
    ids = arrays[meta["input"]["ids"]]
    vocabulary = json.loads((run / "vocabulary.json").read_text())
    assert meta["input"]["vocabulary"] == vocabulary and meta["input"]["join"] == ""
    assert "".join(vocabulary[int(i)] for i in ids[0]) == text
    assert meta["step_labels"][0] == list(text) and "test part" in meta["notes"][0]


def test_the_resolved_spec_of_a_generate_run_reads_back_under_its_task(two_runs):
    _, (run, _) = two_runs
    spec = load_spec(run / "spec.toml")
    assert spec.task == "generate" and "[data]" not in (run / "spec.toml").read_text()
    assert dump_spec(spec) == (run / "spec.toml").read_text()


def test_the_generate_demo_spec_is_valid_and_reads_a_text_that_ships_with_python(capsys):
    spec = load_spec(demo_spec_path("generate"))
    assert spec.task == "generate" and spec.text.source == "python-help"
    assert main(["demo", "--task", "generate", "--show-spec"]) == 0
    assert capsys.readouterr().out == open(demo_spec_path("generate"), encoding="utf-8").read()


@pytest.mark.parametrize("change, message", [
    (("[training]", "[windows]\nhorizon = 3\n[training]"),
     r"windows: does not apply to task = 'generate' \(its sections: name, description, task, text, model, sampling, "
     r"training, report\)"),
    (("epochs = 2", "epochs = 2\nloss = \"mse\""),
     r"training.loss: does not apply to task = 'generate' \(its training keys: batch_size, early_stopping, epochs, "
     r"learning_rate, optimizer, seed, shuffle\)"),
    (("return_sequences = true", "return_sequences = false"),
     r"model.layers\[0\]: LSTM needs return_sequences = true: a generator predicts the next token at every step"),
    (('path = "verse.txt"', 'path = "missing.txt"'), r"text.path: file 'missing.txt' does not exist"),
    (('path = "verse.txt"', 'source = "shakespeare"'), r"text.source: no text source 'shakespeare'; available: "
                                                       r"python-help, tinyshakespeare"),
    (('task = "generate"', 'task = "generation"'), r"task: must be one of 'forecast', 'classify', 'generate', "
                                                   r"got 'generation'; did you mean 'generate'\?"),
    (("[sampling]", "[sampling]\ntop_p = 0.0"), r"sampling.top_p: must be > 0.0, got 0.0"),
])
def test_spec_errors_are_one_clear_line_before_training(tmp_path, capsys, change, message):
    spec = _write(tmp_path, textwrap.dedent(SPEC).replace(*change))
    assert main(["run", str(spec), "--runs-dir", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_a_generate_spec_without_text_names_the_missing_section(tmp_path, capsys):
    spec = _write(tmp_path, 'name = "x"\ntask = "generate"\n[[model.layers]]\ntype = "LSTM"\nunits = 4\n'
                            'return_sequences = true\n')
    assert main(["run", str(spec)]) == 1
    assert "text: is required for task = 'generate'" in capsys.readouterr().err


def test_seqlab_tune_refuses_a_generate_spec_in_one_line(tmp_path, capsys):
    spec = _write(tmp_path, textwrap.dedent(SPEC).replace("units = 16", "units = {int = [8, 16]}"))
    assert main(["tune", str(spec), "--trials", "2", "--runs-dir", str(tmp_path / "runs")]) == 1
    assert "task: seqlab tune tunes task = 'forecast' specs, got task = 'generate'" in capsys.readouterr().err


def test_a_word_level_run_scores_perplexity_per_word(tmp_path, capsys):
    body = textwrap.dedent(SPEC).replace('path = "verse.txt"', 'path = "verse.txt"\nlevel = "word"').replace(
        "sequence_length = 20", "sequence_length = 8").replace("epochs = 2", "epochs = 1").replace(
        'prime = "Thou "', 'prime = "Thou art"')
    spec = _write(tmp_path, body)
    assert main(["run", str(spec), "--runs-dir", str(tmp_path / "runs"), "--quiet", "--threads", "1"]) == 0
    assert "Test cross-entropy in bits per word, and perplexity" in capsys.readouterr().out
    (run,) = (tmp_path / "runs").iterdir()
    record = json.loads((run / "metrics.json").read_text())
    vocabulary = json.loads((run / "vocabulary.json").read_text())
    assert record["unit"] == "word" and vocabulary[0] == "<unk>" and "summer's" in vocabulary and "\n" in vocabulary
    # a sample is words of the vocabulary, joined back into text
    assert set(tokenize(record["samples"][0]["text"], "word")) <= set(vocabulary)
