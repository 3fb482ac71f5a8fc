"""Conv1D and Conv2D against a float64 NumPy loop and torch.nn.functional with copied weights."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conv_reference import numpy_conv, reference_pads
from seqlab.layers import Conv1D, Conv2D, deserialize, serialize
from seqlab.utils import set_random_seed

PADDINGS_1D = ["valid", "same", "causal"]
CASES_1D = list(itertools.product(PADDINGS_1D, [1, 2, 3], [1, 2], [2, 3]))  # padding, stride, dilation, kernel


def run(layer, x):
    with torch.no_grad():
        return layer(torch.as_tensor(x)).numpy()


@pytest.mark.parametrize("padding, stride, dilation, kernel", CASES_1D)
def test_conv1d_matches_numpy_loop_in_float64(padding, stride, dilation, kernel):
    set_random_seed(1)
    x = np.random.randn(3, 9, 2)
    layer = Conv1D(4, kernel, strides=stride, padding=padding, dilation_rate=dilation, dtype="float64",
                   bias_initializer="random_normal")
    out = run(layer, x)
    kernel_w, bias = layer.get_weights()
    assert kernel_w.shape == (kernel, 2, 4)  # Keras layout
    np.testing.assert_allclose(out, numpy_conv(x, kernel_w, bias, (stride,), padding, (dilation,)), rtol=0, atol=1e-10)


@pytest.mark.parametrize("padding, stride, dilation", list(itertools.product(["valid", "same"], [1, 2, (2, 3)], [1, 2, (1, 2)])))
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4)])
def test_conv2d_matches_numpy_loop_in_float64(padding, stride, dilation, kernel):
    set_random_seed(2)
    x = np.random.randn(2, 8, 7, 3)
    layer = Conv2D(5, kernel, strides=stride, padding=padding, dilation_rate=dilation, dtype="float64",
                   bias_initializer="random_normal")
    out = run(layer, x)
    kernel_w, bias = layer.get_weights()
    strides = layer.strides
    expected = numpy_conv(x, kernel_w, bias, strides, padding, layer.dilation_rate)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("padding, stride, dilation", list(itertools.product(["valid", "same"], [1, 2], [1, 2])))
def test_conv2d_matches_torch_functional_in_float32(padding, stride, dilation):
    set_random_seed(3)
    x = torch.randn(4, 10, 9, 3)
    layer = Conv2D(6, (4, 3), strides=stride, padding=padding, dilation_rate=dilation, activation="relu",
                   bias_initializer="random_normal")
    out = layer(x)
    # Copy the Keras-layout kernel into torch's (out, in, kh, kw) and pad by TF's rule ourselves.
    weight = torch.as_tensor(layer.get_weights()[0]).permute(3, 2, 0, 1)
    bias = torch.as_tensor(layer.get_weights()[1])
    pads = [reference_pads(n, k, stride, padding, dilation) for n, k in zip((10, 9), (4, 3))]
    xp = F.pad(x.permute(0, 3, 1, 2), [*pads[1], *pads[0]])
    expected = torch.relu(F.conv2d(xp, weight, bias, stride=stride, dilation=dilation)).permute(0, 2, 3, 1)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel, dilation", [(3, 1), (4, 1), (2, 3), (5, 2)])
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's own note
def test_same_padding_with_stride_1_equals_torch_same(kernel, dilation):
    # torch's own padding='same' (stride 1) also puts an odd extra zero at the end.
    set_random_seed(4)
    x = torch.randn(2, 11, 3, dtype=torch.float64)
    layer = Conv1D(2, kernel, padding="same", dilation_rate=dilation, dtype="float64")
    out = layer(x)
    expected = F.conv1d(x.transpose(1, 2), layer.torch_kernel(), layer.bias, padding="same", dilation=dilation)
    torch.testing.assert_close(out, expected.transpose(1, 2), rtol=0, atol=1e-12)


def test_causal_output_does_not_see_the_future():
    set_random_seed(5)
    layer = Conv1D(3, 4, padding="causal", dilation_rate=2, dtype="float64")
    x = torch.randn(1, 12, 2, dtype=torch.float64)
    changed = x.clone()
    changed[:, 7:] += 1.0  # change steps 7.. only
    before, after = layer(x), layer(changed)
    assert before.shape == (1, 12, 3)
    torch.testing.assert_close(before[:, :7], after[:, :7], rtol=0, atol=0)
    assert not torch.allclose(before[:, 7:], after[:, 7:])


def test_groups_match_numpy_loop():
    set_random_seed(6)
    x = np.random.randn(2, 6, 4)
    layer = Conv1D(6, 3, groups=2, dtype="float64", padding="same")
    out = run(layer, x)
    kernel_w, bias = layer.get_weights()
    assert kernel_w.shape == (3, 2, 6)
    np.testing.assert_allclose(out, numpy_conv(x, kernel_w, bias, (1,), "same", (1,), groups=2), atol=1e-10, rtol=0)


def test_channels_first_gives_the_transposed_result():
    set_random_seed(7)
    last = Conv2D(3, 3, padding="same", strides=2, dtype="float64")
    first = Conv2D(3, 3, padding="same", strides=2, dtype="float64", data_format="channels_first")
    x = torch.randn(2, 7, 6, 4, dtype=torch.float64)
    last(x)
    first(x.permute(0, 3, 1, 2))
    first.set_weights(last.get_weights())
    torch.testing.assert_close(first(x.permute(0, 3, 1, 2)), last(x).permute(0, 3, 1, 2), rtol=0, atol=1e-12)
    assert first.compute_output_shape((None, 4, 7, 6)) == (None, 3, 4, 3)


@pytest.mark.parametrize("layer, shape", [
    (lambda: Conv1D(2, 3, strides=2, padding="causal", dilation_rate=1, dtype="float64"), (2, 7, 2)),
    (lambda: Conv1D(2, 2, padding="same", dilation_rate=2, dtype="float64"), (2, 6, 1)),
    (lambda: Conv2D(2, (2, 3), strides=(2, 1), padding="same", dtype="float64"), (1, 5, 4, 2)),
])
def test_gradcheck_float64(layer, shape):
    set_random_seed(8)
    conv = layer()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    conv(x.detach())
    kernel = conv.kernel.detach().clone().requires_grad_()
    bias = conv.bias.detach().clone().requires_grad_()

    def forward(inputs, k, b):
        return torch.func.functional_call(conv, {"kernel": k, "bias": b}, (inputs,))

    assert torch.autograd.gradcheck(forward, (x, kernel, bias))


def test_gradients_reach_kernel_and_bias_like_the_torch_reference():
    set_random_seed(9)
    layer = Conv2D(2, 3, strides=2, padding="same", dtype="float64")
    x = torch.randn(2, 6, 5, 3, dtype=torch.float64, requires_grad=True)
    layer(x).square().sum().backward()
    weight = layer.kernel.detach().permute(3, 2, 0, 1).clone().requires_grad_()
    bias = layer.bias.detach().clone().requires_grad_()
    x2 = x.detach().clone().requires_grad_()
    pads = [reference_pads(n, 3, 2, "same") for n in (6, 5)]
    out = F.conv2d(F.pad(x2.permute(0, 3, 1, 2), [*pads[1], *pads[0]]), weight, bias, stride=2)
    out.square().sum().backward()
    torch.testing.assert_close(layer.kernel.grad, weight.grad.permute(2, 3, 1, 0), rtol=0, atol=1e-10)
    torch.testing.assert_close(layer.bias.grad, bias.grad, rtol=0, atol=1e-10)
    torch.testing.assert_close(x.grad, x2.grad, rtol=0, atol=1e-10)


def test_parameter_counts_follow_the_notes_formula():
    # (F * F * D1) * K weights + K biases
    layer = Conv1D(64, 5)
    layer.build_from_shape((None, 7, 1))
    assert layer.count_params() == 5 * 1 * 64 + 64 == 384
    layer = Conv2D(32, (3, 3))
    layer.build_from_shape((None, 11, 11, 32))
    assert layer.count_params() == 3 * 3 * 32 * 32 + 32 == 9248
    layer = Conv2D(8, 3, use_bias=False, groups=2)
    layer.build_from_shape((None, 5, 5, 4))
    assert layer.count_params() == 3 * 3 * 2 * 8 and [w.shape for w in layer.get_weights()] == [(3, 3, 2, 8)]


def test_glorot_limit_uses_keras_fans():
    # Keras: fan_in = kh*kw*in, fan_out = kh*kw*filters; limit = sqrt(6 / (fan_in + fan_out))
    set_random_seed(10)
    layer = Conv2D(64, (5, 5))
    layer.build_from_shape((None, 28, 28, 16))
    limit = np.sqrt(6.0 / (25 * 16 + 25 * 64))
    kernel = layer.get_weights()[0]
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.95 * limit


def test_set_weights_takes_keras_layout():
    layer = Conv1D(2, 3, dtype="float64")
    layer.build_from_shape((None, 5, 1))
    kernel = np.arange(6, dtype=float).reshape(3, 1, 2)
    layer.set_weights([kernel, np.array([0.5, -0.5])])
    x = np.arange(5, dtype=float).reshape(1, 5, 1)
    # output t, filter f: sum_k x[t + k] * kernel[k, 0, f] + bias[f]
    expected = np.array([[[sum(x[0, t + k, 0] * kernel[k, 0, f] for k in range(3)) + [0.5, -0.5][f] for f in range(2)]
                          for t in range(3)]])
    np.testing.assert_allclose(run(layer, x), expected, atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(3, 1, 2\), got an array of shape \(2, 1, 3\)"):
        layer.set_weights([kernel.reshape(2, 1, 3), np.zeros(2)])


@pytest.mark.parametrize("make", [
    lambda: Conv1D(16, 5, strides=2, padding="causal", dilation_rate=1, activation="tanh", use_bias=False,
                   kernel_initializer="he_normal", name="c1"),
    lambda: Conv2D(4, (3, 2), padding="same", data_format="channels_first", dilation_rate=(2, 1), groups=2,
                   input_shape=(4, 9, 9)),
])
def test_config_round_trip_rebuilds_the_same_layer(make):
    layer = make()
    rebuilt = deserialize(serialize(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == layer.get_config()
    assert repr(rebuilt) == repr(layer)


def test_repr_shows_only_non_defaults():
    assert repr(Conv2D(32, (3, 3), activation="relu")) == "Conv2D(32, (3, 3), activation='relu')"
    assert repr(Conv1D(64, kernel_size=5, strides=2, padding="causal")) == "Conv1D(64, 5, strides=2, padding='causal')"
