"""The output-size formula W2 = (W1 - F + 2P)/S + 1: by hand, against real outputs, against the probe."""
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab.layers import AveragePooling1D, Conv1D, Conv2D, MaxPooling2D
from seqlab.layers.base import probe_output_shape
from seqlab.layers.convolutional.arithmetic import output_length, output_spatial_shape, padding_amounts


def test_the_notes_and_cs231n_examples():
    # cs231n (cited by the notes): 7x7 input, 3x3 filter, stride 1, pad 0 -> 5; stride 2 -> 3;
    # pad 1 ('same' for F=3) keeps 7: (7 - 3 + 2) / 1 + 1.
    assert output_length(7, 3, 1, "valid") == 5
    assert output_length(7, 3, 2, "valid") == 3
    assert output_length(7, 3, 1, "same") == 7
    # The notes' MNIST net: 28 -conv3-> 26 -pool2-> 13 -conv3-> 11 -pool2-> 5 (floor of 5.5)
    assert [output_length(28, 3, 1, "valid"), output_length(26, 2, 2, "valid"),
            output_length(13, 3, 1, "valid"), output_length(11, 2, 2, "valid")] == [26, 13, 11, 5]
    assert output_length(None, 3, 1, "valid") is None


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), d=st.integers(1, 3))
def test_padding_modes_give_their_documented_lengths(n, k, s, d):
    extent = d * (k - 1) + 1
    valid = output_length(n, k, s, "valid", d)
    assert valid == math.floor((n - extent) / s) + 1  # the notes' formula with P = 0, F = extent
    assert output_length(n, k, s, "same", d) == math.ceil(n / s)
    assert output_length(n, k, s, "causal", d) == math.ceil(n / s)
    left, right = padding_amounts(n, k, s, "same", d)
    assert 0 <= right - left <= 1  # Keras: an odd total puts the extra zero on the right
    assert padding_amounts(n, k, s, "causal", d) == (extent - 1, 0)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 12), w=st.integers(1, 12), k=st.integers(1, 4), s=st.integers(1, 3),
       d=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]))
def test_compute_output_shape_equals_the_real_output_and_the_probe(h, w, k, s, d, padding):
    layer = Conv2D(2, k, strides=s, padding=padding, dilation_rate=d)
    extent = d * (k - 1) + 1
    if padding == "valid" and (h < extent or w < extent):
        with pytest.raises(ValueError, match="is larger than the input's spatial size"):
            layer.build_from_shape((None, h, w, 1))
        return
    layer.build_from_shape((None, h, w, 1))
    shape = layer.compute_output_shape((None, h, w, 1))
    assert shape == (None, output_length(h, k, s, padding, d), output_length(w, k, s, padding, d), 2)
    assert tuple(layer(torch.zeros(3, h, w, 1)).shape) == (3, *shape[1:])
    assert probe_output_shape(layer, (None, h, w, 1)) == shape


def test_unknown_lengths_stay_unknown():
    assert Conv1D(4, 3, strides=2).compute_output_shape((None, None, 2)) == (None, None, 4)
    assert MaxPooling2D().compute_output_shape((8, None, 10, 3)) == (8, None, 5, 3)
    # A layer built for free lengths still refuses a too-short input when it arrives.
    layer = AveragePooling1D(3)
    layer.build_from_shape((None, None, 2))
    with pytest.raises(ValueError, match=r"`pool_size`=\(3,\) is larger than the input's spatial size \(2,\)"):
        layer(torch.zeros(1, 2, 2))


def test_empty_output_message_shows_the_dilated_kernel():
    with pytest.raises(ValueError, match=r"`kernel_size`=\(3,\) \(dilated to \(5,\)\) is larger than the "
                                         r"input's spatial size \(4,\) with padding='valid'"):
        output_spatial_shape("layer 'c' (Conv1D)", (4,), (3,), (1,), "valid", (2,))
