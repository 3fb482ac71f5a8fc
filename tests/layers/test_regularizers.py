"""Regularizers: Keras 3's formulas and names, and the penalties layers report in ``losses``.

References are float64 NumPy transcriptions of Keras 3's ``keras/src/regularizers/regularizers.py``
(``l1 * sum(|x|)``, ``l2 * sum(x**2)``) and of its ``Layer.__call__``, which divides an activity
penalty by the batch size.
"""
import doctest

import numpy as np
import pytest
import torch

import seqlab
from seqlab import regularizers
from seqlab.layers import GRU, LSTM, Bidirectional, Conv1D, Dense, Embedding, Flatten, SimpleRNN, TimeDistributed
from seqlab.models import Sequential
from seqlab.regularizers import L1, L1L2, L2
from seqlab.utils import set_random_seed

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4, 5))  # float64


def floats(tensors):
    return [t.detach().item() for t in tensors]


def test_each_regularizer_matches_its_float64_formula():
    x = torch.as_tensor(X)
    np.testing.assert_allclose(float(L1(0.3)(x)), 0.3 * np.abs(X).sum(), rtol=1e-12)
    np.testing.assert_allclose(float(L2(0.2)(x)), 0.2 * (X ** 2).sum(), rtol=1e-12)
    np.testing.assert_allclose(float(L1L2(l1=0.3, l2=0.2)(x)), 0.3 * np.abs(X).sum() + 0.2 * (X ** 2).sum(),
                               rtol=1e-12)
    assert float(L1L2()(x)) == 0.0  # Keras 3's class defaults: no penalty at all
    assert L2(0.5)(x.float()).dtype == torch.float32  # the weight's dtype, as Keras casts the factor


def test_keras_defaults_and_lowercase_aliases():
    assert L1().l1 == 0.01 and L2().l2 == 0.01
    assert (L1L2().l1, L1L2().l2) == (0.0, 0.0)
    assert regularizers.l1 is L1 and regularizers.l2 is L2 and regularizers.l1_l2 is L1L2
    assert L2(None).l2 == 0.01  # Keras: None means the default
    assert seqlab.regularizers is regularizers
    result = doctest.testmod(regularizers, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_get_accepts_keras_identifiers():
    assert regularizers.get(None) is None
    l2 = L2(0.3)
    assert regularizers.get(l2) is l2
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    # Keras documents the name 'l1_l2' as l1=0.01, l2=0.01 (the class defaults are zeros)
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    rebuilt = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}})
    assert type(rebuilt) is L1L2 and rebuilt.get_config() == {"l1": 0.1, "l2": 0.2}
    assert type(regularizers.get(L2)) is L2  # a class is instantiated with its defaults

    def penalty(w):
        return w.sum()

    assert regularizers.get(penalty) is penalty


def test_serialize_gives_keras_form_and_round_trips():
    assert regularizers.serialize(None) is None
    assert regularizers.serialize(L2(0.01)) == {"class_name": "L2", "config": {"l2": 0.01}}
    spec = regularizers.serialize(L1L2(l1=0.1, l2=0.2))
    assert regularizers.get(spec).get_config() == {"l1": 0.1, "l2": 0.2}

    def my_penalty(w):
        return w.sum()

    assert regularizers.serialize(my_penalty) == {"custom": "my_penalty"}
    with regularizers.custom_object_scope({"my_penalty": my_penalty}):
        assert regularizers.get({"custom": "my_penalty"}) is my_penalty


