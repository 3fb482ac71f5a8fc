"""Max/Average pooling against a float64 NumPy loop that leaves padded positions out."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conv_reference import numpy_pool
from seqlab.layers import (AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D, deserialize,
                           serialize)
from seqlab.utils import set_random_seed

LAYERS = {(1, "max"): MaxPooling1D, (1, "average"): AveragePooling1D,
          (2, "max"): MaxPooling2D, (2, "average"): AveragePooling2D}


@pytest.mark.parametrize("mode, padding, pool, strides", list(itertools.product(
    ["max", "average"], ["valid", "same"], [2, 3], [None, 1, 2])))
def test_pooling1d_matches_numpy_loop(mode, padding, pool, strides):
    set_random_seed(1)
    x = np.random.randn(2, 7, 3)
    layer = LAYERS[(1, mode)](pool, strides=strides, padding=padding, dtype="float64")
    out = layer(torch.as_tensor(x)).numpy()
    expected = numpy_pool(x, (pool,), (strides or pool,), padding, mode)
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode, padding, pool, strides", list(itertools.product(
    ["max", "average"], ["valid", "same"], [(2, 2), (3, 2)], [None, (1, 2), 2])))
def test_pooling2d_matches_numpy_loop(mode, padding, pool, strides):
    set_random_seed(2)
    x = np.random.randn(2, 7, 6, 3)
    layer = LAYERS[(2, mode)](pool, strides=strides, padding=padding, dtype="float64")
    out = layer(torch.as_tensor(x)).numpy()
    expected = numpy_pool(x, pool, layer.strides, padding, mode)
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None, *expected.shape[1:])
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_valid_pooling_equals_torch_functional():
    set_random_seed(3)
    x = torch.randn(4, 13, 11, 8)
    channels_first = x.permute(0, 3, 1, 2)
    torch.testing.assert_close(MaxPooling2D()(x), F.max_pool2d(channels_first, 2).permute(0, 2, 3, 1))
    torch.testing.assert_close(AveragePooling2D((3, 2), strides=(2, 1))(x),
                               F.avg_pool2d(channels_first, (3, 2), (2, 1)).permute(0, 2, 3, 1))


def test_same_average_excludes_the_padding_as_keras():
    # [1, 2, 3] in windows of 2, stride 2, 'same': [1, 2] and [3, <pad>] -> 1.5 and 3 (not 1.5).
    out = AveragePooling1D(2, padding="same")(torch.tensor([[[1.0], [2.0], [3.0]]]))
    assert out.flatten().tolist() == [1.5, 3.0]
    # Max over a window holding only negative inputs and padding is the input, not the pad's 0.
    out = MaxPooling1D(2, padding="same")(torch.tensor([[[-1.0], [-2.0], [-3.0]]]))
    assert out.flatten().tolist() == [-1.0, -3.0]


@pytest.mark.parametrize("layer, shape", [
    (lambda: AveragePooling1D(3, strides=2, padding="same", dtype="float64"), (2, 8, 3)),
    (lambda: AveragePooling2D((2, 3), strides=1, padding="same", dtype="float64"), (1, 4, 5, 2)),
    (lambda: MaxPooling2D((2, 2), strides=1, padding="same", dtype="float64"), (1, 4, 5, 2)),
])
def test_gradcheck_float64(layer, shape):
    set_random_seed(4)
    # Distinct values keep every max unique, so the max is differentiable at the test point.
    x = torch.randperm(int(np.prod(shape))).reshape(shape).to(torch.float64).div(7).requires_grad_()
    assert torch.autograd.gradcheck(layer(), (x,))


def test_channels_first_gives_the_transposed_result():
    set_random_seed(5)
    x = torch.randn(2, 5, 7, 3)
    last = AveragePooling2D(3, strides=2, padding="same")(x)
    first = AveragePooling2D(3, strides=2, padding="same", data_format="channels_first")(x.permute(0, 3, 1, 2))
    torch.testing.assert_close(first, last.permute(0, 3, 1, 2))


def test_keras_defaults_and_round_trip():
    layer = MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2, 2), (2, 2), "valid")
    assert MaxPooling1D(3).strides == (3,)
    assert repr(MaxPooling2D((3, 3), strides=1)) == "MaxPooling2D(pool_size=(3, 3), strides=(1, 1))"
    assert repr(MaxPooling1D(pool_size=2)) == "MaxPooling1D()"
    for made in (AveragePooling1D(3, strides=1, padding="same"), MaxPooling2D((2, 3), data_format="channels_first")):
        rebuilt = deserialize(serialize(made))
        assert type(rebuilt) is type(made) and rebuilt.get_config() == made.get_config()


def test_pooling_that_would_give_an_empty_output_is_refused():
    with pytest.raises(ValueError, match=r"`pool_size`=\(4,\) is larger than the input's spatial size \(3,\) "
                                         r"with padding='valid', so the output would be empty"):
        MaxPooling1D(4)(torch.zeros(2, 3, 1))
    # The same window with 'same' padding fits.
    assert MaxPooling1D(4, padding="same")(torch.zeros(2, 3, 1)).shape == (2, 1, 1)


@pytest.mark.parametrize("make, error, message", [
    (lambda: MaxPooling2D(pool_size=0), ValueError, r"MaxPooling2D: `pool_size` must hold positive integers, got 0"),
    (lambda: MaxPooling1D(strides=-1), ValueError, r"MaxPooling1D: `strides` must hold positive integers, got -1"),
    (lambda: MaxPooling2D(pool_size=(2, 2, 2)), TypeError, r"`pool_size` must be an integer or a tuple of 2 integers"),
    (lambda: AveragePooling1D(padding="causal"), ValueError, r"`padding` must be one of \('valid', 'same'\), got 'causal'"),
    (lambda: AveragePooling2D(data_format="NHWC"), ValueError, r"`data_format` must be one of"),
])
def test_bad_settings_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_missing_channel_axis_is_explained():
    with pytest.raises(ValueError, match=r"expects 4-D input \(batch, height, width, channels\), got shape "
                                         r"\(2, 28, 28\)\. .* use x\.reshape\(-1, 28, 28, 1\)"):
        MaxPooling2D()(torch.zeros(2, 28, 28))
