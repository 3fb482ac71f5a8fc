"""Normalization: adapt against NumPy's mean and variance (one array, several batches, other
axes), invert, given statistics, the weights Keras has, and saving them in the model file."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import Dense, Normalization
from seqlab.models import Sequential, load_model

RNG = np.random.default_rng(0)
DATA = RNG.normal(loc=[1.0, -2.0, 5.0], scale=[0.5, 3.0, 2.0], size=(64, 3))


def test_adapt_matches_numpy_and_normalizes():
    layer = Normalization(dtype="float64")
    layer.adapt(DATA)
    np.testing.assert_allclose(layer.mean.numpy(), DATA.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.variance.numpy(), DATA.var(axis=0), rtol=1e-12)
    out = layer(torch.as_tensor(DATA)).numpy()
    np.testing.assert_allclose(out, (DATA - DATA.mean(0)) / DATA.std(0), rtol=1e-10, atol=1e-12)


def test_adapt_over_batches_equals_one_array():
    one = Normalization(dtype="float64")
    one.adapt(DATA)
    batched = Normalization(dtype="float64")
    batched.adapt([DATA[:10], DATA[10:37], DATA[37:]])  # an iterable of batches (ragged sizes)
    np.testing.assert_allclose(batched.mean.numpy(), one.mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(batched.variance.numpy(), one.variance.numpy(), rtol=1e-12)
    assert int(batched.count) == 64


def test_other_axes():
    series = RNG.normal(size=(8, 5, 3))
    per_step = Normalization(axis=(1, 2), dtype="float64")
    per_step.adapt(series)
    np.testing.assert_allclose(per_step.mean.numpy(), series.mean(axis=0), rtol=1e-12)
    overall = Normalization(axis=None, dtype="float64")
    overall.adapt(series)
    np.testing.assert_allclose(overall.mean.numpy(), series.mean(), rtol=1e-12)
    np.testing.assert_allclose(overall(torch.as_tensor(series)).numpy(), (series - series.mean()) / series.std(), rtol=1e-10)


def test_invert_undoes_and_keras_examples():
    layer = Normalization()
    layer.adapt(np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]]))
    assert layer(np.array([[0., 7., 4.]])).tolist() == [[-1.0, -1.0, -1.0]]  # Keras's docstring
    back = Normalization(invert=True)
    back.adapt(np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]]))
    assert back(np.array([[1., 2., 3.]])).tolist() == [[2.0, 10.0, 8.0]]  # Keras's docstring
    given = Normalization(mean=3.0, variance=2.0)
    np.testing.assert_allclose(given(np.array([[1.], [2.], [3.]])).numpy(),
                               [[-1.4142135], [-0.70710677], [0.0]], rtol=1e-6)  # Keras's docstring
    assert given.get_weights() == []  # given statistics are config, not weights (Keras)


def test_zero_variance_divides_by_keras_epsilon():
    layer = Normalization(mean=1.0, variance=0.0, dtype="float64")
    assert layer(torch.tensor([[1.5]], dtype=torch.float64)).item() == pytest.approx(0.5 / 1e-7)


def test_weights_are_keras_non_trainable_mean_variance_count():
    layer = Normalization()
    layer.adapt(DATA)
    assert layer.weight_names() == ["mean", "variance", "count"]
    assert [w.shape for w in layer.get_weights()] == [(3,), (3,), ()]
    assert layer.count_params() == 7  # Keras: mean (3) + variance (3) + count (1), all non-trainable
    assert list(layer.parameters()) == []  # never seen by an optimizer
    layer.trainable = True
    assert list(layer.parameters()) == []


def test_saved_in_the_model_file_and_loaded(tmp_path):
    seqlab.utils.set_random_seed(0)
    norm = Normalization()
    norm.adapt(DATA)
    model = Sequential([norm, Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(DATA.astype("float32"), DATA[:, :2].astype("float32"), epochs=1, verbose=0)
    np.testing.assert_allclose(norm.mean.numpy(), DATA.mean(0), rtol=1e-5)  # fit leaves the statistics alone
    model.save(tmp_path / "norm.seqlab")
    loaded = load_model(tmp_path / "norm.seqlab")
    np.testing.assert_array_equal(loaded.layers[0].mean.numpy(), norm.mean.numpy())
    np.testing.assert_array_equal(loaded.predict(DATA, verbose=0), model.predict(DATA, verbose=0))


@pytest.mark.parametrize("make, error, message", [
    (lambda: Normalization(mean=1.0), ValueError, "Normalization: give both `mean` and `variance` or neither"),
    (lambda: Normalization(mean=[1.0, 2.0], variance=[1.0]), ValueError, r"must have the same shape, got \(2,\) and \(1,\)"),
    (lambda: Normalization(axis="last"), TypeError, "Normalization: `axis` must be an integer, a tuple of integers or None, got 'last'"),
    (lambda: Normalization(mean=0.0, variance=-1.0), ValueError, "Normalization: `variance` must be non-negative"),
    (lambda: Normalization(axis=3)(np.zeros((2, 3))), ValueError, r"`axis` \(3,\) is out of range for 2-D input"),
    (lambda: Normalization(name="n").adapt(np.zeros((0, 3))), ValueError,
     "Normalization 'n': `adapt` got an empty data set .*; it learns its mean and variance from the training data"),
])
def test_bad_arguments_are_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_built_size_is_checked():
    layer = Normalization(name="norm3")
    layer.adapt(DATA)
    with pytest.raises(ValueError, match=r"Normalization 'norm3' was built for input shape \(None, 3\), got input of shape \(2, 4\)"):
        layer(np.zeros((2, 4)))


def test_gradients_through_normalization_and_its_inverse():
    for invert in (False, True):
        layer = Normalization(dtype="float64", invert=invert)
        layer.adapt(DATA)
        x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(layer, (x,))
        # d out / d x = 1 / std (normalize) or std (invert), per feature
        (layer(x).sum()).backward()
        scale = DATA.std(0) if invert else 1 / DATA.std(0)
        np.testing.assert_allclose(x.grad.numpy(), np.tile(scale, (4, 1)), rtol=1e-10)
