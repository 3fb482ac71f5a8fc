"""Shapes of every output combination, the notes' parameter counts, Keras's weight layout,
config and save round trips, repr, and the execution-path notes."""
import logging

import numpy as np
import pytest
import torch

import seqlab
from seqlab.layers import (GRU, LSTM, Bidirectional, CuDNNGRU, CuDNNLSTM, Dense, Embedding, Input,
                           Masking, SimpleRNN, TimeDistributed)
from seqlab.layers import registry
from seqlab.models import Sequential
from seqlab.utils import set_random_seed

N, L, F, H = 3, 5, 2, 4
STATES = {LSTM: 2, GRU: 1, SimpleRNN: 1}


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_output_shapes_of_every_combination(cls, return_sequences, return_state):
    layer = cls(H, return_sequences=return_sequences, return_state=return_state)
    result = layer(torch.zeros(N, L, F))
    out_shape = (N, L, H) if return_sequences else (N, H)
    if return_state:
        assert [tuple(t.shape) for t in result] == [out_shape] + [(N, H)] * STATES[cls]
    else:
        assert tuple(result.shape) == out_shape
    assert layer.compute_output_shape((None, L, F)) == (None, *out_shape[1:])


@pytest.mark.parametrize("merge_mode, width", [("concat", 2 * H), ("sum", H), ("mul", H), ("ave", H), (None, H)])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_bidirectional_shapes_of_every_combination(merge_mode, width, return_sequences, return_state):
    layer = Bidirectional(LSTM(H, return_sequences=return_sequences, return_state=return_state),
                          merge_mode=merge_mode)
    result = layer(torch.zeros(N, L, F))
    out_shape = (N, L, width) if return_sequences else (N, width)
    count = 2 if merge_mode is None else 1  # merge_mode=None returns [forward, backward]
    if return_state:
        outputs, states = result[:count], result[count:]
    else:
        outputs, states = (result if merge_mode is None else [result]), []
    assert [tuple(o.shape) for o in outputs] == [out_shape] * count
    assert [tuple(s.shape) for s in states] == ([(N, H)] * 4 if return_state else [])
    if merge_mode is not None:
        assert layer.compute_output_shape((None, L, F)) == (None, *out_shape[1:])


def test_bidirectional_merges_forward_and_flipped_backward():
    set_random_seed(0)
    template = GRU(H, return_sequences=True)
    layer = Bidirectional(template, merge_mode="concat", dtype="float64")
    x = torch.randn(N, L, F, dtype=torch.float64)
    out = layer(x)
    forward = layer.forward_layer(x)
    backward = layer.backward_layer(x)  # go_backwards=True: outputs in reversed order
    torch.testing.assert_close(out, torch.cat([forward, backward.flip(1)], -1), rtol=0, atol=1e-12)
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.forward_layer.name == "forward_" + template.name
    assert layer.backward_layer.name == "backward_" + template.name
    averaged = Bidirectional(GRU(H), merge_mode="ave")  # last outputs: nothing to flip
    x = x.float()
    expected = (averaged.forward_layer(x) + averaged.backward_layer(x)) / 2
    torch.testing.assert_close(averaged(x), expected, rtol=0, atol=1e-6)


def test_bidirectional_with_custom_backward_layer_checks_the_pair():
    forward = LSTM(H, return_sequences=True)
    with pytest.raises(ValueError, match=r"need different `go_backwards`"):
        Bidirectional(forward, backward_layer=LSTM(H, return_sequences=True))
    with pytest.raises(ValueError, match=r"`return_sequences` must be the same in both directions"):
        Bidirectional(forward, backward_layer=LSTM(H, go_backwards=True))
    layer = Bidirectional(forward, backward_layer=GRU(H, return_sequences=True, go_backwards=True))
    assert tuple(layer(torch.zeros(N, L, F)).shape) == (N, L, 2 * H)
    rebuilt = registry.deserialize(registry.serialize(layer))
    assert isinstance(rebuilt.backward_layer, GRU)


