"""Normalization layers against torch.nn.functional / float64 NumPy with copied weights;
Keras's weight shapes, counts and BatchNormalization's moving-statistics rule."""
import doctest

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import seqlab
from seqlab.layers import BatchNormalization, Dense, Embedding, GroupNormalization, LayerNormalization, UnitNormalization
from seqlab.layers import normalization

RNG = np.random.default_rng(2)
X = RNG.normal(loc=1.5, scale=2.0, size=(4, 6, 8))


def _x():
    return torch.tensor(X, requires_grad=True)


def _random_affine(layer):
    layer.set_weights([RNG.normal(size=w.shape) if i < 2 else w for i, w in enumerate(layer.get_weights())])


def test_batch_normalization_weights_and_counts_are_keras():
    # Keras's build: gamma, beta, moving_mean, moving_variance, each (features,); the moving
    # statistics are trainable=False, so 64 channels give 4 * 64 = 256 params, 128 non-trainable.
    model = seqlab.Sequential([Dense(64, input_shape=(10,)), BatchNormalization()])
    layer = model.layers[1]
    assert layer.weight_names() == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.get_weights()] == [(64,)] * 4
    assert layer.count_params() == 256
    text = seqlab.models.summary.format_summary(model)
    assert "Total params: 960" in text and "Non-trainable params: 128" in text
    model.trainable = False
    model.trainable = True  # unfreezing never makes the moving statistics trainable
    assert not layer.moving_mean.requires_grad and not layer.moving_variance.requires_grad
    assert layer.gamma.requires_grad and layer.beta.requires_grad


