"""seqlab.inspect.trace: per-timestep gates and states, consistent with the equations and with
what the model (running on the fused path) outputs."""
import numpy as np
import pytest
import torch

import seqlab
from seqlab.inspect import trace
from seqlab.layers import GRU, LSTM, Bidirectional, Dense, Embedding, SimpleRNN
from seqlab.models import Sequential
from seqlab.utils import set_random_seed

TIGHT = dict(rtol=0, atol=1e-12)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def randomize(model, scale=0.6):
    model.set_weights([np.random.uniform(-scale, scale, w.shape) for w in model.get_weights()])
    return model


def test_lstm_trace_follows_the_gate_equations_and_the_fused_output():
    set_random_seed(0)
    model = randomize(Sequential([LSTM(4, input_shape=(6, 3), dtype="float64")]))
    layer = model.layers[0]
    assert layer.execution_path() == "fused"
    x = np.random.randn(5, 6, 3)
    t = trace(model, x)[layer.name]
    assert set(t.gates) == {"input", "forget", "candidate", "output"}
    assert all(g.shape == (5, 6, 4) for g in t.gates.values()) and t.cell.shape == (5, 6, 4)
    # The notes' equations, from the Keras-layout weights (gate order i, f, c, o):
    kernel, recurrent, bias = layer.get_weights()
    h = c = np.zeros((5, 4))
    for step in range(6):
        z = x[:, step] @ kernel + h @ recurrent + bias
        i, f, g, o = sigmoid(z[:, :4]), sigmoid(z[:, 4:8]), np.tanh(z[:, 8:12]), sigmoid(z[:, 12:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for name, value in zip(("input", "forget", "candidate", "output"), (i, f, g, o)):
            np.testing.assert_allclose(t.gates[name][:, step], value, **TIGHT)
        np.testing.assert_allclose(t.cell[:, step], c, **TIGHT)
        np.testing.assert_allclose(t.hidden[:, step], h, **TIGHT)
    # ... and the model's own output (fused kernel) is the last hidden state.
    np.testing.assert_allclose(model(torch.tensor(x)).detach().numpy(), t.hidden[:, -1], **TIGHT)


def test_gru_and_simple_rnn_traces_match_the_model_outputs():
    set_random_seed(1)
    model = randomize(Sequential([GRU(4, return_sequences=True, input_shape=(6, 2), dtype="float64"),
                                  SimpleRNN(3, return_sequences=True, dtype="float64")]))
    x = np.random.randn(3, 6, 2)
    traces = trace(model, x)
    gru, rnn = traces[model.layers[0].name], traces[model.layers[1].name]
    z, n = gru.gates["update"], gru.gates["candidate"]
    previous = np.concatenate([np.zeros((3, 1, 4)), gru.hidden[:, :-1]], axis=1)
    np.testing.assert_allclose(gru.hidden, z * previous + (1 - z) * n, **TIGHT)
    assert gru.cell is None and rnn.gates == {}
    np.testing.assert_allclose(model(torch.tensor(x)).detach().numpy(), rnn.hidden, **TIGHT)
    # A layer in the middle of the stack sees what the layers before it output.
    middle = model.layers[0](torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(trace(model.layers[1], middle)[model.layers[1].name].hidden, rnn.hidden, **TIGHT)


def test_bidirectional_trace_has_both_directions_in_input_order():
    set_random_seed(2)
    model = randomize(Sequential([Bidirectional(LSTM(3), input_shape=(5, 2), dtype="float64")]))
    x = np.random.randn(2, 5, 2)
    result = trace(model, x)[model.layers[0].name]
    forward, backward = result["forward"], result["backward"]
    assert not forward.timesteps_reversed and not backward.timesteps_reversed
    output = model(torch.tensor(x)).detach().numpy()
    # forward ends at the last input step, backward at the first
    np.testing.assert_allclose(output, np.concatenate([forward.hidden[:, -1], backward.hidden[:, 0]], -1), **TIGHT)


def test_go_backwards_layer_trace_is_in_processing_order():
    set_random_seed(3)
    layer = GRU(3, go_backwards=True, return_sequences=True, dtype="float64")
    x = np.random.randn(2, 4, 1)
    result = trace(layer, x)[layer.name]
    assert result.timesteps_reversed
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), result.hidden, **TIGHT)
    np.testing.assert_allclose(result.flipped().hidden, result.hidden[:, ::-1])


def test_trace_records_the_mask_and_carries_state_over_masked_steps():
    set_random_seed(4)
    model = Sequential([Embedding(6, 3, mask_zero=True), LSTM(2)])
    ids = np.array([[1, 2, 0, 0], [0, 3, 4, 5]])
    result = trace(model, ids)[model.layers[1].name]
    np.testing.assert_array_equal(result.mask, ids != 0)
    np.testing.assert_array_equal(result.hidden[0, 2], result.hidden[0, 1])
    np.testing.assert_array_equal(result.cell[1, 0], np.zeros(2))
    np.testing.assert_allclose(model(torch.tensor(ids)).detach().numpy(), result.hidden[:, -1], rtol=0, atol=1e-6)


def test_trace_leaves_stateful_models_and_training_mode_unchanged():
    set_random_seed(5)
    model = Sequential([LSTM(3, stateful=True, batch_input_shape=(2, 4, 1)), Dense(1)])
    x = torch.randn(2, 4, 1)
    model(x)
    carried = [s.clone() for s in model.layers[0].states]
    model.train()
    model.layers[1].eval()  # a mixed mode: each module gets its own back
    result = trace(model, x)[model.layers[0].name]
    assert (model.training, model.layers[0].training, model.layers[1].training) == (True, True, False)
    assert model.layers[0]._recorder is None
    for got, want in zip(model.layers[0].states, carried):
        torch.testing.assert_close(got, want, rtol=0, atol=0)
    # the trace started from the carried state, as the next call will
    expected = model.layers[0](x).detach().numpy()
    np.testing.assert_allclose(result.hidden[:, -1], expected, rtol=0, atol=1e-6)


def test_trace_needs_a_recurrent_layer():
    with pytest.raises(ValueError, match=r"inspect: Sequential has no recurrent layers \(SimpleRNN, LSTM, GRU\)"):
        trace(Sequential([Dense(2, input_shape=(3,))]), np.zeros((1, 3)))
    with pytest.raises(TypeError, match=r"inspect: `x` must be an array or tensor, got <object object"):
        trace(LSTM(2), object())


def test_trace_is_reachable_from_the_package():
    assert seqlab.inspect.trace is trace
    assert "Trace(" in repr(trace(LSTM(2, name="probe_lstm"), np.zeros((1, 3, 1)))["probe_lstm"])