def test_time_distributed_applies_the_layer_at_every_step():
    set_random_seed(1)
    dense = Dense(3, activation="softmax")
    layer = TimeDistributed(dense)
    x = torch.randn(N, L, F)
    out = layer(x)
    assert tuple(out.shape) == (N, L, 3)
    for t in range(L):
        torch.testing.assert_close(out[:, t], dense(x[:, t]), rtol=0, atol=1e-6)
    assert layer.count_params() == F * 3 + 3
    assert layer.compute_output_shape((None, L, F)) == (None, L, 3)


@pytest.mark.parametrize("make, features, count", [
    (lambda: LSTM(50), 1, 10400),  # notes 003: lstm (LSTM) (None, 50) 10400
    (lambda: LSTM(32), 1, 4352),  # notes 002: lstm_1 (LSTM) (None, 32) 4352
    (lambda: LSTM(16), 10, 1728),  # notes 004: (LSTM) (None, 16) 1728
    (lambda: GRU(32), 1, 3 * (32 * 1 + 32 * 32 + 2 * 32)),  # Keras 3 reset_after: 3360
    (lambda: SimpleRNN(8), 3, 8 * (3 + 8 + 1)),
    (lambda: CuDNNLSTM(50), 1, 10400),
    (lambda: CuDNNGRU(32), 1, 3360),
    (lambda: Bidirectional(LSTM(32)), 1, 2 * 4352),
    (lambda: LSTM(32, use_bias=False), 1, 4 * 32 * 33),
])
def test_parameter_counts_equal_keras(make, features, count):
    model = Sequential([Input(shape=(7, features)), make()])
    assert model.count_params() == count


def test_notes_stacked_lstm_summary():
    # notes 002: LSTM(32, dropout=0.1, recurrent_dropout=0.1) + Dense(1): 4,385 parameters
    model = Sequential([LSTM(32, input_shape=(7, 1), dropout=0.1, recurrent_dropout=0.1), Dense(1)])
    text = model.summary(print_fn=None)
    assert "Total params: 4,385" in text
    assert "recurrent_dropout=0.1 has no fused kernel (used while training only" in text


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
def test_weights_in_keras_layout_round_trip(cls):
    set_random_seed(2)
    layer = cls(H)
    layer.build_from_shape((None, L, F))
    blocks = {LSTM: 4, GRU: 3, SimpleRNN: 1}[cls]
    shapes = [w.shape for w in layer.get_weights()]
    bias = (2, blocks * H) if cls is GRU else (blocks * H,)
    assert shapes == [(F, blocks * H), (H, blocks * H), bias]
    values = [np.random.randn(*s).astype("float32") for s in shapes]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(layer.kernel.detach().numpy(), values[0])
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(2, \d+\), got an array of shape \(3, \d+\)"):
        layer.set_weights([np.zeros((3, shapes[0][1]))] + values[1:])


def test_gru_weights_are_reordered_between_keras_and_torch():
    # Keras block z (first third of the kernel) is torch's second block.
    layer = GRU(2)
    layer.build_from_shape((None, 3, 1))
    kernel = np.array([[1.0, 1.0, 2.0, 2.0, 3.0, 3.0]], dtype="float32")
    layer.set_weights([kernel, np.zeros((2, 6)), np.zeros((2, 6))])
    np.testing.assert_array_equal(layer.weight_ih.detach().numpy().ravel(), [2, 2, 1, 1, 3, 3])


