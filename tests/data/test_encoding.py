"""Encoding with scikit-learn's LabelEncoder/OneHotEncoder: the notes' 'cold/warm/hot' example."""
import numpy as np
import pytest
from sklearn.preprocessing import LabelEncoder, OneHotEncoder

from seqlab.data import decode_onehot, encode_labels, from_categorical, to_categorical

VALUES = np.array(["cold", "warm", "cold", "hot", "warm", "warm", "hot"])
# The notes' printed results.
NOTES_CODES = [0, 2, 0, 1, 2, 2, 1]
NOTES_ONEHOT = [[1, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 1, 0]]


def test_notes_cold_warm_hot_with_scikit_learn_and_to_categorical():
    encoder = LabelEncoder()
    codes = encoder.fit_transform(VALUES)
    np.testing.assert_array_equal(codes, NOTES_CODES)
    onehot_sklearn = OneHotEncoder(sparse_output=False, categories="auto").fit_transform(codes.reshape(-1, 1))
    np.testing.assert_array_equal(onehot_sklearn, NOTES_ONEHOT)
    np.testing.assert_array_equal(to_categorical(codes), NOTES_ONEHOT)
    assert encoder.inverse_transform([np.argmax(onehot_sklearn[0, :])]).tolist() == ["cold"]


def test_encode_and_decode_labels():
    onehot, encoder = encode_labels(VALUES)
    assert onehot.dtype == np.float32
    np.testing.assert_array_equal(onehot, NOTES_ONEHOT)
    assert decode_onehot(onehot, encoder).tolist() == VALUES.tolist()
    assert decode_onehot(onehot[:1], encoder).tolist() == ["cold"]
    # Class scores (a softmax output) decode through their argmax.
    assert decode_onehot(np.array([[0.2, 0.5, 0.3]]), encoder).tolist() == ["hot"]
    sk = OneHotEncoder(sparse_output=False).fit(VALUES.reshape(-1, 1))
    assert decode_onehot(sk.transform(VALUES.reshape(-1, 1)), sk).tolist() == VALUES.tolist()
    again, _ = encode_labels(["hot"], encoder=encoder)
    np.testing.assert_array_equal(again, [[0, 1, 0]])


def test_from_categorical_is_argmax_on_any_leading_shape():
    scores = np.random.default_rng(0).random((4, 3, 5))
    np.testing.assert_array_equal(from_categorical(scores), scores.argmax(-1))
    np.testing.assert_array_equal(from_categorical(to_categorical([3, 0, 2], 4)), [3, 0, 2])


def test_encoding_errors():
    _, encoder = encode_labels(VALUES)
    with pytest.raises(ValueError, match=r"values \['mild'\] are not among the encoder's classes"):
        encode_labels(["mild"], encoder=encoder)
    with pytest.raises(ValueError, match=r"`onehot` has 4 classes, the encoder 3"):
        decode_onehot(np.eye(4), encoder)
    with pytest.raises(ValueError, match=r"must be 1-D \(samples,\), got shape \(2, 2\)"):
        encode_labels([["a", "b"], ["c", "d"]])
