"""pad_sequences with Keras's semantics: the notes' tables and Keras's documented examples."""
import numpy as np
import pytest

import seqlab
from seqlab.data import pad_sequences, padding_mask

NOTES = [[1, 2, 3, 4], [1, 2, 3], [1]]


def test_notes_padding_tables():
    np.testing.assert_array_equal(pad_sequences(NOTES), [[1, 2, 3, 4], [0, 1, 2, 3], [0, 0, 0, 1]])
    np.testing.assert_array_equal(pad_sequences(NOTES, padding="post"), [[1, 2, 3, 4], [1, 2, 3, 0], [1, 0, 0, 0]])


def test_notes_truncation_tables():
    np.testing.assert_array_equal(pad_sequences(NOTES, maxlen=2), [[3, 4], [2, 3], [0, 1]])
    np.testing.assert_array_equal(pad_sequences(NOTES, maxlen=2, truncating="post"), [[1, 2], [1, 2], [0, 1]])


def test_keras_docstring_examples_and_defaults():
    # The examples in keras.utils.pad_sequences' docstring.
    sequence = [[1], [2, 3], [4, 5, 6]]
    out = pad_sequences(sequence)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, value=-1), [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, padding="post"), [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(sequence, maxlen=2), [[0, 1], [2, 3], [5, 6]])


def test_vector_steps_floats_empty_sequences_and_strings():
    steps = [np.ones((2, 3)), np.zeros((0, 3)), 2 * np.ones((1, 3))]
    out = pad_sequences(steps, maxlen=3, dtype="float32", padding="post", value=-1.0)
    assert out.shape == (3, 3, 3)
    np.testing.assert_array_equal(out[1], -np.ones((3, 3)))
    np.testing.assert_array_equal(out[2, 0], [2, 2, 2])
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]
    assert pad_sequences([]).shape == (0, 0)


def test_mask_marks_real_steps_even_when_they_equal_the_padding_value():
    padded, mask = pad_sequences([[0, 5], [7]], maxlen=3, return_mask=True)
    np.testing.assert_array_equal(padded, [[0, 0, 5], [0, 0, 7]])
    np.testing.assert_array_equal(mask, [[False, True, True], [False, False, True]])
    np.testing.assert_array_equal(padding_mask([[0, 5], [7, 8, 9, 10]], maxlen=3, padding="post"),
                                  [[True, True, False], [True, True, True]])


def test_keras_paths():
    assert seqlab.utils.pad_sequences is pad_sequences
    from seqlab.preprocessing.sequence import pad_sequences as keras_path
    assert keras_path is pad_sequences


def test_padding_errors():
    with pytest.raises(ValueError, match=r"`padding` must be 'pre' or 'post', got 'middle'"):
        pad_sequences(NOTES, padding="middle")
    with pytest.raises(ValueError, match=r"`truncating` must be 'pre' or 'post', got 'both'"):
        pad_sequences([], truncating="both")
    with pytest.raises(ValueError, match=r"sequence 0 holds 1.5, which `dtype` int32 cannot hold \(not an integer\); "
                                         r"pass dtype='float32'"):
        pad_sequences([[1.5, 2.0]])
    with pytest.raises(ValueError, match=r"padding `value`=0.5 cannot be held by `dtype` int32 \(not an integer\)"):
        pad_sequences([[1]], value=0.5)
    with pytest.raises(ValueError, match=r"sequence 1 has steps of shape \(3,\), the first non-empty sequence \(2,\)"):
        pad_sequences([np.ones((2, 2)), np.ones((2, 3))], dtype="float32")
    with pytest.raises(TypeError, match=r"item 1 is 5"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"`maxlen` must be a positive integer, got 0"):
        pad_sequences(NOTES, maxlen=0)


