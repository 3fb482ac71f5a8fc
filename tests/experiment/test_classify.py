"""task = "classify": readers, the leak-free preparation, the baselines against scikit-learn,
spec errors by message, a seeded run that repeats, predict and the inspect reader."""
import importlib.util
import os
import re

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils.class_weight import compute_class_weight

from seqlab.cli.main import main
from seqlab.experiment import load_spec
from seqlab.experiment.classify import baselines, scores
from seqlab.experiment.classify.prepare import balanced_weights, numbers_to_input, stratified_parts
from seqlab.experiment.classify.sources import read_long, read_packaged, read_polarity, read_sentences, read_ts
from seqlab.experiment.errors import SpecError
from seqlab.experiment.inspection import RUN_INPUTS
from seqlab.experiment.predict import predict_file
from seqlab.experiment.runner import run_experiment

def _numbers(n=40, steps=12):
    # two classes: a rising or a falling ramp plus noise (seeded)
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    ramp = np.linspace(-1, 1, steps)
    x = np.where(y[:, None] == 1, ramp, -ramp) + rng.normal(0, 0.3, (n, steps))
    return x, y


def test_nearest_neighbour_and_logistic_match_scikit_learn():
    x, y = _numbers()
    x_train, y_train, x_test = x[:30, :, None], y[:30], x[30:, :, None]
    ours = baselines.nearest_neighbour(x_train, y_train, x_test, 2)
    reference = KNeighborsClassifier(1, metric="euclidean").fit(x[:30], y_train).predict(x[30:])
    np.testing.assert_array_equal(ours.argmax(1), reference)
    ours = baselines.logistic(x_train, y_train, x_test, 2, seed=0)
    np.testing.assert_allclose(ours, LogisticRegression(max_iter=2000, random_state=0).fit(x[:30], y_train)
                               .predict_proba(x[30:]), rtol=1e-10)


def test_tfidf_logistic_matches_scikit_learn_and_majority_is_the_train_mode():
    train = ["good film", "great fun", "bad plot", "awful acting", "good fun", "bad film"]
    y_train = np.array([1, 1, 0, 0, 1, 0])
    test = ["great film", "awful plot"]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    reference = LogisticRegression(max_iter=2000, random_state=0).fit(vectorizer.fit_transform(train), y_train)
    np.testing.assert_allclose(baselines.tfidf_logistic(train, y_train, test, 2),
                               reference.predict_proba(vectorizer.transform(test)), rtol=1e-10)
    np.testing.assert_array_equal(baselines.majority(np.array([2, 0, 2, 1]), 3, 3), [[0, 0, 1]] * 3)


def test_scores_match_scikit_learn_definitions():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.1, 0.9]])
    got = scores.score(y, p)
    assert got["accuracy"] == pytest.approx(0.6)
    assert got["balanced_accuracy"] == pytest.approx(sk.balanced_accuracy_score(y, p.argmax(1)))
    assert got["macro_f1"] == pytest.approx(sk.f1_score(y, p.argmax(1), average="macro"))
    assert got["log_loss"] == pytest.approx(-np.mean(np.log(p[np.arange(5), y])))


def test_stratified_split_keeps_the_class_proportions():
    labels = np.array(["a"] * 80 + ["b"] * 20)
    parts = stratified_parts(labels, validation=0.2, test=0.2, seed=3)
    assert {k: len(v) for k, v in parts.items()} == {"train": 60, "validation": 20, "test": 20}
    for part in parts.values():
        assert (labels[part] == "b").mean() == pytest.approx(0.2)
    assert len(set(np.concatenate(list(parts.values())))) == 100  # disjoint, all used


def test_ts_reader_reads_dimensions_labels_and_unequal_lengths(tmp_path):
    path = tmp_path / "toy.ts"
    path.write_text("@problemName toy\n@univariate false\n@classLabel true a b\n@data\n"
                    "1,2,3:4,5,6:a\n7,8:9,?:b\n")
    samples = read_ts(path)
    assert samples.x.shape == (2, 3, 2) and list(samples.labels) == ["a", "b"]
    np.testing.assert_array_equal(samples.x[0], [[1, 4], [2, 5], [3, 6]])
    assert np.isnan(samples.x[1, 1, 1]) and np.isnan(samples.x[1, 2]).all()


def _sentences(tmp_path, extra_test_word=False):
    lines = [f"good nice film {i}\t1" if i % 2 else f"bad poor film {i}\t0" for i in range(40)]
    (tmp_path / "s.txt").write_text("\n".join(lines) + "\n")
    return tmp_path / "s.txt"


SPEC_TEXT = """name = "toy"
task = "classify"
[data]
path = "{path}"
[classify]
{classify}
[[model.layers]]
{first}
[[model.layers]]
type = "Dense"
units = 2
activation = "softmax"
[training]
epochs = 3
batch_size = 8
"""


