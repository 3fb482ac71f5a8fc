"""Merging layers against float64 NumPy references; Keras's shape rules and messages."""
import doctest

import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import (
    Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add, average,
    concatenate, dot, maximum, minimum, multiply, subtract,
)
from seqlab.layers import axis_merging, merging

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 4, 3))
B = RNG.normal(size=(2, 4, 3))
C = RNG.normal(size=(2, 3))  # fewer axes: Keras inserts an axis after the batch axis

ELEMENTWISE = [
    (Add, lambda xs: sum(xs)),
    (Multiply, lambda xs: np.prod(np.broadcast_arrays(*xs), axis=0)),
    (Average, lambda xs: sum(xs) / len(xs)),
    (Maximum, lambda xs: np.maximum.reduce(np.broadcast_arrays(*xs))),
    (Minimum, lambda xs: np.minimum.reduce(np.broadcast_arrays(*xs))),
]


def _t(array):
    return torch.tensor(array, dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("cls, reference", ELEMENTWISE, ids=[c.__name__ for c, _ in ELEMENTWISE])
def test_elementwise_forward_matches_numpy_with_keras_broadcasting(cls, reference):
    out = cls(dtype="float64")([_t(A), _t(B), _t(C)])
    expected = reference([A, B, C[:, None, :]])
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    assert cls().compute_output_shape([(None, 4, 3), (None, 4, 3), (None, 3)]) == (None, 4, 3)


@pytest.mark.parametrize("cls", [Add, Multiply, Average, Maximum, Minimum, Subtract])
def test_elementwise_gradients(cls):
    layer = cls(dtype="float64")
    inputs = (_t(A[:, :2]), _t(B[:, :2]))
    assert torch.autograd.gradcheck(lambda a, b: layer([a, b]), inputs, eps=1e-6, atol=1e-8)


def test_subtract_is_first_minus_second():
    out = Subtract(dtype="float64")([_t(A), _t(C)])
    np.testing.assert_allclose(out.detach().numpy(), A - C[:, None, :], rtol=1e-12)


def test_concatenate_forward_shape_and_gradients():
    x, y = _t(A), _t(RNG.normal(size=(2, 4, 5)))
    out = Concatenate(dtype="float64")([x, y])
    np.testing.assert_array_equal(out.detach().numpy(), np.concatenate([A, y.detach().numpy()], axis=-1))
    assert Concatenate(axis=1).compute_output_shape([(None, 4, 3), (None, None, 3)]) == (None, None, 3)
    assert Concatenate().compute_output_shape([(None, 4, 3), (None, 4, 5)]) == (None, 4, 8)
    layer = Concatenate(axis=1, dtype="float64")
    assert torch.autograd.gradcheck(lambda a, b: layer([a, b]), (_t(A), _t(B)), eps=1e-6, atol=1e-8)


def _dot_reference(x, y, axes, normalize):
    if normalize:
        x = x / np.sqrt(np.maximum((x ** 2).sum(axis=axes[0], keepdims=True), 1e-12))
        y = y / np.sqrt(np.maximum((y ** 2).sum(axis=axes[1], keepdims=True), 1e-12))
    out = np.stack([np.tensordot(xi, yi, axes=(axes[0] - 1, axes[1] - 1)) for xi, yi in zip(x, y)])
    return out[:, None] if out.ndim == 1 else out


@pytest.mark.parametrize("axes, shapes", [
    (2, [(2, 4, 3), (2, 5, 3)]),
    ((1, 1), [(2, 4, 3), (2, 4, 5)]),
    (-1, [(2, 3), (2, 3)]),
    ((2, 1), [(2, 4, 3), (2, 3, 6)]),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_dot_matches_numpy_tensordot(axes, shapes, normalize):
    x, y = (RNG.normal(size=s) for s in shapes)
    layer = Dot(axes, normalize=normalize, dtype="float64")
    out = layer([_t(x), _t(y)])
    pair = axes if isinstance(axes, tuple) else (axes % len(shapes[0]), axes % len(shapes[1]))
    expected = _dot_reference(x, y, pair, normalize)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert layer.compute_output_shape([(None, *s[1:]) for s in shapes]) == (None, *expected.shape[1:])
    assert torch.autograd.gradcheck(lambda a, b: layer([a, b]), (_t(x), _t(y)), eps=1e-6, atol=1e-7)


def test_functional_forms_build_the_layer_and_call_it():
    x, y = torch.ones(2, 3), torch.full((2, 3), 2.0)
    assert add([x, y])[0, 0].item() == 3.0
    assert subtract([x, y])[0, 0].item() == -1.0
    assert multiply([x, y])[0, 0].item() == 2.0
    assert average([x, y])[0, 0].item() == 1.5
    assert maximum([x, y])[0, 0].item() == 2.0
    assert minimum([x, y])[0, 0].item() == 1.0
    assert concatenate([x, y], axis=1).shape == (2, 6)
    assert dot([x, y], axes=1).tolist() == [[6.0], [6.0]]
    assert concatenate([x, y], axis=1, name="joined") is not None


def test_merging_layers_have_no_weights():
    for layer in (Add(), Concatenate(), Dot(1)):
        layer([torch.ones(2, 3), torch.ones(2, 3)])
        assert layer.count_params() == 0 and layer.get_weights() == []


def test_masks_merge_by_logical_or():
    m1 = torch.tensor([[True, False, False]])
    m2 = torch.tensor([[False, False, True]])
    assert Add().compute_mask(None, [m1, m2]).tolist() == [[True, False, True]]
    assert Add().compute_mask(None, [m1, None]) is None
    x = torch.zeros(1, 3, 2)
    assert Concatenate().compute_mask([x, x], [m1, m2]).tolist() == [[True, False, True]]
    assert Concatenate(axis=1).compute_mask([x, x], [m1, None]).tolist() == [[True, False, False, True, True, True]]


@pytest.mark.parametrize("call, message", [
    (lambda: Add()([torch.ones(2, 3), torch.ones(2, 4)]),
     r"layer 'add\w*' \(Add\): inputs have incompatible shapes \[\(2, 3\), \(2, 4\)\]: on axis 1 sizes \[3, 4\]"),
    (lambda: Add()([torch.ones(2, 3), torch.ones(5, 3)]), r"cannot merge tensors with different batch sizes"),
    (lambda: Subtract()([torch.ones(2, 3)] * 3), r"\(Subtract\) should be called on a list of exactly 2 inputs, got 3"),
    (lambda: Dot(1)([torch.ones(2, 3)]), r"\(Dot\) should be called on a list of exactly 2 inputs, got 1"),
    (lambda: Dot(1)([torch.ones(2, 3), torch.ones(2, 4)]), r"size 3 \(axis 1\) != size 4 \(axis 1\)"),
    (lambda: Dot(0)([torch.ones(2, 3), torch.ones(2, 3)]), r"`axes` 0 must name non-batch axes"),
    (lambda: Concatenate()([torch.ones(2, 3), torch.ones(2, 4, 3)]), r"needs inputs of the same rank"),
    (lambda: Concatenate(axis=-1)([torch.ones(2, 3, 1), torch.ones(2, 4, 1)]),
     r"matching shapes except for the concatenation axis -1, got shapes \[\(2, 3, 1\), \(2, 4, 1\)\]"),
    (lambda: Concatenate(axis=0)([torch.ones(2, 3), torch.ones(2, 3)]), r"`axis` must name a non-batch axis"),
])
def test_bad_inputs_are_refused_by_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bad_arguments_and_non_lists_are_refused():
    with pytest.raises(TypeError, match=r"Concatenate: `axis` must be an integer axis, got '1'"):
        Concatenate(axis="1")
    with pytest.raises(ValueError, match=r"Dot: `axes` must be an integer or a pair of integers, got \(1, 2, 3\)"):
        Dot((1, 2, 3))
    with pytest.raises(TypeError, match=r"Dot: `normalize` must be True or False, got 'yes'"):
        Dot(1, normalize="yes")
    with pytest.raises(TypeError, match=r"\(Add\) takes a list of tensors, e.g. Add\(\)\(\[a, b\]\)"):
        Add()(torch.ones(2, 3))


def test_a_built_merge_checks_every_later_call():
    layer = Add()
    layer([torch.ones(2, 3), torch.ones(2, 3)])
    with pytest.raises(ValueError, match="incompatible shapes"):
        layer([torch.ones(2, 3), torch.ones(2, 4)])


@pytest.mark.parametrize("module", [merging, axis_merging])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