def test_values_an_integer_dtype_cannot_hold_are_refused_with_the_sequence_and_value():
    # Casting would turn 300 into 44 (int8 wraps) and NaN into an arbitrary integer, silently.
    with pytest.raises(ValueError, match=r"sequence 1 holds 300, which `dtype` int8 cannot hold "
                                         r"\(outside its range \[-128, 127\]\); pass a wider dtype such as 'int64'"):
        pad_sequences([[1, 2], [3, 300]], dtype="int8")
    with pytest.raises(ValueError, match=r"sequence 0 holds -1, which `dtype` uint8 cannot hold "
                                         r"\(outside its range \[0, 255\]\)"):
        pad_sequences([np.array([-1, 5])], dtype="uint8")
    with pytest.raises(ValueError, match=r"sequence 1 holds nan, which `dtype` int32 cannot hold \(not finite\); "
                                         r"pass dtype='float32'"):
        pad_sequences([[1.0], [2.0, np.nan]])
    with pytest.raises(ValueError, match=r"sequence 0 holds -inf, which `dtype` int64 cannot hold \(not finite\)"):
        pad_sequences([[-np.inf]], dtype="int64")
    # 2**63 is the first float64 past int64's maximum; comparing in float64 would let it through.
    with pytest.raises(ValueError, match=r"sequence 0 holds 9.223372036854776e\+18, which `dtype` int64 cannot "
                                         r"hold \(outside its range .*\); pass dtype='uint64'"):
        pad_sequences([[2.0 ** 63]], dtype="int64")
    with pytest.raises(ValueError, match=r"sequence 0 holds values that do not fit `dtype` float32"):
        pad_sequences([[2 ** 5000]], dtype="float32")  # beyond any float: Python's OverflowError, named


def test_a_padding_value_the_dtype_cannot_hold_is_refused():
    with pytest.raises(ValueError, match=r"padding `value`=nan cannot be held by `dtype` int32 \(not finite\)"):
        pad_sequences([[1]], value=np.nan)
    with pytest.raises(ValueError, match=r"padding `value`=1000 cannot be held by `dtype` int8 "
                                         r"\(outside its range \[-128, 127\]\)"):
        pad_sequences([[1]], dtype="int8", value=1000)
    with pytest.raises(ValueError, match=r"padding `value`=-1 cannot be held by `dtype` uint8"):
        pad_sequences([[1]], dtype="uint8", value=-1)


def test_values_at_the_edges_of_the_dtype_are_kept():
    np.testing.assert_array_equal(pad_sequences([[127, -128], [5]], dtype="int8", value=-128),
                                  [[127, -128], [-128, 5]])
    assert pad_sequences([[2.0, 3.0]], dtype="uint8").dtype == np.uint8  # whole floats still convert
    assert np.isnan(pad_sequences([[1.0]], maxlen=2, dtype="float32", value=np.nan)[0, 0])


def test_the_mask_is_what_a_masking_layer_computes_from_the_padded_batch():
    import torch

    from seqlab.layers import Masking

    sequences = [np.full((3, 2), 1.5), np.full((1, 2), -2.0), np.full((2, 2), 4.0)]
    padded, mask = pad_sequences(sequences, dtype="float32", padding="post", return_mask=True)
    layer_mask = Masking(mask_value=0.0).compute_mask(torch.from_numpy(padded), None)
    np.testing.assert_array_equal(layer_mask.numpy(), mask)


def test_object_complex_and_time_values_are_checked_too():
    from decimal import Decimal
    from fractions import Fraction

    for sequence, shown in (([Fraction(3, 2)], r"Fraction\(3, 2\)"), ([Decimal("1.5")], r"Decimal\('1.5'\)"),
                            (np.array([2, 1.5], dtype=object), "1.5")):
        with pytest.raises(ValueError, match=rf"sequence 0 holds {shown}, which `dtype` int32 cannot hold "
                                             r"\(not an integer\)"):
            pad_sequences([sequence])
    with pytest.raises(ValueError, match=r"holds nan, which `dtype` int32 cannot hold \(not finite\)"):
        pad_sequences([np.array([np.nan], dtype=object)])
    with pytest.raises(ValueError, match=r"holds \(1\+2j\), which `dtype` int32 cannot hold \(a complex number\)"):
        pad_sequences([[1 + 2j]])
    with pytest.raises(ValueError, match=r"\(a timedelta64\[s\] value\); convert it to numbers first"):
        pad_sequences([np.array([1000], dtype="timedelta64[s]")], dtype="int8")
    with pytest.raises(ValueError, match=r"holds 1180591620717411303424, .*; pass dtype=object"):
        pad_sequences([[2**70]], dtype="int64")
    # whole Python numbers of any type, up to the dtype's exact edge, are kept
    assert pad_sequences([[2**63 - 1, Fraction(4, 2)]], dtype="int64").tolist() == [[2**63 - 1, 2]]
