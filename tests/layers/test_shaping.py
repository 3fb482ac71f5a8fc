"""RepeatVector, Permute, Cropping1D, ZeroPadding1D, UpSampling1D and Lambda against NumPy;
Lambda saved by registered name only."""
import doctest

import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import (
    Cropping1D, Dense, Lambda, Permute, RepeatVector, UnregisteredFunctionError, UpSampling1D,
    ZeroPadding1D, register_keras_serializable,
)
from seqlab.layers import lambda_layer, reshaping, serializable

RNG = np.random.default_rng(1)
X3 = RNG.normal(size=(2, 5, 3))

CASES = [  # (layer, input, float64 NumPy reference of the output, Keras's output shape for (None, 5, 3))
    (RepeatVector(4, dtype="float64"), X3[:, 0], np.repeat(X3[:, None, 0], 4, axis=1), None),
    (Permute((2, 1), dtype="float64"), X3, X3.transpose(0, 2, 1), (None, 3, 5)),
    (Cropping1D((1, 2), dtype="float64"), X3, X3[:, 1:3], (None, 2, 3)),
    (Cropping1D(0, dtype="float64"), X3, X3, (None, 5, 3)),
    (ZeroPadding1D((2, 1), dtype="float64"), X3, np.pad(X3, ((0, 0), (2, 1), (0, 0))), (None, 8, 3)),
    (UpSampling1D(3, dtype="float64"), X3, np.repeat(X3, 3, axis=1), (None, 15, 3)),
]


@pytest.mark.parametrize("layer, x, expected, keras_shape", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_forward_gradients_and_shapes(layer, x, expected, keras_shape):
    inputs = torch.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(layer(inputs).detach().numpy(), expected)
    assert torch.autograd.gradcheck(layer, (inputs,), eps=1e-6, atol=1e-8)
    if keras_shape is not None:
        assert layer.compute_output_shape((None, 5, 3)) == keras_shape
        assert layer.compute_output_shape((None, None, 3))[1] is None or isinstance(layer, Permute)
    assert layer.count_params() == 0


def test_repeat_vector_shape_and_rank_message():
    assert RepeatVector(4).compute_output_shape((None, 3)) == (None, 4, 3)
    with pytest.raises(ValueError, match=r"\(RepeatVector\) expects 2-D input \(batch, features\), got shape \(2, 5, 3\)"):
        RepeatVector(2)(torch.zeros(2, 5, 3))


@pytest.mark.parametrize("make, error, message", [
    (lambda: RepeatVector(0), ValueError, r"RepeatVector: `n` must be a positive integer, got 0"),
    (lambda: Permute((1, 3)), ValueError, r"Permute: `dims` must be a permutation of 1..2 .*got \(1, 3\)"),
    (lambda: Permute(2), TypeError, r"Permute: `dims` must be a tuple of axis numbers such as \(2, 1\), got 2"),
    (lambda: Cropping1D((1, 2, 3)), ValueError, r"Cropping1D: `cropping` must be an integer or a pair"),
    (lambda: Cropping1D(-1), ValueError, r"Cropping1D: `cropping` must be a non-negative integer, got -1"),
    (lambda: ZeroPadding1D(1.5), TypeError, r"ZeroPadding1D: `padding` must be a non-negative integer, got 1.5"),
    (lambda: UpSampling1D(0), ValueError, r"UpSampling1D: `size` must be a positive integer, got 0"),
    (lambda: Lambda(3), TypeError, r"Lambda: `function` must be callable, got 3"),
    (lambda: Lambda(abs, arguments=[1]), TypeError, r"Lambda: `arguments` must be a dict"),
])
def test_bad_arguments_refused_by_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_cropping_more_than_the_sequence_is_refused():
    with pytest.raises(ValueError, match=r"\(Cropping1D\): `cropping` \(2, 3\) must remove fewer steps than "
                                         r"the input has, got input of shape \(2, 5, 3\)"):
        Cropping1D((2, 3))(torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match=r"\(ZeroPadding1D\) expects 3-D input \(batch, timesteps, features\)"):
        ZeroPadding1D()(torch.zeros(2, 5))


# ---- Lambda -----------------------------------------------------------------------------------
@register_keras_serializable(package="ShapingTests")
def scaled(x, factor=1.0, training=False):
    return x * factor + (1.0 if training else 0.0)


@register_keras_serializable(package="ShapingTests")
def first_axis_only(input_shape):
    return (input_shape[0], input_shape[1])


def test_lambda_runs_any_callable_with_arguments_training_and_lists():
    layer = Lambda(scaled, arguments={"factor": 3.0})
    x = torch.tensor(X3)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), X3 * 3.0)
    np.testing.assert_array_equal(layer(x, training=True).numpy(), X3 * 3.0 + 1.0)
    pair = Lambda(lambda xs: xs[0] * xs[1])([x, x])
    np.testing.assert_array_equal(pair.numpy(), X3 * X3)
    inputs = torch.tensor(X3, requires_grad=True)
    assert torch.autograd.gradcheck(Lambda(torch.tanh, dtype="float64"), (inputs,), eps=1e-6, atol=1e-8)


