"""SeparableConv1D and Conv1DTranspose against float64 NumPy loops written from Keras's definitions
(weights copied from the layer), gradients by gradcheck, Keras's weight shapes and output lengths."""
import itertools

import numpy as np
import pytest
import torch

from conv_reference import numpy_conv
from seqlab.layers import Conv1D, Conv1DTranspose, SeparableConv1D
from seqlab.utils import set_random_seed


def numpy_separable(x, depthwise, pointwise, bias, stride, padding, dilation):
    """Keras's separable conv: channel c convolved alone with depthwise[:, c, m] gives channel
    c * M + m (TensorFlow's order), then a 1x1 convolution with pointwise."""
    k, channels, multiplier = depthwise.shape
    per_channel = [
        numpy_conv(x[..., c:c + 1], depthwise[:, c:c + 1, :], None, (stride,), padding, (dilation,))
        for c in range(channels)
    ]  # each (N, L', M)
    mid = np.concatenate(per_channel, axis=-1)  # (N, L', C*M), channel c*M + m
    out = mid @ pointwise[0]
    return out + bias if bias is not None else out


SEPARABLE_CASES = list(itertools.product(["valid", "same"], [1, 2], [1, 2], [1, 3]))


@pytest.mark.parametrize("padding, stride, dilation, multiplier", SEPARABLE_CASES)
def test_separable_matches_numpy_in_float64(padding, stride, dilation, multiplier):
    set_random_seed(21)
    x = np.random.randn(2, 11, 3)
    layer = SeparableConv1D(5, 3, strides=stride, padding=padding, dilation_rate=dilation,
                            depth_multiplier=multiplier, dtype="float64", bias_initializer="random_normal")
    with torch.no_grad():
        out = layer(torch.as_tensor(x)).numpy()
    depthwise, pointwise, bias = layer.get_weights()
    assert depthwise.shape == (3, 3, multiplier) and pointwise.shape == (1, 3 * multiplier, 5)
    expected = numpy_separable(x, depthwise, pointwise, bias, stride, padding, dilation)
    assert out.shape == expected.shape == layer.compute_output_shape((2, 11, 3))
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)


def test_separable_parameter_count_from_keras_weight_shapes():
    # depthwise (5, 16, 2) + pointwise (1, 32, 64) + bias (64,) = 160 + 2048 + 64
    layer = SeparableConv1D(64, 5, depth_multiplier=2)
    layer.build_from_shape((None, 20, 16))
    assert layer.count_params() == 5 * 16 * 2 + 1 * 32 * 64 + 64 == 2272
    assert [w.shape for w in layer.get_weights()] == [(5, 16, 2), (1, 32, 64), (64,)]


def keras_jax_pads(k, stride, dilation, padding, output_padding):
    """Copied from Keras's _convert_conv_transpose_padding_args_from_keras_to_jax
    (keras/src/backend/common/backend_utils.py): padding of the stride-dilated input."""
    extent = (k - 1) * dilation + 1
    if padding == "valid":
        output_padding = max(extent, stride) - extent if output_padding is None else output_padding
        return extent - 1, extent - 1 + output_padding
    pad_len = stride + extent - 2 if output_padding is None else extent + extent % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, extent - 1)
    return left, pad_len - left


def numpy_transpose(x, kernel, bias, stride, padding, output_padding, dilation):
    """JAX's (and Keras's) definition: insert ``stride - 1`` zeros between input steps, pad by
    keras_jax_pads, correlate with the flipped, dilated kernel. x: (N, L, C); kernel: (k, F, C)."""
    k, filters, _ = kernel.shape
    n, length, channels = x.shape
    stretched = np.zeros((n, (length - 1) * stride + 1, channels))
    stretched[:, ::stride] = x
    left, right = keras_jax_pads(k, stride, dilation, padding, output_padding)
    xp = np.pad(stretched, [(0, 0), (left, right), (0, 0)])
    out_len = xp.shape[1] - dilation * (k - 1)
    out = np.zeros((n, out_len, filters))
    for j in range(out_len):
        for t in range(k):
            out[:, j] += xp[:, j + t * dilation] @ kernel[k - 1 - t].T  # (N, C) @ (C, F)
    return out + bias


TRANSPOSE_CASES = [(p, k, s, d, op) for p, k, s, d, op in itertools.product(
    ["valid", "same"], [1, 2, 3, 4], [1, 2, 3], [1, 2], [None, 0, 1]) if op is None or op < s]


