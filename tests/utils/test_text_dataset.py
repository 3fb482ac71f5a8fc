"""text_dataset_from_directory: Keras's folder layout, label modes, split and shuffle, and a
text model trained on it by fit."""
import numpy as np
import pytest

import seqlab
from seqlab.layers import Dense, Embedding, GlobalAveragePooling1D, TextVectorization
from seqlab.models import Sequential
from seqlab.utils import text_dataset_from_directory


@pytest.fixture
def corpus(tmp_path):
    texts = {"neg": ["bad film", "awful plot", "boring and bad", "i hated it"],
             "pos": ["good film", "great plot", "fun and good", "i loved it", "lovely"]}
    for label, items in texts.items():
        (tmp_path / label).mkdir()
        for i, text in enumerate(items):
            (tmp_path / label / f"{i:02d}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "pos" / "notes.md").write_text("not a sample")
    (tmp_path / "pos" / "more").mkdir()
    (tmp_path / "pos" / "more" / "x.txt").write_text("good good good")
    return tmp_path


def _everything(ds):
    texts, labels = zip(*ds)
    return np.concatenate(texts), np.concatenate(labels)


def test_folders_give_labels_in_alphanumeric_order(corpus, capsys):
    ds = text_dataset_from_directory(corpus, shuffle=False, batch_size=4)
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["neg", "pos"] and len(ds) == 3
    texts, labels = _everything(ds)
    assert texts[:4].tolist() == ["bad film", "awful plot", "boring and bad", "i hated it"]
    assert labels.tolist() == [0] * 4 + [1] * 6 and labels.dtype == np.int32
    assert texts[-1] == "good good good"  # files in sub-folders count, .md files do not


def test_label_modes_class_names_and_max_length(corpus):
    categorical = text_dataset_from_directory(corpus, label_mode="categorical", shuffle=False, verbose=False)
    assert _everything(categorical)[1][0].tolist() == [1.0, 0.0]
    binary = text_dataset_from_directory(corpus, label_mode="binary", shuffle=False, verbose=False)
    assert _everything(binary)[1].shape == (10, 1)
    flipped = text_dataset_from_directory(corpus, class_names=["pos", "neg"], shuffle=False, verbose=False,
                                          max_length=4)
    texts, labels = _everything(flipped)
    assert labels[0] == 0 and texts[0] == "good" and flipped.class_names == ["pos", "neg"]
    alone = text_dataset_from_directory(corpus, labels=None, shuffle=False, verbose=False)
    assert len(np.concatenate(list(alone))) == 10


def test_validation_split_is_disjoint_and_seeded(corpus, capsys):
    train, val = text_dataset_from_directory(corpus, validation_split=0.3, subset="both", seed=1, batch_size=2)
    out = capsys.readouterr().out
    assert "Using 7 files for training." in out and "Using 3 files for validation." in out
    assert set(train.file_paths).isdisjoint(val.file_paths) and len(train.file_paths) + len(val.file_paths) == 10
    again = text_dataset_from_directory(corpus, validation_split=0.3, subset="validation", seed=1, verbose=False)
    assert again.file_paths == val.file_paths
    texts, labels = _everything(train)
    for text, label in zip(texts, labels):  # shuffling keeps each text with its label
        assert ("good" in text or "great" in text or "loved" in text or "lovely" in text) == bool(label)


@pytest.mark.parametrize("kwargs, message", [
    (dict(label_mode="sparse"), "`label_mode` must be 'int' or 'categorical' or 'binary' or None"),
    (dict(validation_split=0.2, subset="training"), "with `validation_split` and shuffle=True, give a `seed`"),
    (dict(validation_split=0.2, seed=1, subset="test"), "`subset` must be 'training' or 'validation' or 'both'"),
    (dict(subset="training"), "`subset` needs `validation_split`"),
    (dict(validation_split=1.5, seed=1, subset="training"), r"`validation_split` must be a number in \(0, 1\), got 1.5"),
    (dict(class_names=["pos", "other"]), r"`class_names` \['pos', 'other'\] must name folders"),
    (dict(labels=[0, 1]), "`labels` has 2 entries, but 10 .txt files were found"),
])
def test_bad_arguments_are_refused_by_message(corpus, kwargs, message):
    with pytest.raises(ValueError, match="text_dataset_from_directory: " + message):
        text_dataset_from_directory(corpus, verbose=False, **kwargs)


def test_an_empty_folder_and_a_missing_one(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="no text files found in .* \\(allowed format: .txt\\)"):
        text_dataset_from_directory(tmp_path, verbose=False)
    with pytest.raises(ValueError, match="`directory` must be an existing folder"):
        text_dataset_from_directory(tmp_path / "missing", verbose=False)


def test_fit_takes_the_dataset(corpus):
    seqlab.utils.set_random_seed(0)
    train = text_dataset_from_directory(corpus, batch_size=4, seed=3, verbose=False)
    vectorize = TextVectorization(max_tokens=40, output_sequence_length=5)
    vectorize.adapt(train.texts)
    model = Sequential([vectorize, Embedding(40, 4), GlobalAveragePooling1D(), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    history = model.fit(train, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3
    assert model.predict(["good film"], verbose=0).shape == (1, 1)


def test_keras_alias():
    assert seqlab.preprocessing.text_dataset_from_directory is text_dataset_from_directory