def test_batch_normalization_moving_statistics_follow_keras_rule_then_serve_inference():
    layer = BatchNormalization(momentum=0.9, dtype="float64")
    x = torch.tensor(X)
    layer(x, training=True)
    mean, variance = X.mean(axis=(0, 1)), X.var(axis=(0, 1))  # biased variance, as ops.moments
    # Keras: moving = moving * momentum + batch * (1 - momentum), from zeros and ones.
    np.testing.assert_allclose(layer.moving_mean.detach().numpy(), 0.0 * 0.9 + mean * 0.1, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.detach().numpy(), 1.0 * 0.9 + variance * 0.1, rtol=1e-12)
    _random_affine(layer)
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    expected = (X - moving_mean) / np.sqrt(moving_variance + 1e-3) * gamma + beta
    np.testing.assert_allclose(layer(x, training=False).detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    before = layer.get_weights()[2].copy()
    layer.trainable = False  # Keras: a frozen BatchNormalization runs in inference mode
    np.testing.assert_allclose(layer(x, training=True).detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(layer.get_weights()[2], before)


def test_batch_normalization_training_output_matches_torch_functional():
    layer = BatchNormalization(dtype="float64")
    layer(torch.tensor(X), training=False)
    _random_affine(layer)
    gamma, beta = (torch.tensor(w) for w in layer.get_weights()[:2])
    out = layer(torch.tensor(X), training=True)
    channels_first = torch.tensor(X).transpose(1, 2)
    reference = F.batch_norm(channels_first, None, None, gamma, beta, training=True, eps=1e-3).transpose(1, 2)
    np.testing.assert_allclose(out.detach().numpy(), reference.numpy(), rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(lambda x: layer(x, training=True), (_x(),), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradcheck(lambda x: layer(x, training=False), (_x(),), eps=1e-6, atol=1e-7)


def test_batch_normalization_on_another_axis_and_with_a_mask():
    layer = BatchNormalization(axis=1, momentum=0.0, dtype="float64")  # momentum 0: moving = batch
    layer(torch.tensor(X), training=True)
    np.testing.assert_allclose(layer.moving_mean.detach().numpy(), X.mean(axis=(0, 2)), rtol=1e-12)
    mask = RNG.random(size=(4, 6)) > 0.3
    masked = BatchNormalization(momentum=0.0, dtype="float64")
    masked(torch.tensor(X), training=True, mask=torch.tensor(mask))
    kept = X[mask]  # (kept steps, 8): padded timesteps leave the statistics
    np.testing.assert_allclose(masked.moving_mean.detach().numpy(), kept.sum(0) / (mask.sum() + 1e-7), rtol=1e-10)
    np.testing.assert_allclose(masked.moving_variance.detach().numpy(),
                               ((kept - masked.moving_mean.detach().numpy()) ** 2).sum(0) / (mask.sum() + 1e-7), rtol=1e-10)


def test_batch_normalization_takes_an_embedding_mask_in_a_model():
    model = seqlab.Sequential([Embedding(10, 4, mask_zero=True, input_shape=(5,)), BatchNormalization()])
    out = model(torch.tensor([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0]]), training=True)
    assert out.shape == (2, 5, 4)


def test_layer_normalization_matches_torch_functional():
    layer = LayerNormalization(dtype="float64")
    layer(torch.tensor(X))
    _random_affine(layer)
    gamma, beta = (torch.tensor(w) for w in layer.get_weights())
    reference = F.layer_norm(torch.tensor(X), (8,), gamma, beta, eps=1e-3)
    np.testing.assert_allclose(layer(torch.tensor(X)).detach().numpy(), reference.numpy(), rtol=1e-10, atol=1e-12)
    assert layer.count_params() == 16  # Keras: gamma and beta of shape (8,)
    assert torch.autograd.gradcheck(layer, (_x(),), eps=1e-6, atol=1e-7)


def test_layer_normalization_over_several_axes_and_rms_scaling():
    layer = LayerNormalization(axis=[1, 2], center=False, dtype="float64")
    out = layer(torch.tensor(X)).detach().numpy()
    assert [w.shape for w in layer.get_weights()] == [(6, 8)]  # Keras: the sizes on `axis`
    mean, var = X.mean(axis=(1, 2), keepdims=True), X.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (X - mean) / np.sqrt(var + 1e-3), rtol=1e-10, atol=1e-12)
    rms = LayerNormalization(rms_scaling=True, dtype="float64")
    expected = X / np.sqrt((X ** 2).mean(axis=-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(rms(torch.tensor(X)).detach().numpy(), expected, rtol=1e-10)
    assert rms.weight_names() == ["gamma"]
    assert torch.autograd.gradcheck(rms, (_x(),), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("groups", [1, 2, 4, -1])
def test_group_normalization_matches_torch_functional(groups):
    layer = GroupNormalization(groups=groups, dtype="float64")
    layer(torch.tensor(X))
    _random_affine(layer)
    gamma, beta = (torch.tensor(w) for w in layer.get_weights())
    reference = F.group_norm(torch.tensor(X).transpose(1, 2), 8 if groups == -1 else groups, gamma, beta, eps=1e-3)
    np.testing.assert_allclose(layer(torch.tensor(X)).detach().numpy(), reference.transpose(1, 2).numpy(),
                               rtol=1e-10, atol=1e-12)
    assert layer.count_params() == 16
    assert torch.autograd.gradcheck(layer, (_x(),), eps=1e-6, atol=1e-7)


def test_unit_normalization_matches_numpy():
    layer = UnitNormalization(axis=[1, 2], dtype="float64")
    expected = X / np.sqrt((X ** 2).sum(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(layer(torch.tensor(X)).detach().numpy(), expected, rtol=1e-12)
    assert torch.autograd.gradcheck(UnitNormalization(dtype="float64"), (_x(),), eps=1e-6, atol=1e-7)
    assert UnitNormalization()(torch.zeros(1, 3)).tolist() == [[0.0, 0.0, 0.0]]


@pytest.mark.parametrize("make, error, message", [
    (lambda: LayerNormalization(epsilon=-1), ValueError, r"LayerNormalization: `epsilon` must be a positive number, got -1"),
    (lambda: BatchNormalization(momentum=1.5), ValueError, r"BatchNormalization: `momentum` must be a number in \[0, 1\]"),
    (lambda: BatchNormalization(axis="x"), TypeError, r"BatchNormalization: `axis` must be an integer, got 'x'"),
    (lambda: BatchNormalization(center="yes"), TypeError, r"BatchNormalization: `center` must be True or False"),
    (lambda: GroupNormalization(groups=0), ValueError, r"GroupNormalization: `groups` must be a positive integer, got 0"),
    (lambda: GroupNormalization(groups=3)(torch.zeros(2, 5, 8)), ValueError,
     r"\(GroupNormalization\): `groups` 3 must divide the 8 channels on axis -1"),
    (lambda: BatchNormalization(axis=3)(torch.zeros(2, 5, 8)), ValueError,
     r"\(BatchNormalization\): `axis` 3 must name a non-batch axis of inputs of shape \(2, 5, 8\)"),
    (lambda: LayerNormalization(gamma_regularizer="l3"), ValueError, r"LayerNormalization: `gamma_regularizer`: unknown regularizer 'l3'"),
])
def test_bad_arguments_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_built_sizes_are_checked():
    layer = BatchNormalization()
    layer(torch.zeros(2, 5, 8))
    with pytest.raises(ValueError, match=r"was built for 8 features on axis -1, got input of shape \(2, 5, 4\)"):
        layer(torch.zeros(2, 5, 4))


def test_gamma_regularizer_is_a_penalty():
    layer = LayerNormalization(gamma_regularizer=seqlab.regularizers.L2(0.5))
    layer(torch.zeros(2, 3))
    assert [t.item() for t in layer.losses] == [1.5]  # 0.5 * sum(ones(3) ** 2)


def test_docstring_examples():
    result = doctest.testmod(normalization, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
