"""Dense and Activation against float64 NumPy references, gradcheck, Keras parameter counts."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import Activation, Dense, Input
from seqlab.models import Sequential
from seqlab.utils import set_random_seed


def numpy_dense(x, kernel, bias, activation):
    return activation(x @ kernel + bias)


@pytest.mark.parametrize("activation, reference", [
    ("linear", lambda z: z),
    ("relu", lambda z: np.maximum(z, 0.0)),
    ("tanh", np.tanh),
    ("sigmoid", lambda z: 1.0 / (1.0 + np.exp(-z))),
    ("softmax", lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)),
])
def test_dense_forward_matches_numpy_float64(activation, reference):
    set_random_seed(0)
    layer = Dense(4, activation=activation, bias_initializer="glorot_uniform", dtype="float64")
    x = np.random.default_rng(1).normal(size=(5, 3))
    out = layer(torch.from_numpy(x)).detach().numpy()
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, numpy_dense(x, kernel, bias, reference), rtol=0, atol=1e-12)


def test_dense_gradients_match_hand_derivation_float64():
    # loss = sum(tanh(x W + b) * g): dL/dW = x^T ((1 - h^2) * g), dL/db = sum_rows((1 - h^2) * g)
    set_random_seed(0)
    layer = Dense(3, activation="tanh", dtype="float64")
    rng = np.random.default_rng(2)
    x, g = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    h = layer(torch.from_numpy(x))
    (h * torch.from_numpy(g)).sum().backward()
    h = h.detach().numpy()
    delta = (1.0 - h**2) * g
    np.testing.assert_allclose(layer.kernel.grad.numpy(), x.T @ delta, rtol=0, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), delta.sum(0), rtol=0, atol=1e-12)


def test_dense_passes_gradcheck_in_float64():
    set_random_seed(0)
    layer = Dense(3, activation="sigmoid", dtype="float64")
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    layer(x)  # build
    assert torch.autograd.gradcheck(lambda inp: layer(inp), (x,), eps=1e-6, atol=1e-8)
    kernel = layer.kernel
    assert torch.autograd.gradcheck(lambda k: torch.sigmoid(x.detach() @ k + layer.bias), (kernel,))


def test_dense_on_3d_input_works_on_the_last_axis():
    set_random_seed(0)
    layer = Dense(2, dtype="float64")
    x = np.random.default_rng(3).normal(size=(2, 5, 3))
    out = layer(torch.from_numpy(x)).detach().numpy()
    kernel, bias = layer.get_weights()
    assert out.shape == (2, 5, 2)
    np.testing.assert_allclose(out, x @ kernel + bias, atol=1e-12)


@pytest.mark.parametrize("units, before, expected", [
    (1, 32, 33),     # notes: Dense(1) after LSTM(32) -> 33
    (10, 16, 170),   # notes: Dense(10, softmax) after LSTM(16) -> 170
    (2, 50, 102),    # notes: Dense(2) after LSTM(50) -> 102
    (1, 50, 51),     # notes: Dense(1) after LSTM(50) -> 51
    (128, 800, 102528),  # notes MNIST CNN: Dense(128) after Flatten of 5*5*32
])
def test_dense_parameter_counts_match_the_notes(units, before, expected):
    model = Sequential([Input(shape=(before,)), Dense(units)])
    assert model.count_params() == expected


def test_activation_layer_applies_the_named_function():
    x = torch.linspace(-2, 2, 9, dtype=torch.float64).reshape(3, 3)
    np.testing.assert_allclose(Activation("relu")(x).numpy(), np.maximum(x.numpy(), 0))
    assert Activation("tanh").compute_output_shape((None, 3)) == (None, 3)


def test_dense_config_round_trips():
    layer = Dense(5, activation="relu", use_bias=False, name="probe_dense_cfg")
    clone = Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="Dense: `units` must be a positive integer, got 0"):
        Dense(0)


@pytest.mark.parametrize("make, owner", [
    (lambda: Dense(2, use_bias="no"), "Dense"),
    (lambda: seqlab.layers.Conv1D(2, 3, use_bias=1), "Conv1D"),
    (lambda: seqlab.layers.SeparableConv1D(2, 3, use_bias=None), "SeparableConv1D"),
    (lambda: seqlab.layers.Conv1DTranspose(2, 3, use_bias="yes"), "Conv1DTranspose"),
])
def test_use_bias_must_be_a_bool_not_coerced(make, owner):
    with pytest.raises(TypeError, match=rf"{owner}: `use_bias` must be True or False, got"):
        make()