def test_lambda_output_shape_given_inferred_or_computed():
    assert Lambda(lambda x: x[:, -1]).compute_output_shape((None, 5, 3)) == (None, 3)
    assert Lambda(lambda x: x, output_shape=(7, 2)).compute_output_shape((None, 5, 3)) == (None, 7, 2)
    assert Lambda(lambda x: x, output_shape=first_axis_only).compute_output_shape((None, 5, 3)) == (None, 5)


def test_lambda_config_holds_only_the_registered_name():
    layer = Lambda(scaled, output_shape=first_axis_only, arguments={"factor": 2.0})
    config = layer.get_config()
    assert config["function"] == "ShapingTests>scaled"
    assert config["output_shape"] == "ShapingTests>first_axis_only"
    clone = Lambda.from_config(config)
    assert clone.function is scaled and clone.arguments == {"factor": 2.0}


def test_saving_a_model_with_an_unregistered_lambda_is_refused(tmp_path):
    model = seqlab.Sequential([Dense(2, input_shape=(3,)), Lambda(lambda x: x * 2)])
    with pytest.raises(UnregisteredFunctionError, match=r"Lambda layer 'lambda\w*' cannot be saved: its `function` "
                       r"'<lambda>' is not a registered function, and seqlab stores functions by name only"):
        model.save(tmp_path / "m.seqlab")
    assert not (tmp_path / "m.seqlab").exists()

    def local(x):
        return x

    with pytest.raises(UnregisteredFunctionError, match=r"register it with @seqlab.layers.register_keras_serializable\(\) "
                       r"\(stored as 'Custom>local'\)"):
        Lambda(local).get_config()
    assert repr(Lambda(local)) == "Lambda(local)"  # a repr never fails
    with pytest.raises(UnregisteredFunctionError, match=r"`arguments` .* are not plain JSON"):
        Lambda(scaled, arguments={"factor": torch.ones(1)}).get_config()


def test_a_registered_lambda_round_trips_through_a_model_file(tmp_path):
    model = seqlab.Sequential([Dense(2, input_shape=(3,)), Lambda(scaled, arguments={"factor": -2.0})])
    path = tmp_path / "m.seqlab"
    model.save(path)
    loaded = seqlab.models.load_model(path)
    x = torch.randn(4, 3)
    assert torch.equal(loaded(x), model(x))
    assert loaded.layers[1].function is scaled


def test_loading_an_unknown_function_name_says_what_to_import():
    with pytest.raises(ValueError, match=r"Lambda: the `function` 'Nowhere>f' is not registered in this program; "
                                         r"import the module that registers it"):
        Lambda.from_config({"function": "Nowhere>f"})
    with pytest.raises(ValueError, match=r"register_keras_serializable: a Python lambda has no name"):
        register_keras_serializable()(lambda x: x)
    with pytest.raises(ValueError, match=r"register_keras_serializable: `package` must be a non-empty string without '>'"):
        register_keras_serializable(package="a>b")


@pytest.mark.parametrize("module", [reshaping, lambda_layer, serializable])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
