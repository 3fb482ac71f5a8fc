"""to_categorical: Keras's semantics, against NumPy's identity-matrix indexing."""
import numpy as np
import pytest

from seqlab.utils import to_categorical


def test_one_hot_rows_and_inferred_class_count():
    got = to_categorical([0, 2, 1, 2])
    np.testing.assert_array_equal(got, np.eye(3, dtype="float32")[[0, 2, 1, 2]])
    assert got.dtype == np.float32


def test_trailing_unit_axis_is_dropped_like_keras():
    assert to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)
    assert to_categorical(np.zeros((4, 5), dtype=int), 3).shape == (4, 5, 3)


def test_notes_mnist_labels_become_10_columns():
    labels = np.array([5, 0, 4, 1, 9])
    got = to_categorical(labels, 10)
    np.testing.assert_array_equal(got.argmax(1), labels)
    assert got.sum() == 5


@pytest.mark.parametrize(
    "labels, classes, message",
    [
        ([0, 3], 3, r"label 3 does not fit `num_classes`=3 \(labels must be in 0..2\)"),
        ([0, -1], None, r"must not hold negative labels, got -1"),
        ([0.5, 1], None, r"must hold integer class labels"),
        ([0, 1], 0, r"`num_classes` must be a positive integer, got 0"),
    ],
)
def test_bad_labels_are_named(labels, classes, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, classes)
