"""Conv1D's causal padding, dilation and groups against torch.nn.functional.conv1d with copied
weights, following Keras (keras/src/layers/convolutional/conv1d.py, base_conv.py): 'causal'
left-pads ``dilation * (kernel_size - 1)`` zeros; ``groups`` splits channels. (Keras refuses
strides > 1 with dilation_rate > 1; seqlab computes it, see docs/convolution.md, and the
reference covers it.)"""
import pytest
import torch
import torch.nn.functional as F

from seqlab.layers import Conv1D
from seqlab.utils import set_random_seed


def torch_reference(layer, x, left, right):
    """Keras's conv1d written directly: pad, then F.conv1d with the Keras kernel permuted."""
    kernel, bias = (torch.as_tensor(w, dtype=x.dtype) for w in layer.get_weights())
    weight = kernel.permute(2, 1, 0)  # (k, in // groups, filters) -> (filters, in // groups, k)
    xp = F.pad(x.transpose(1, 2), (left, right))
    out = F.conv1d(xp, weight, bias, stride=layer.strides, dilation=layer.dilation_rate, groups=layer.groups)
    return out.transpose(1, 2)


@pytest.mark.parametrize("kernel, dilation, stride", [(2, 1, 1), (3, 2, 1), (4, 3, 1), (3, 1, 2), (5, 1, 3), (3, 2, 2)])
@pytest.mark.parametrize("groups", [1, 2])
def test_causal_dilated_grouped_matches_functional_in_float64(kernel, dilation, stride, groups):
    set_random_seed(11)
    x = torch.randn(3, 13, 4, dtype=torch.float64, requires_grad=True)
    layer = Conv1D(6, kernel, strides=stride, padding="causal", dilation_rate=dilation, groups=groups,
                   dtype="float64", bias_initializer="random_normal")
    out = layer(x)
    expected = torch_reference(layer, x, dilation * (kernel - 1), 0)
    # Keras's length rule for 'causal' equals 'same': ceil(steps / strides).
    assert out.shape == (3, -(-13 // stride), 6)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    # Gradients: the layer's input and kernel gradients equal the reference's.
    weights = torch.randn_like(out)
    g_layer = torch.autograd.grad((out * weights).sum(), (x, layer.kernel))
    kernel_ref = layer.kernel.detach().clone().requires_grad_(True)
    xp = F.pad(x.transpose(1, 2), (dilation * (kernel - 1), 0))
    ref = F.conv1d(xp, kernel_ref.permute(2, 1, 0), layer.bias.detach(), stride=stride, dilation=dilation,
                   groups=groups).transpose(1, 2)
    g_ref = torch.autograd.grad((ref * weights).sum(), (x, kernel_ref))
    for a, b in zip(g_layer, g_ref):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("padding, left, right", [("valid", 0, 0), ("same", 2, 2), ("causal", 4, 0)])
def test_each_padding_with_groups_4_matches_functional(padding, left, right):
    set_random_seed(12)
    x = torch.randn(2, 9, 8, dtype=torch.float64)
    layer = Conv1D(4, 3, padding=padding, dilation_rate=2, groups=4, dtype="float64", bias_initializer="random_normal")
    out = layer(x)
    assert layer.get_weights()[0].shape == (3, 2, 4)  # Keras: (kernel_size, in // groups, filters)
    torch.testing.assert_close(out, torch_reference(layer, x, left, right), rtol=0, atol=1e-12)
    assert layer.count_params() == 3 * 2 * 4 + 4  # from Keras's kernel and bias shapes


def test_causal_with_channels_first_pads_the_time_axis_as_keras():
    # Keras's Conv1D._compute_causal_padding pads the last axis for channels_first.
    set_random_seed(13)
    x = torch.randn(2, 10, 3, dtype=torch.float64)
    last = Conv1D(2, 3, padding="causal", dilation_rate=2, dtype="float64")
    first = Conv1D(2, 3, padding="causal", dilation_rate=2, dtype="float64", data_format="channels_first")
    out_last = last(x)
    first.build_from_shape((None, 3, 10))
    first.set_weights(last.get_weights())
    torch.testing.assert_close(first(x.transpose(1, 2)), out_last.transpose(1, 2), rtol=0, atol=1e-12)


@pytest.mark.parametrize("padding, expected", [("valid", (None, 6, 4)), ("same", (None, 10, 4)), ("causal", (None, 10, 4))])
def test_output_lengths_follow_keras_with_dilation(padding, expected):
    # valid: steps - dilation * (k - 1) = 10 - 2 * 2 = 6; same / causal: steps.
    assert Conv1D(4, 3, padding=padding, dilation_rate=2).compute_output_shape((None, 10, 2)) == expected


def test_groups_must_divide_filters_and_channels():
    with pytest.raises(ValueError, match=r"Conv1D: `filters`=5 must be divisible by `groups`=2"):
        Conv1D(5, 3, groups=2)
    with pytest.raises(ValueError, match=r"the input's 3 channels must be divisible by `groups`=2"):
        Conv1D(4, 3, groups=2)(torch.zeros(1, 5, 3))
