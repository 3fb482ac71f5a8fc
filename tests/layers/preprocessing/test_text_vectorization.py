"""TextVectorization: Keras's vocabulary order and index layout, every output mode on a tiny
corpus with hand-computed answers, the text pipeline, and a model trained on sentences that
saves its vocabulary in the file."""
import json
import math
import zipfile

import numpy as np
import pytest

import seqlab
from seqlab.layers import LSTM, Dense, Embedding, TextVectorization
from seqlab.models import Sequential, load_model

# Keras's docstring (text_vectorization.py): adapt on these three texts, then the call below.
KERAS_TEXTS = ["foo bar", "bar baz", "baz bada boom"]

# The tiny corpus of the hand-computed cases: counts b 3, a 1, c 1; ties by the token descending.
CORPUS = ["a b b", "b c"]


def _adapted(**kwargs):
    layer = TextVectorization(**kwargs)
    layer.adapt(CORPUS)
    return layer


def test_keras_docstring_example_vocabulary_order_and_ids():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(KERAS_TEXTS)
    # bar and baz twice (baz > bar), then foo > boom > bada once: Keras's answer [[4, 1, 3, 0], [1, 2, 0, 0]]
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]
    assert layer([["foo qux bar"], ["qux baz"]]).tolist() == [[4, 1, 3, 0], [1, 2, 0, 0]]


def test_keras_docstring_example_given_vocabulary():
    layer = TextVectorization(max_tokens=5000, output_sequence_length=4, vocabulary=["earth", "wind", "and", "fire"])
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["earth", "wind", "and", "fire"]
    assert layer.vocabulary_size() == 6


def test_int_mode_pads_with_0_oov_is_1_and_pads_to_the_longest_without_a_length():
    layer = _adapted()
    assert layer.get_vocabulary() == ["", "[UNK]", "b", "c", "a"]
    out = layer(["a b z", "c"])
    assert out.dtype == seqlab.layers.preprocessing.text_vectorization.torch.int64
    assert out.tolist() == [[4, 2, 1], [3, 0, 0]]
    assert _adapted(output_sequence_length=2)(["a b z", "c"]).tolist() == [[4, 2], [3, 0]]  # cut


def test_multi_hot_and_count_have_oov_at_0_and_no_mask():
    texts = ["a b b z z", "c c"]
    multi = _adapted(output_mode="multi_hot")
    assert multi.get_vocabulary() == ["[UNK]", "b", "c", "a"]
    assert multi(texts).tolist() == [[1, 1, 0, 1], [0, 0, 1, 0]]
    assert _adapted(output_mode="count")(texts).tolist() == [[2, 2, 0, 1], [0, 0, 2, 0]]
    padded = _adapted(output_mode="count", max_tokens=6, pad_to_max_tokens=True)
    assert padded(texts).shape == (2, 6)


def test_tf_idf_uses_keras_formula_and_the_mean_weight_for_oov():
    layer = _adapted(output_mode="tf_idf")
    # Keras: idf = log(1 + documents / (1 + document frequency)); 2 documents; b in 2, c and a in 1.
    idf_b, idf_c, idf_a = math.log(1 + 2 / 3), math.log(2), math.log(2)
    idf_oov = (idf_b + idf_c + idf_a) / 3
    expected = [[2 * idf_oov, 2 * idf_b, 0, idf_a], [0, 0, 2 * idf_c, 0]]
    np.testing.assert_allclose(layer(["a b b z z", "c c"]).numpy(), expected, rtol=1e-6)
    assert layer.get_config()["idf_weights"] == pytest.approx([idf_b, idf_c, idf_a])


def test_max_tokens_keeps_the_most_frequent():
    layer = TextVectorization(max_tokens=4)
    layer.adapt(KERAS_TEXTS)
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar"]


