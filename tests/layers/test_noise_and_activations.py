"""Noise layers (training-only, seeded, Keras's formulas) and activation layers against
float64 NumPy / torch.nn.functional references."""
import doctest
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import seqlab
from seqlab.layers import (
    ELU, ActivityRegularization, Dense, Embedding, GaussianDropout, GaussianNoise, LeakyReLU, PReLU,
    ReLU, Softmax, SpatialDropout1D,
)
from seqlab.layers import activation_layers, noise

RNG = np.random.default_rng(3)
X = RNG.normal(scale=3.0, size=(4, 5, 6))


def _x():
    return torch.tensor(X, requires_grad=True)


# ---- noise ------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer", [SpatialDropout1D(0.4, seed=1), GaussianNoise(0.5, seed=1), GaussianDropout(0.4, seed=1)],
                         ids=lambda layer: type(layer).__name__)
def test_noise_is_identity_outside_training_and_seeded_inside(layer):
    x = torch.tensor(X)
    assert torch.equal(layer(x, training=False), x)
    again = type(layer).from_config(layer.get_config())
    assert torch.equal(layer(x, training=True), again(x, training=True))  # the same seed, the same noise
    assert not torch.equal(layer(x, training=True), x)
    assert layer.count_params() == 0


def test_spatial_dropout_drops_whole_channels_and_scales_the_rest():
    out = SpatialDropout1D(0.5, seed=0, dtype="float64")(torch.ones(64, 7, 10), training=True)
    assert torch.equal(out, out[:, :1].expand_as(out))  # one draw per (sample, channel)
    assert set(out.unique().tolist()) == {0.0, 2.0}  # kept channels scaled by 1 / (1 - rate)
    dropped = (out[:, 0] == 0).double().mean().item()
    assert abs(dropped - 0.5) < 0.08  # 640 draws: 0.5 +- ~4 standard errors


def test_gaussian_noise_and_dropout_have_keras_moments():
    torch.manual_seed(0)
    ones = torch.ones(200_000, 1, dtype=torch.float64)
    added = GaussianNoise(0.3, dtype="float64")(ones, training=True) - 1.0
    assert abs(added.mean().item()) < 0.005 and abs(added.std().item() - 0.3) < 0.005
    factor = GaussianDropout(0.2, dtype="float64")(ones, training=True)
    # Keras: inputs * N(1, sqrt(rate / (1 - rate)))
    assert abs(factor.mean().item() - 1.0) < 0.005 and abs(factor.std().item() - math.sqrt(0.2 / 0.8)) < 0.005


def test_noise_gradients_pass_through():
    layer = GaussianDropout(0.3, seed=2, dtype="float64")
    x = _x()
    out = layer(x, training=True)
    factor = (out / x).detach()
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), factor.numpy(), rtol=1e-10)


def test_activity_regularization_adds_keras_penalty():
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    x = torch.tensor(X, dtype=torch.float32)
    assert torch.equal(layer(x), x)
    expected = (0.1 * np.abs(X).sum() + 0.01 * (X ** 2).sum()) / 4  # divided by the batch size
    np.testing.assert_allclose([t.item() for t in layer.losses], [expected], rtol=1e-5)
    assert "activity_regularizer" not in layer.get_config()
    assert ActivityRegularization.from_config(layer.get_config()).l2 == 0.01


@pytest.mark.parametrize("make, error, message", [
    (lambda: SpatialDropout1D(1.0), ValueError, r"SpatialDropout1D: `rate` must be in \[0, 1\), got 1.0"),
    (lambda: GaussianDropout(-0.1), ValueError, r"GaussianDropout: `rate` must be in \[0, 1\), got -0.1"),
    (lambda: GaussianNoise(2.0), ValueError, r"GaussianNoise: `stddev` must be a number in \[0, 1\], got 2.0"),
    (lambda: GaussianNoise("a"), TypeError, r"GaussianNoise: `stddev` must be a number in \[0, 1\], got 'a'"),
    (lambda: GaussianNoise(0.1, seed=1.5), TypeError, r"GaussianNoise: `seed` must be None or a non-negative integer, got 1.5"),
    (lambda: ActivityRegularization(l1=-1), ValueError, r"L1L2: `l1` must be a finite number >= 0"),
    (lambda: SpatialDropout1D(0.1)(torch.zeros(2, 3)), ValueError,
     r"\(SpatialDropout1D\) expects 3-D input \(batch, timesteps, features\), got shape \(2, 3\)"),
    (lambda: ReLU(max_value=-1), ValueError, r"ReLU: `max_value` must be a number >= 0, got -1"),
    (lambda: ReLU(negative_slope=None), TypeError, r"ReLU: `negative_slope` must be a number >= 0, got None"),
    (lambda: ReLU(threshold=-0.5), ValueError, r"ReLU: `threshold` must be a number >= 0, got -0.5"),
    (lambda: LeakyReLU(negative_slope=-0.1), ValueError, r"LeakyReLU: `negative_slope` must be a number >= 0, got -0.1"),
    (lambda: ELU(alpha="1"), TypeError, r"ELU: `alpha` must be a number, got '1'"),
    (lambda: Softmax(axis=1.0), TypeError, r"Softmax: `axis` must be an integer or a list of integers, got 1.0"),
    (lambda: PReLU(shared_axes=[0]), ValueError, r"PReLU: `shared_axes` must hold axis numbers >= 1"),
    (lambda: PReLU(shared_axes=[3])(torch.zeros(2, 5, 3)), ValueError, r"`shared_axes` \[3\] names axis 3"),
])
def test_bad_arguments_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ---- activations ------------------------------------------------------------------------------
def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # The documented formula of keras.layers.ReLU.
    out = np.where(x > threshold, x, negative_slope * (x - threshold))
    return np.where(x >= max_value, max_value, out) if max_value is not None else out


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 2.0}, {"negative_slope": 0.2}, {"threshold": 1.0},
                                    {"max_value": 4.0, "negative_slope": 0.1, "threshold": 0.5}])
