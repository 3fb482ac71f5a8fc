"""Activations by Keras name, against float64 NumPy definitions."""
import numpy as np
import pytest
import torch

from seqlab import activations

X = np.linspace(-4, 4, 41)
REFERENCE = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "swish": lambda x: x / (1 + np.exp(-x)),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(__import__("math").erf)(x / np.sqrt(2))),
    "hard_sigmoid": lambda x: np.clip((x + 3) / 6, 0, 1),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_matches_float64_reference(name):
    got = activations.get(name)(torch.tensor(X, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, REFERENCE[name](X), rtol=1e-10, atol=1e-12)


def test_softmax_is_over_the_last_axis():
    x = np.random.default_rng(0).normal(size=(3, 4, 5))
    expected = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    got = activations.get("softmax")(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_names_round_trip_and_none_is_linear():
    for name in ["relu", "tanh", "softmax", "gelu"]:
        assert activations.serialize(activations.get(name)) == name
    assert activations.get(None) is activations.linear


def test_unknown_activation_and_bad_type():
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'; expected one of \[.*'relu'.*\] or a callable"):
        activations.get("rleu")
    with pytest.raises(TypeError, match="activation must be a name or a callable, got int"):
        activations.get(3)