ALL_LAYERS = [
    lambda: LSTM(3, return_sequences=True, dropout=0.2, recurrent_activation="hard_sigmoid", seed=4),
    lambda: GRU(3, go_backwards=True, return_state=True, use_cudnn=False),
    lambda: SimpleRNN(3, activation="relu"),
    lambda: CuDNNLSTM(3, return_sequences=True),
    lambda: CuDNNGRU(3),
    lambda: Bidirectional(LSTM(3, return_sequences=True), merge_mode="sum"),
    lambda: TimeDistributed(Dense(2)),
    lambda: Masking(mask_value=-1.0),
    lambda: Embedding(7, 3, mask_zero=True),
]


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_config_round_trip_rebuilds_the_same_layer(make):
    layer = make()
    spec = registry.serialize(layer)
    rebuilt = registry.deserialize(spec)
    assert type(rebuilt) is type(layer)
    assert registry.serialize(rebuilt)["config"] == spec["config"]
    assert repr(rebuilt) == repr(layer)


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_weights_round_trip_between_twin_layers(make):
    set_random_seed(3)
    x = torch.randint(0, 7, (N, L)) if "Embedding" in repr(make()) else torch.randn(N, L, F)
    layer, twin = make(), registry.deserialize(registry.serialize(make()))
    layer.eval(), twin.eval()
    first = layer(x)
    twin(x)
    twin.set_weights(layer.get_weights())
    for a, b in zip(*(r if isinstance(r, list) else [r] for r in (first, twin(x)))):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_model_save_and_load_round_trip(tmp_path):
    set_random_seed(4)
    model = Sequential([Embedding(9, 4, mask_zero=True, input_shape=(L,)),
                        Bidirectional(LSTM(3, return_sequences=True)), GRU(3, return_sequences=True),
                        TimeDistributed(Dense(2)), SimpleRNN(2)])
    x = torch.randint(0, 9, (N, L))
    path = tmp_path / "model.seqlab"
    model.save(path)
    loaded = seqlab.models.load_model(path)
    torch.testing.assert_close(loaded(x), model(x), rtol=0, atol=0)


@pytest.mark.parametrize("make", ALL_LAYERS[:7])
def test_each_layer_survives_model_save_and_load(tmp_path, make):
    set_random_seed(5)
    model = Sequential([Input(shape=(L, F)), make()])
    model.eval()
    x = torch.randn(N, L, F)
    before = model(x)
    model.save(tmp_path / "one.seqlab")
    loaded = seqlab.models.load_model(tmp_path / "one.seqlab")
    loaded.eval()
    for a, b in zip(*(r if isinstance(r, list) else [r] for r in (before, loaded(x)))):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_repr_shows_only_non_default_settings():
    assert repr(LSTM(32, return_sequences=True)) == "LSTM(32, return_sequences=True)"
    assert repr(GRU(8, dropout=0.1)) == "GRU(8, dropout=0.1)"
    assert repr(Bidirectional(LSTM(4))) == "Bidirectional(LSTM(4))"
    assert repr(Bidirectional(GRU(4), merge_mode=None)) == "Bidirectional(GRU(4), merge_mode=None)"
    assert repr(TimeDistributed(Dense(5))) == "TimeDistributed(Dense(5))"


def test_loop_path_is_announced_once_and_shown_in_summary(caplog):
    model = Sequential([LSTM(4, activation="relu", input_shape=(L, F))])
    assert "activation='relu', recurrent_activation='sigmoid' has no fused kernel" in model.summary(print_fn=None)
    with caplog.at_level(logging.INFO, logger="seqlab.layers.recurrent"):
        model(torch.zeros(N, L, F))
        model(torch.zeros(N, L, F))
    messages = [r.getMessage() for r in caplog.records if "step loop" in r.getMessage()]
    assert len(messages) == 1 and "layer 'lstm" in messages[0]
    fused = LSTM(4)
    assert fused.summary_note() is None and fused.execution_path() == "fused"
    assert LSTM(4, recurrent_dropout=0.2).execution_path(training=False) == "fused"
    assert SimpleRNN(4, activation="relu").execution_path() == "fused"
    assert "has no fused kernel" in Bidirectional(GRU(3, activation="elu")).summary_note()
    assert Bidirectional(GRU(3)).summary_note() is None
