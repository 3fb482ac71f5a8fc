"""StringLookup and IntegerLookup against the examples of Keras's docstrings
(string_lookup.py, integer_lookup.py): the expected arrays are Keras's."""
import numpy as np
import pytest
import torch

from seqlab.layers import Dense, Embedding, Flatten, IntegerLookup, StringLookup
from seqlab.models import Sequential

VOCAB = ["a", "b", "c", "d"]
DATA = [["a", "c", "d"], ["d", "z", "b"]]


def test_string_lookup_keras_examples():
    assert StringLookup(vocabulary=VOCAB)(DATA).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    assert StringLookup(vocabulary=VOCAB, mask_token="")([["a", "c", "d"], ["", "z", "b"]]).tolist() == \
        [[2, 4, 5], [0, 1, 3]]  # Keras: the mask takes 0, OOV 1
    multi = StringLookup(vocabulary=VOCAB, output_mode="multi_hot")([["a", "c", "d", "d"], ["d", "z", "b", "z"]])
    assert multi.tolist() == [[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]]
    counts = StringLookup(vocabulary=VOCAB, output_mode="count")([["a", "c", "d", "d"], ["d", "z", "b", "z"]])
    assert counts.tolist() == [[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]]
    one_hot = StringLookup(vocabulary=VOCAB, output_mode="one_hot")(["a", "b", "c", "d", "z"])
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(5)[[1, 2, 3, 4, 0]])
    tf_idf = StringLookup(vocabulary=VOCAB, output_mode="tf_idf", idf_weights=[0.25, 0.75, 0.6, 0.4])
    np.testing.assert_allclose(tf_idf([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).numpy(),
                               [[0.0, 0.25, 0.0, 0.6, 0.8], [1.0, 0.0, 0.75, 0.0, 0.4]], rtol=1e-6)
    inverse = StringLookup(vocabulary=VOCAB, invert=True)([[1, 3, 4], [4, 0, 2]])
    assert inverse.tolist() == [["a", "c", "d"], ["d", "[UNK]", "b"]]


def test_string_lookup_several_oov_indices_hash_into_the_oov_range():
    ids = StringLookup(vocabulary=VOCAB, num_oov_indices=2)(DATA)
    assert ids[0].tolist() == [2, 4, 5] and ids[1, 0] == 5 and ids[1, 2] == 3
    assert ids[1, 1] in (0, 1)  # Keras hashes with FarmHash (0 there); seqlab with CRC-32 (documented)


def test_integer_lookup_keras_examples():
    data = [[12, 1138, 42], [42, 1000, 36]]
    assert IntegerLookup(vocabulary=[12, 36, 1138, 42])(data).tolist() == [[1, 3, 4], [4, 0, 2]]
    layer = IntegerLookup()
    layer.adapt(data)
    assert layer.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]
    assert IntegerLookup(vocabulary=[12, 36, 1138, 42], num_oov_indices=2)(
        [[12, 1138, 42], [37, 1000, 36]]).tolist() == [[2, 4, 5], [1, 0, 3]]  # floormod, as Keras
    assert IntegerLookup(vocabulary=[12, 36, 1138, 42], mask_token=0)([[12, 0, 42]]).tolist() == [[2, 0, 5]]
    inverse = IntegerLookup(vocabulary=[12, 36, 1138, 42], invert=True)(torch.tensor([[1, 3, 4], [4, 0, 2]]))
    assert inverse.tolist() == [[12, 1138, 42], [42, -1, 36]]


def test_max_tokens_cuts_the_adapted_vocabulary_after_the_special_tokens():
    layer = StringLookup(max_tokens=3, mask_token="")
    layer.adapt([["x", "x", "y", "z", "z", "z"]])
    assert layer.get_vocabulary() == ["", "[UNK]", "z"]


def test_set_vocabulary_recognises_special_tokens_at_its_start():
    layer = StringLookup(mask_token="")
    layer.set_vocabulary(["", "[UNK]", "p", "q"])
    assert layer.get_vocabulary() == ["", "[UNK]", "p", "q"]


@pytest.mark.parametrize("make, error, message", [
    (lambda: StringLookup(num_oov_indices=-1), ValueError, "StringLookup: `num_oov_indices` must be a non-negative integer, got -1"),
    (lambda: StringLookup(invert=True, output_mode="count"), ValueError, "`invert=True` needs output_mode='int'"),
    (lambda: StringLookup(pad_to_max_tokens=True), ValueError, "`pad_to_max_tokens=True` needs `max_tokens`"),
    (lambda: StringLookup(idf_weights=[1.0]), ValueError, "`idf_weights` is only for output_mode='tf_idf'"),
    (lambda: StringLookup(sparse=True), ValueError, "`sparse=True` needs TensorFlow's sparse tensors"),
    (lambda: StringLookup(vocabulary="vocab.txt"), TypeError, "vocabulary files are not read"),
    (lambda: StringLookup(max_tokens=3, vocabulary=VOCAB), ValueError, "the vocabulary has 5 indices"),
    (lambda: StringLookup(mask_token="", vocabulary=["a", ""]), ValueError, "holds the mask_token ''"),
    (lambda: StringLookup(oov_token=3), TypeError, "StringLookup: `oov_token` must be a string or None, got 3"),
    (lambda: IntegerLookup(mask_token="0"), TypeError, "IntegerLookup: `mask_token` must be an integer or None"),
    (lambda: IntegerLookup(vocabulary=[1, 2], num_oov_indices=0)([[3]]), ValueError,
     r"with num_oov_indices=0 every input must be in the vocabulary, found OOV values \[3\]"),
    (lambda: IntegerLookup(vocabulary=[1, 2])(np.array([0.5])), TypeError, "takes integers, got an array of float64 with fractional"),
    (lambda: StringLookup(vocabulary=VOCAB)(np.array([1, 2])), TypeError, "takes strings, got an array of int64"),
])
def test_bad_arguments_and_inputs_are_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("layer", [StringLookup(name="tokens"), IntegerLookup(name="tokens")])
def test_adapt_on_an_empty_set_names_the_layer(layer):
    with pytest.raises(ValueError, match=f"{type(layer).__name__} 'tokens': `adapt` got an empty data set"):
        layer.adapt(np.array([]))


def test_a_model_starting_with_string_lookup_trains_on_strings():
    model = Sequential([StringLookup(vocabulary=VOCAB), Embedding(5, 2), Flatten(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.array([["a", "b"], ["c", "z"], ["d", "d"]]), np.array([1.0, 0.0, 1.0]), epochs=2,
                        batch_size=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict([["a", "q"]], verbose=0).shape == (1, 1)