def test_standardize_split_and_ngrams():
    layer = TextVectorization()
    layer.adapt(["Hello, World!  hello."])
    assert layer.get_vocabulary() == ["", "[UNK]", "hello", "world"]
    bigrams = TextVectorization(ngrams=2)
    bigrams.adapt(["x y z"])
    # all 1-grams, then the 2-grams; each once, so by the token descending
    assert bigrams.get_vocabulary() == ["", "[UNK]", "z", "y z", "y", "x y", "x"]
    chars = TextVectorization(split="character", standardize=None)
    chars.adapt(["aab"])
    assert chars.get_vocabulary() == ["", "[UNK]", "a", "b"]
    whole = TextVectorization(split=None, standardize="lower")
    whole.adapt(["New York", "new york", "Paris"])
    assert whole.get_vocabulary() == ["", "[UNK]", "new york", "paris"]


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(output_mode="int2"), ValueError, "TextVectorization: `output_mode` must be 'int' or 'one_hot'"),
    (dict(standardize="upper"), ValueError, "TextVectorization: `standardize` must be 'lower_and_strip_punctuation'"),
    (dict(split="comma"), ValueError, "TextVectorization: `split` must be 'whitespace' or 'character', got 'comma'"),
    (dict(output_mode="count", output_sequence_length=4), ValueError,
     "TextVectorization: `output_sequence_length` is only for output_mode='int', got output_mode='count'"),
    (dict(output_sequence_length=0), ValueError, "TextVectorization: `output_sequence_length` must be a positive integer, got 0"),
    (dict(max_tokens=1), ValueError, "TextVectorization: `max_tokens` must be greater than 1"),
    (dict(ragged=True), ValueError, "TextVectorization: `ragged=True` needs TensorFlow's ragged tensors"),
    (dict(vocabulary=["a", "a"], name="tv"), ValueError, r"TextVectorization 'tv': `vocabulary` repeats the tokens \['a'\]"),
    (dict(output_mode="tf_idf", vocabulary=["a"]), ValueError, "TextVectorization: with `vocabulary` given and "
     "output_mode='tf_idf', `idf_weights` must be given too"),
    (dict(sparse=True), ValueError, "TextVectorization: `sparse=True` needs TensorFlow's sparse tensors"),
])
def test_bad_arguments_are_refused_by_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        TextVectorization(**kwargs)


def test_adapt_on_an_empty_set_names_the_layer():
    layer = TextVectorization(name="words")
    with pytest.raises(ValueError, match=r"TextVectorization 'words': `adapt` got an empty data set \(\[\]\); it "
                                         r"learns its vocabulary from the training data and needs at least one sample"):
        layer.adapt([])
    with pytest.raises(ValueError, match=r"TextVectorization 'words': `adapt` got an empty data set \(a list_iterator that "
                                         r"yielded no samples\)"):
        layer.adapt(iter([]))


def test_bad_input_is_refused_by_message():
    layer = _adapted()
    with pytest.raises(TypeError, match="TextVectorization 'text_vectorization.*' takes strings"):
        layer(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"takes one string per sample, shape \(batch,\) or \(batch, 1\); got shape \(1, 2\)"):
        _adapted()([["a", "b"]])
    with pytest.raises(RuntimeError, match="output_mode='count' needs the vocabulary before the layer is called"):
        TextVectorization(output_mode="count")(["a"])


def test_a_model_trained_on_sentences_saves_its_vocabulary_and_predicts_the_same(tmp_path):
    seqlab.utils.set_random_seed(0)
    good = ["a good film", "great acting and a good story", "i loved it", "good fun"]
    bad = ["a bad film", "terrible acting", "i hated it", "boring and bad"]
    x, y = good * 5 + bad * 5, np.array([1] * 20 + [0] * 20)
    vectorize = TextVectorization(max_tokens=30, output_sequence_length=6)
    vectorize.adapt(x)  # training data only
    model = Sequential([vectorize, Embedding(30, 8, mask_zero=True), LSTM(8), Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=25, batch_size=8, verbose=0, validation_split=0.2)
    assert history.history["loss"][-1] < history.history["loss"][0]
    probe = ["a good story", "bad acting", "unseen words here"]
    before = model.predict(probe, verbose=0)
    path = tmp_path / "text.seqlab"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        saved = json.loads(archive.read("model.json"))
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)
    assert vectorize.get_vocabulary(include_special_tokens=False) in _values(saved, "vocabulary")
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.predict(probe, verbose=0), before)
    assert loaded.layers[0].get_vocabulary() == vectorize.get_vocabulary()
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def _values(tree, key):
    """Every value stored under ``key`` anywhere in a JSON tree."""
    if isinstance(tree, dict):
        return [v for k, v in tree.items() if k == key] + [x for v in tree.values() for x in _values(v, key)]
    if isinstance(tree, list):
        return [x for v in tree for x in _values(v, key)]
    return []