@pytest.mark.parametrize("padding, kernel, stride, dilation, output_padding", TRANSPOSE_CASES)
def test_transpose_matches_keras_definition_in_float64(padding, kernel, stride, dilation, output_padding):
    set_random_seed(22)
    x = np.random.randn(2, 5, 3)
    layer = Conv1DTranspose(4, kernel, strides=stride, padding=padding, output_padding=output_padding,
                            dilation_rate=dilation, dtype="float64", bias_initializer="random_normal")
    with torch.no_grad():
        out = layer(torch.as_tensor(x)).numpy()
    kernel_w, bias = layer.get_weights()
    assert kernel_w.shape == (kernel, 4, 3)  # Keras: (kernel_size, filters, in_channels)
    expected = numpy_transpose(x, kernel_w, bias, stride, padding, output_padding, dilation)
    assert out.shape == expected.shape == layer.compute_output_shape((2, 5, 3))
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("padding, output_padding, expected", [
    # Keras's compute_conv_transpose_output_shape, steps=7, kernel 3, strides 2:
    ("valid", None, 15),  # (7 - 1) * 2 + max(3, 2)
    ("same", None, 14),   # 7 * 2
    ("valid", 1, 16),     # (7 - 1) * 2 + 3 + 1
    ("same", 1, 14),      # (7 - 1) * 2 + 3 % 2 + 1
    ("same", 0, 13),
])
def test_transpose_output_lengths_follow_keras(padding, output_padding, expected):
    layer = Conv1DTranspose(2, 3, strides=2, padding=padding, output_padding=output_padding)
    assert layer.compute_output_shape((None, 7, 3)) == (None, expected, 2)
    assert layer(torch.zeros(1, 7, 3)).shape == (1, expected, 2)


def test_transpose_is_the_adjoint_of_conv1d():
    # <conv_transpose(y), x> == <y, conv(x)> with the same kernel (stride 2, 'valid').
    set_random_seed(23)
    conv = Conv1D(3, 4, strides=2, dtype="float64", use_bias=False)
    x = torch.randn(2, 12, 5, dtype=torch.float64)
    y = conv(x)  # (2, 5, 3)
    tconv = Conv1DTranspose(5, 4, strides=2, dtype="float64", use_bias=False)
    tconv.build_from_shape((None, 5, 3))
    tconv.set_weights(conv.get_weights())  # Conv1D's (k, in=5, out=3) is Conv1DTranspose's (k, filters=5, in=3)
    back = tconv(y)
    assert back.shape == x.shape
    torch.testing.assert_close((back * x).sum(), (y * y).sum(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda: SeparableConv1D(2, 3, padding="same", depth_multiplier=2, dtype="float64", bias_initializer="random_normal"),
    lambda: SeparableConv1D(2, 2, strides=2, dtype="float64", data_format="channels_first"),
    lambda: Conv1DTranspose(2, 3, strides=2, padding="same", dtype="float64", bias_initializer="random_normal"),
    lambda: Conv1DTranspose(2, 2, strides=3, output_padding=2, dtype="float64", activation="tanh"),
])
def test_gradcheck_float64(make):
    set_random_seed(24)
    layer = make()
    x = torch.randn(2, 6, 3, dtype=torch.float64, requires_grad=True)
    layer(x)
    params = tuple(layer.parameters())
    assert torch.autograd.gradcheck(lambda x, *p: layer(x), (x, *params))


def test_transpose_parameter_count_from_keras_weight_shapes():
    layer = Conv1DTranspose(8, 5)
    layer.build_from_shape((None, 10, 3))
    assert layer.count_params() == 5 * 8 * 3 + 8 == 128  # kernel (5, 8, 3) + bias (8,)


def test_channels_first_transpose_gives_the_transposed_result():
    set_random_seed(25)
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    last = Conv1DTranspose(4, 3, strides=2, padding="same", dtype="float64", bias_initializer="random_normal")
    first = Conv1DTranspose(4, 3, strides=2, padding="same", dtype="float64", data_format="channels_first")
    out = last(x)
    first.build_from_shape((None, 3, 6))
    first.set_weights(last.get_weights())
    torch.testing.assert_close(first(x.transpose(1, 2)), out.transpose(1, 2), rtol=0, atol=1e-12)


@pytest.mark.parametrize("make, error, message", [
    (lambda: SeparableConv1D(4, 3, depth_multiplier=0), ValueError, r"SeparableConv1D: `depth_multiplier` must be a positive integer, got 0"),
    (lambda: SeparableConv1D(4, 3, padding="causal"), ValueError, r"SeparableConv1D: `padding` must be one of \('valid', 'same'\), got 'causal'"),
    (lambda: Conv1DTranspose(4, 3, strides=2, output_padding=2), ValueError, r"Conv1DTranspose: `output_padding`=2 must be smaller than `strides`=2"),
    (lambda: Conv1DTranspose(4, 3, output_padding=-1), ValueError, r"Conv1DTranspose: `output_padding` must be None or a non-negative integer, got -1"),
    (lambda: Conv1DTranspose(0, 3), ValueError, r"Conv1DTranspose: `filters` must be a positive integer, got 0"),
    (lambda: Conv1DTranspose(4, 3, padding="causal"), ValueError, r"Conv1DTranspose: `padding` must be one of \('valid', 'same'\), got 'causal'"),
])
def test_bad_arguments_are_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_wrong_rank_and_channel_change_are_refused():
    layer = SeparableConv1D(4, 3)
    with pytest.raises(ValueError, match=r"expects 3-D input \(batch, steps, channels\), got shape \(2, 9\)"):
        layer(torch.zeros(2, 9))
    layer(torch.zeros(2, 9, 3))
    with pytest.raises(ValueError, match=r"was built for 3 input channels"):
        layer(torch.zeros(2, 9, 4))
    with pytest.raises(ValueError, match=r"`kernel_size`=\(3,\) is larger than the input's spatial size \(2,\)"):
        layer(torch.zeros(2, 2, 3))