@pytest.mark.parametrize("call, error, message", [
    (lambda: L2(-0.1), ValueError, r"L2: `l2` must be a finite number >= 0, got l2=-0.1"),
    (lambda: L1(float("nan")), ValueError, r"L1: `l1` must be a finite number >= 0, got l1=nan"),
    (lambda: L1L2(l2=float("inf")), ValueError, r"L1L2: `l2` must be a finite number >= 0, got l2=inf"),
    (lambda: L1("0.1"), TypeError, r"L1: `l1` must be a number >= 0, got '0.1'"),
    (lambda: L2(True), TypeError, r"L2: `l2` must be a number >= 0, got True"),
    (lambda: regularizers.get("l3"), ValueError,
     r"unknown regularizer 'l3'; expected one of \['l1', 'l1_l2', 'l2', 'L1', 'L1L2', 'L2'\]"),
    (lambda: regularizers.get(3), TypeError, r"a regularizer must be None, a name such as 'l2'.*got 3"),
    (lambda: regularizers.get({"class_name": "Orthogonal", "config": {}}), ValueError,
     r"the custom regularizer 'Orthogonal' is stored by name only .* not given in custom_objects"),
    (lambda: regularizers.get({"custom": "mine"}), ValueError,
     r"the custom regularizer 'mine' is stored by name only"),
    (lambda: Dense(2, kernel_regularizer="l3"), ValueError, r"^Dense: `kernel_regularizer`: unknown regularizer 'l3'"),
    (lambda: GRU(2, activity_regularizer=[0.1]), TypeError, r"^GRU: `activity_regularizer`: a regularizer must be"),
    (lambda: Embedding(3, 2, embeddings_regularizer=L2(-1)), ValueError, r"L2: `l2` must be a finite number >= 0"),
])
def test_bad_identifiers_and_factors_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dense_losses_are_the_current_weight_penalties_in_keras_layout():
    set_random_seed(0)
    layer = Dense(3, kernel_regularizer=L2(0.1), bias_regularizer=L1(0.2), input_shape=(4,))
    model = Sequential([layer])
    with torch.no_grad():
        layer.bias.uniform_(-1, 1)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(floats(model.losses),
                               [0.1 * (kernel.astype(np.float64) ** 2).sum(), 0.2 * np.abs(bias).sum()],
                               rtol=1e-6)
    with torch.no_grad():
        layer.kernel.mul_(2.0)  # weight penalties follow the weights, not a stored value
    assert floats(model.losses)[0] == pytest.approx(4 * 0.1 * (kernel.astype(np.float64) ** 2).sum(), rel=1e-6)


def _by_position(w):
    # A penalty that depends on where each number sits: it tells Keras's layout from torch's.
    return (w * torch.arange(w.numel(), dtype=w.dtype).reshape(w.shape)).sum()


def _by_position_np(w):
    return (w.astype(np.float64) * np.arange(w.size).reshape(w.shape)).sum()


@pytest.mark.parametrize("make", [
    lambda: LSTM(3, kernel_regularizer=_by_position, recurrent_regularizer=_by_position, bias_regularizer=_by_position),
    lambda: GRU(3, kernel_regularizer=_by_position, recurrent_regularizer=_by_position, bias_regularizer=_by_position),
    lambda: GRU(3, reset_after=False, recurrent_regularizer=_by_position, bias_regularizer=_by_position),
    lambda: SimpleRNN(3, kernel_regularizer=_by_position, recurrent_regularizer=_by_position),
], ids=["LSTM", "GRU", "GRU-reset-before", "SimpleRNN"])
def test_recurrent_regularizers_see_keras_layout(make):
    set_random_seed(0)
    layer = make()
    layer(torch.zeros(2, 4, 2))
    with torch.no_grad():
        layer.bias.uniform_(-1, 1)  # the zero/one initial biases would hide a wrong gate order
    weights = dict(zip(layer.weight_names(), layer.get_weights()))
    expected = [_by_position_np(weights[name]) for name, argument in layer.weight_regularizer_arguments.items()
                if getattr(layer, argument) is not None]
    np.testing.assert_allclose(floats(layer.losses), expected, rtol=1e-5)


def test_a_custom_regularizer_receives_the_keras_shape():
    seen = []
    layer = LSTM(3, recurrent_regularizer=lambda w: seen.append(tuple(w.shape)) or w.sum())
    layer(torch.zeros(2, 4, 2))
    layer.losses
    assert seen == [(3, 12)]  # Keras's recurrent_kernel (units, 4 * units), not torch's (4H, H)


def test_lstm_recurrent_l2_equals_the_formula_on_get_weights():
    set_random_seed(0)
    layer = LSTM(4, recurrent_regularizer=L2(0.05), bias_regularizer="l1")
    layer(torch.zeros(2, 3, 2))
    _, recurrent_kernel, bias = layer.get_weights()
    assert recurrent_kernel.shape == (4, 16) and bias.shape == (16,)
    np.testing.assert_allclose(floats(layer.losses),
                               [0.05 * (recurrent_kernel.astype(np.float64) ** 2).sum(), 0.01 * np.abs(bias).sum()],
                               rtol=1e-6)