def test_relu_matches_keras_formula(kwargs):
    layer = ReLU(dtype="float64", **kwargs)
    np.testing.assert_allclose(layer(torch.tensor(X)).numpy(), _keras_relu(X, **kwargs), rtol=1e-12)
    assert torch.autograd.gradcheck(layer, (_x(),), eps=1e-6, atol=1e-7)


def test_leaky_relu_elu_and_prelu_match_torch_functional():
    x = torch.tensor(X)
    np.testing.assert_allclose(LeakyReLU(dtype="float64")(x).numpy(), F.leaky_relu(x, 0.3).numpy(), rtol=1e-12)
    with pytest.warns(DeprecationWarning, match="`alpha` is deprecated"):
        assert LeakyReLU(alpha=0.1).negative_slope == 0.1
    np.testing.assert_allclose(ELU(0.7, dtype="float64")(x).numpy(), F.elu(x, 0.7).numpy(), rtol=1e-12)
    layer = PReLU(shared_axes=[1], dtype="float64")
    layer(x)
    alpha = RNG.normal(size=(1, 6))
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).detach().numpy(), F.prelu(x.transpose(1, 2), torch.tensor(alpha[0])).transpose(1, 2).numpy(), rtol=1e-12)
    for each in (LeakyReLU(dtype="float64"), ELU(dtype="float64"), layer):
        assert torch.autograd.gradcheck(each, (_x(),), eps=1e-6, atol=1e-7)


def test_prelu_weights_and_counts_are_keras():
    layer = PReLU()
    layer(torch.zeros(2, 5, 6))
    assert layer.weight_names() == ["alpha"] and layer.count_params() == 30  # Keras: input_shape[1:]
    assert not layer.alpha.detach().any()  # Keras's zeros: a ReLU at first
    model = seqlab.Sequential([Dense(4, input_shape=(3,)), PReLU(alpha_regularizer="l2")])
    assert model.layers[1].count_params() == 4 and len(model.layers[1].losses) == 1


def test_softmax_matches_torch_and_masks_like_keras():
    x = torch.tensor(X)
    np.testing.assert_allclose(Softmax(dtype="float64")(x).numpy(), torch.softmax(x, -1).numpy(), rtol=1e-12)
    both = Softmax(axis=[1, 2], dtype="float64")(x).numpy()
    np.testing.assert_allclose(both.sum(axis=(1, 2)), np.ones(4), rtol=1e-12)
    mask = torch.tensor(RNG.random(size=(4, 5, 6)) > 0.3)
    masked = Softmax(dtype="float64")(x, mask=mask)
    expected = torch.softmax(x.masked_fill(~mask, -1e9), -1)
    np.testing.assert_allclose(masked.numpy(), expected.numpy(), rtol=1e-12)
    assert torch.autograd.gradcheck(lambda t: Softmax(dtype="float64")(t, mask=mask), (_x(),), eps=1e-6, atol=1e-7)
    # the (N, T) timestep mask of a model passes on; it is not applied to the features
    model = seqlab.Sequential([Embedding(10, 4, mask_zero=True, input_shape=(3,)), Softmax()])
    out = model(torch.tensor([[1, 2, 0]]))
    np.testing.assert_allclose(out.sum(-1).detach().numpy(), np.ones((1, 3)), rtol=1e-6)


@pytest.mark.parametrize("module", [noise, activation_layers])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
