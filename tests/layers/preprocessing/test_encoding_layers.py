"""CategoryEncoding and Discretization against Keras's docstring examples and hand-computed
cases; Discretization's learned boundaries against NumPy's quantiles."""
import doctest
import importlib

import numpy as np
import pytest
import torch

from seqlab.layers import CategoryEncoding, Discretization


def test_category_encoding_keras_examples():
    one_hot = CategoryEncoding(num_tokens=4, output_mode="one_hot")([3, 2, 0, 1])
    np.testing.assert_array_equal(one_hot.numpy(), np.eye(4)[[3, 2, 0, 1]])
    ids = [[0, 1], [0, 0], [1, 2], [3, 1]]
    multi = CategoryEncoding(num_tokens=4, output_mode="multi_hot")(ids)
    assert multi.tolist() == [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]]
    weighted = CategoryEncoding(num_tokens=4, output_mode="count")(
        ids, count_weights=np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]]))
    np.testing.assert_allclose(weighted.numpy(), [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]], rtol=1e-6)
    counts = CategoryEncoding(num_tokens=3, output_mode="count")([[0, 0, 2], [1, 1, 1]])
    assert counts.tolist() == [[2, 0, 1], [0, 3, 0]]
    assert CategoryEncoding(num_tokens=3).compute_output_shape((None, 5)) == (None, 3)


@pytest.mark.parametrize("make, error, message", [
    (lambda: CategoryEncoding(), ValueError, "CategoryEncoding: `num_tokens` must be set"),
    (lambda: CategoryEncoding(0), ValueError, "CategoryEncoding: `num_tokens` must be a positive integer, got 0"),
    (lambda: CategoryEncoding(3, output_mode="tf_idf"), ValueError, "CategoryEncoding: `output_mode` must be 'multi_hot'"),
    (lambda: CategoryEncoding(3, name="cats")([[0, 3]]), ValueError,
     r"CategoryEncoding 'cats': input values must be in the range 0 <= values < num_tokens=3, got values from 0 to 3"),
    (lambda: CategoryEncoding(3)([[0, 1]], count_weights=[[1, 1]]), ValueError, "`count_weights` is only for output_mode='count'"),
    (lambda: Discretization(bin_boundaries=[1.0, 0.0]), ValueError, "Discretization: `bin_boundaries` must be sorted"),
    (lambda: Discretization(bin_boundaries=[0.0], num_bins=4), ValueError, "give `bin_boundaries` or `num_bins`, not both"),
    (lambda: Discretization(num_bins=2, epsilon=0), ValueError, r"Discretization: `epsilon` must be a number in \(0, 1\), got 0"),
    (lambda: Discretization(bin_boundaries=[0.0], name="d").adapt([1.0]), ValueError, "Discretization 'd' was made with `bin_boundaries`"),
    (lambda: Discretization(num_bins=2)(np.zeros((1, 2))), ValueError, "has no bins yet"),
    (lambda: Discretization(num_bins=2, name="d").adapt(np.zeros((0,))), ValueError,
     "Discretization 'd': `adapt` got an empty data set"),
])
def test_bad_arguments_are_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_discretization_keras_examples_and_bins():
    x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    assert Discretization(bin_boundaries=[0., 1., 2.])(x).tolist() == [[0, 2, 3, 1], [1, 3, 2, 1]]
    learned = Discretization(num_bins=4, epsilon=0.01)
    learned.adapt(x)
    assert learned(x).tolist() == [[0, 2, 3, 2], [1, 3, 3, 1]]  # Keras's docstring answer
    hot = Discretization(bin_boundaries=[0., 1.], output_mode="multi_hot")([[-1.0, 0.5], [2.0, 2.0]])
    assert hot.tolist() == [[1, 1, 0], [0, 0, 1]]


def test_discretization_boundaries_are_close_to_the_quantiles():
    data = np.random.default_rng(0).normal(size=20000)
    layer = Discretization(num_bins=4, epsilon=0.01)
    layer.adapt([data[:7000], data[7000:]])  # batches merged, as Keras
    quartiles = np.quantile(data, [0.25, 0.5, 0.75])
    # the rank of each boundary within about epsilon of the data
    ranks = np.searchsorted(np.sort(data), layer.bin_boundaries) / data.size
    np.testing.assert_allclose(ranks, [0.25, 0.5, 0.75], atol=0.015)
    np.testing.assert_allclose(layer.bin_boundaries, quartiles, atol=0.05)
    bins = layer(torch.as_tensor(data)).numpy()
    np.testing.assert_allclose(np.bincount(bins) / data.size, [0.25] * 4, atol=0.015)


@pytest.mark.parametrize("name", ["text_vectorization", "lookups", "normalization", "category_encoding",
                                  "discretization"])
def test_docstring_examples(name):
    module = importlib.import_module(f"seqlab.layers.preprocessing.{name}")
    result = doctest.testmod(module, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_count_weights_carry_gradients():
    layer = CategoryEncoding(num_tokens=4, output_mode="count", dtype="float64")
    weights = torch.rand(3, 2, dtype=torch.float64, requires_grad=True)
    ids = torch.tensor([[0, 1], [2, 2], [3, 0]])
    assert torch.autograd.gradcheck(lambda w: layer(ids, count_weights=w), (weights,))