def test_activity_penalty_is_of_the_last_batch_divided_by_its_size():
    set_random_seed(0)
    layer = Dense(2, activity_regularizer=L1(0.1), input_shape=(5,))
    model = Sequential([layer])
    assert model.losses == []  # no forward pass yet
    x = torch.as_tensor(X, dtype=torch.float32)
    out = model(x).detach().numpy().astype(np.float64)
    (penalty,) = floats(model.losses)
    # Keras 3's Layer.__call__: activity_regularizer(output) / batch size
    assert penalty == pytest.approx(0.1 * np.abs(out).sum() / len(X), rel=1e-6)
    one = model(x[:1]).detach().numpy().astype(np.float64)
    assert floats(model.losses) == [pytest.approx(0.1 * np.abs(one).sum(), rel=1e-6)]


def test_activity_penalty_covers_every_returned_tensor_and_any_layer():
    set_random_seed(0)
    lstm = LSTM(3, return_state=True, activity_regularizer=L2(0.1))
    out, h, c = lstm(torch.randn(4, 5, 2))
    expected = [0.1 * (t.detach().double() ** 2).sum().item() / 4 for t in (out, h, c)]
    np.testing.assert_allclose(floats(lstm.losses), expected, rtol=1e-6)
    flatten = Flatten(activity_regularizer="l1")  # every layer takes one, as in Keras 3
    y = flatten(torch.ones(2, 3, 2))
    assert floats(flatten.losses) == [pytest.approx(0.01 * 12 / 2)]
    assert flatten.get_config()["activity_regularizer"] == {"class_name": "L1", "config": {"l1": 0.01}}
    assert "activity_regularizer" not in Flatten().get_config() and y.shape == (2, 6)
    flatten.activity_regularizer = None  # settable, as in Keras
    flatten(torch.ones(2, 3, 2))
    assert flatten.losses == []


def test_wrapped_layers_report_their_penalties():
    set_random_seed(0)
    model = Sequential([Embedding(7, 3, embeddings_regularizer=L2(0.1), input_shape=(4,)),
                        Bidirectional(LSTM(2, recurrent_regularizer="l1", return_sequences=True)),
                        TimeDistributed(Dense(1, kernel_regularizer=L2(0.2)))])
    embeddings, *weights = model.get_weights()
    forward_recurrent, backward_recurrent, dense_kernel = weights[1], weights[4], weights[6]
    expected = [0.1 * (embeddings.astype(np.float64) ** 2).sum(), 0.01 * np.abs(forward_recurrent).sum(),
                0.01 * np.abs(backward_recurrent).sum(), 0.2 * (dense_kernel.astype(np.float64) ** 2).sum()]
    np.testing.assert_allclose(floats(model.losses), expected, rtol=1e-6)


def test_frozen_weights_are_not_penalised():
    # Keras sums the regularizers of trainable weights only; the activity penalty stays.
    layer = Dense(2, kernel_regularizer="l2", activity_regularizer="l1", trainable=False, input_shape=(3,))
    out = layer(torch.ones(2, 3)).detach().numpy().astype(np.float64)
    assert floats(layer.losses) == [pytest.approx(0.01 * np.abs(out).sum() / 2, rel=1e-6)]


def test_configs_hold_keras_form_and_repr_shows_what_is_set():
    layer = Conv1D(2, 3, kernel_regularizer="l2", activity_regularizer=L1(0.5))
    config = layer.get_config()
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.01}}
    assert config["bias_regularizer"] is None
    assert config["activity_regularizer"] == {"class_name": "L1", "config": {"l1": 0.5}}
    assert "kernel_regularizer=" in repr(layer) and "bias_regularizer" not in repr(layer)
    assert repr(Dense(3)) == "Dense(3)" and repr(LSTM(4)) == "LSTM(4)"
    assert Embedding(5, 2).get_config()["embeddings_regularizer"] is None