def _spec(tmp_path, path, first='type = "LSTM"\nunits = 4', classify="", extra=""):
    text = SPEC_TEXT.format(path=path, first=first, classify=classify) + extra
    (tmp_path / "spec.toml").write_text(text)
    return load_spec(tmp_path / "spec.toml")


def _wide(tmp_path):
    x, y = _numbers()
    frame = pd.DataFrame(x, columns=[f"t{i}" for i in range(x.shape[1])])
    frame["label"] = np.where(y == 1, "up", "down")
    frame.to_csv(tmp_path / "wide.csv", index=False)
    return tmp_path / "wide.csv"


def test_seeded_run_repeats_exactly_and_predict_gives_labels_and_probabilities(tmp_path):
    path = _wide(tmp_path)
    spec = _spec(tmp_path, path)
    first = run_experiment(spec, runs_dir=tmp_path / "a", quiet=True)
    second = run_experiment(spec, runs_dir=tmp_path / "b", quiet=True)
    a = pd.read_csv(first.run.file("predictions.csv"))
    pd.testing.assert_frame_equal(a, pd.read_csv(second.run.file("predictions.csv")))
    assert first.metrics["test"] == second.metrics["test"]
    assert set(first.metrics["test"]) == {"model", "majority", "logistic", "nearest_neighbour"}
    assert "beat" in first.verdicts[0]
    new = predict_file(first.run.path, path)
    assert list(new.columns) == ["sample", "predicted", "p_down", "p_up", "true"]
    np.testing.assert_allclose(new[["p_down", "p_up"]].sum(axis=1), 1.0, rtol=1e-5)
    # the run's own test samples get the probabilities the run recorded
    own = new.iloc[a["sample"]].reset_index(drop=True)
    np.testing.assert_allclose(own["p_up"], a["p_up"], rtol=1e-5)
    written = open(first.run.file("report.html"), encoding="utf-8").read()
    assert main(["report", str(first.run.path)]) == 0  # seqlab report redraws it from the folder alone
    rebuilt = open(first.run.file("report.html"), encoding="utf-8").read()
    assert rebuilt.count("<img ") == written.count("<img ") == 6  # loss, confusion, ROC/PR, wrong, 2 gate maps
    assert re.sub(r"base64,[^\"]+", "", rebuilt) == re.sub(r"base64,[^\"]+", "", written)
    explorer = RUN_INPUTS["classify"](first.run, load_spec(first.run.file("spec.toml")))
    assert explorer.x.shape == (len(a), 12, 1) and list(explorer.y) == [0 if t == "down" else 1 for t in a["true"]]
    assert main(["inspect", str(first.run.path), "--attribution", "none"]) == 0  # the explorer page of the run
    assert os.path.getsize(first.run.file("inspect.html")) > 10_000


def test_text_vocabulary_is_built_on_train_only(tmp_path):
    path = _sentences(tmp_path)
    spec = _spec(tmp_path, path, first='type = "Embedding"\ninput_dim = 200\noutput_dim = 4\n'
                 '[[model.layers]]\ntype = "LSTM"\nunits = 4', classify="length = 5")
    result = run_experiment(spec, runs_dir=tmp_path / "runs", quiet=True)
    transform = result.run.read_json("transform.json")
    predictions = pd.read_csv(result.run.file("predictions.csv"))
    test_numbers = {s.split()[-1] for s in predictions["sentence"]}
    assert test_numbers and not test_numbers & set(transform["tokens"])  # "film 17": 17 only in test
    assert transform["tokens"][:2] == ["", "[UNK]"]
    (tmp_path / "new.txt").write_text("good nice film 17\nzzz unseen words\n")
    new = predict_file(result.run.path, tmp_path / "new.txt")
    assert len(new) == 2 and "true" not in new.columns
    assert set(result.metrics["test"]) == {"model", "majority", "tfidf_logistic"}


@pytest.mark.parametrize("extra, message", [
    ("[windows]\nhorizon = 3\n", r"windows: does not apply to task = 'classify' \(its sections: "),
    ("[training.x]\n", r"training\.x: does not apply"),
])
def test_task_incompatible_keys_are_one_clear_error(tmp_path, extra, message):
    with pytest.raises(SpecError, match=message):
        _spec(tmp_path, _wide(tmp_path), extra=extra)


def test_classify_spec_errors_by_message(tmp_path):
    (tmp_path / "bad.toml").write_text('task = "classify"\n[data]\nsource = "gunpont"\n[[model.layers]]\n'
                                       'type = "Dense"\nunits = 2\n')
    with pytest.raises(SpecError, match=r"did you mean 'gunpoint'.*(?s:.*)Dense\(units = <number of classes>, "
                                        r"activation = \"softmax\"\)"):
        load_spec(tmp_path / "bad.toml")
    (tmp_path / "task.toml").write_text('task = "clasify"\n')
    with pytest.raises(SpecError, match=r"task: must be one of 'forecast', 'classify', 'generate', got 'clasify'"):
        load_spec(tmp_path / "task.toml")
    (tmp_path / "fc.toml").write_text('[data]\nsource = "aapl"\ntargets = ["Close"]\n[classify]\nlength = 3\n'
                                      '[[model.layers]]\ntype = "Dense"\nunits = 1\n')
    with pytest.raises(SpecError, match=r"classify: does not apply to task = 'forecast'"):
        load_spec(tmp_path / "fc.toml")


def test_model_output_must_match_the_classes(tmp_path):
    path = _wide(tmp_path)
    text = SPEC_TEXT.format(path=path, first='type = "LSTM"\nunits = 4', classify="").replace("units = 2", "units = 3")
    (tmp_path / "spec.toml").write_text(text)
    with pytest.raises(SpecError, match=r"2 classes \(down, up\) need one probability each; end with Dense\(units = 2"):
        run_experiment(load_spec(tmp_path / "spec.toml"), runs_dir=tmp_path / "runs", quiet=True)


def test_cli_says_a_task_incompatible_key_in_one_line_and_exits_1(tmp_path, capsys):
    path = _wide(tmp_path)
    (tmp_path / "spec.toml").write_text(SPEC_TEXT.format(path=path, first='type = "LSTM"\nunits = 4', classify="")
                                        + "[windows]\nhorizon = 3\n")
    assert main(["run", str(tmp_path / "spec.toml"), "--runs-dir", str(tmp_path / "runs")]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and re.search(r"line 17: windows: does not apply to task = 'classify'", error)
    assert not (tmp_path / "runs").exists()  # refused before any run folder or training


def test_long_csv_and_padding_keep_each_sample_in_order(tmp_path):
    rows = [("s2", 1, 5.0, "b"), ("s1", 2, 2.0, "a"), ("s1", 1, 1.0, "a"), ("s2", 0, 4.0, "b"), ("s1", 0, 0.0, "a")]
    pd.DataFrame(rows, columns=["sample_id", "t", "v", "label"]).to_csv(tmp_path / "long.csv", index=False)
    samples = read_long(tmp_path / "long.csv", "sample_id", "t", "label")
    assert list(samples.labels) == ["b", "a"] and samples.features == ["v"]
    np.testing.assert_array_equal(samples.x[:, :, 0], [[4, 5, np.nan], [0, 1, 2]])
    transform = {"center": [0.0], "scale": [1.0], "length": 4, "padding": "pre", "truncating": "post"}
    np.testing.assert_array_equal(numbers_to_input(samples.x, transform)[:, :, 0], [[0, 0, 4, 5], [0, 0, 1, 2]])
    transform.update(length=2, padding="post", truncating="pre")  # keep the last 2 steps
    np.testing.assert_array_equal(numbers_to_input(samples.x, transform)[:, :, 0], [[4, 5], [1, 2]])


def test_packaged_ucr_sets_are_read_with_their_own_split():
    if importlib.util.find_spec("sktime") is None:
        if os.environ.get("CI"):
            pytest.fail("sktime (the dev extra) is required in CI: it holds the UCR/UEA files")
        pytest.skip("sktime is not installed (pip install 'seqlab[datasets]')")
    gunpoint = read_packaged("gunpoint")
    # GunPoint's published shape: 50 train + 150 test series of 150 steps, classes "1" and "2"
    assert gunpoint.x.shape == (200, 150, 1) and int(gunpoint.given_test.sum()) == 150
    assert sorted(set(gunpoint.labels)) == ["1", "2"]
    vowels = read_packaged("japanesevowels")  # 270 + 370 samples of 12 features, 7..29 steps
    assert vowels.x.shape[0] == 640 and vowels.x.shape[2] == 12 and np.isnan(vowels.x).any()


def test_class_weights_are_scikit_learns_balanced_weights():
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1, 2])
    reference = compute_class_weight("balanced", classes=np.arange(3), y=y)
    assert balanced_weights(y, 3) == pytest.approx(dict(enumerate(reference)))


def test_sentence_and_polarity_readers(tmp_path):
    (tmp_path / "pos").write_text("a fine film\n\nwarm and funny\n")
    (tmp_path / "neg").write_text("dull\n")
    samples = read_polarity(tmp_path / "pos", tmp_path / "neg")
    assert samples.x == ["a fine film", "warm and funny", "dull"] and list(samples.labels) == ["pos", "pos", "neg"]
    (tmp_path / "s.txt").write_text("Loved it.\t1\nno label here\n")
    with pytest.raises(ValueError, match=r"s\.txt, line 2: expected 'sentence<TAB>label', got 'no label here'"):
        read_sentences(tmp_path / "s.txt")


def test_a_misspelt_classify_key_is_named_with_a_suggestion(tmp_path):
    with pytest.raises(SpecError, match=r"classify\.lenght: unknown key; did you mean 'length'\?"):
        _spec(tmp_path, _wide(tmp_path), classify="lenght = 3")
    with pytest.raises(SpecError, match=r"classify\.negative_path: is needed by format = 'polarity'"):
        _spec(tmp_path, _wide(tmp_path), classify='format = "polarity"')
