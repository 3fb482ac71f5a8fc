"""The step loop's hand-written backward through time (``layers/recurrent/bptt.py``): gradcheck
in float64 for every cell, gradients equal to autograd through the loop (float32, 1e-5) for
every layer setting, bfloat16 within its tolerance of float32, and the cases that keep autograd."""
import contextlib

import numpy as np
import pytest
import torch

from seqlab import activations
from seqlab.inspect.trace import run_recorded
from seqlab.layers import GRU, LSTM, ConvLSTM1D, SimpleRNN
from seqlab.layers.recurrent import bptt
from seqlab.layers.recurrent.cells import gru_cell, lstm_cell, rnn_cell
from seqlab.layers.recurrent.loop import run_loop
from seqlab.models import Sequential
from seqlab.utils import set_random_seed

F32 = dict(rtol=0, atol=1e-5)
N, L, H = 3, 5, 3  # tiny: gradcheck differentiates every input element numerically
CELLS = {  # cell, number of gate blocks, whether it has a recurrent bias
    "lstm": (lstm_cell(torch.tanh, torch.sigmoid), 4, False),
    "gru": (gru_cell(torch.tanh, torch.sigmoid), 3, True),
    "gru_reset_before": (gru_cell(torch.tanh, torch.sigmoid, reset_after=False), 3, False),
    "rnn": (rnn_cell(torch.tanh), 1, False),
}
# Masks with a gap, a masked first step, right padding and one sequence fully masked.
MASK = torch.tensor([[1, 0, 1, 1, 0], [0, 1, 1, 0, 1], [0, 0, 0, 0, 0]], dtype=torch.bool)


def sequence_inputs(cell, blocks, with_bias, seed=0):
    generator = torch.Generator().manual_seed(seed)

    def leaf(*shape, scale=1.0):
        value = torch.randn(*shape, dtype=torch.float64, generator=generator) * scale
        return value.requires_grad_(True)

    bias = leaf(blocks * H, scale=0.5) if with_bias else None
    states = tuple(leaf(N, H) for _ in range(cell.num_states))  # initial states, with gradients
    return leaf(N, L, blocks * H), leaf(blocks * H, H, scale=0.6), bias, states


@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("masked,dropout,sequences,zero_output", [
    (False, False, True, False), (False, False, False, False), (True, False, True, False),
    (True, False, False, False), (True, False, True, True), (False, True, True, False),
    (True, True, False, True)])
def test_gradcheck_float64(kind, masked, dropout, sequences, zero_output):
    cell, blocks, with_bias = CELLS[kind]
    x_proj, weight_hh, bias_hh, states = sequence_inputs(cell, blocks, with_bias)
    mask = MASK if masked else None
    # A recurrent-dropout mask as the layer draws it: 0 or 1 / (1 - rate), fixed for the sequence.
    recurrent_mask = torch.tensor([[2.0, 0, 2], [0, 2, 2], [2, 2, 0]], dtype=torch.float64) if dropout else None
    options = dict(mask=mask, recurrent_mask=recurrent_mask, return_sequences=sequences,
                   zero_output_for_mask=zero_output)

    def hand(x_proj, weight_hh, bias_hh, *states):  # outputs and every final state (return_state)
        outputs, finals = bptt.run_sequence(cell, x_proj, states, weight_hh, bias_hh, **options)
        return (outputs, *finals)

    inputs = (x_proj, weight_hh, bias_hh, *states)
    assert torch.autograd.gradcheck(hand, inputs)
    # and the forward is the loop's own
    outputs, finals = run_loop(cell, x_proj, states, weight_hh, bias_hh, **options)
    for got, want in zip(hand(*inputs), (outputs, *finals)):
        torch.testing.assert_close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("activation,recurrent_activation", [
    ("relu", "hard_sigmoid"), ("linear", "sigmoid"), ("elu", "tanh"), ("selu", "sigmoid"),
    ("softsign", "relu"), ("exponential", "sigmoid")])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_gradcheck_float64_of_each_activation(kind, activation, recurrent_activation):
    act, rec = activations.get(activation), activations.get(recurrent_activation)
    cell = {"lstm": lambda: lstm_cell(act, rec), "gru": lambda: gru_cell(act, rec), "rnn": lambda: rnn_cell(act)}[kind]()
    _, blocks, with_bias = CELLS[kind]
    x_proj, weight_hh, bias_hh, states = sequence_inputs(cell, blocks, with_bias, seed=1)
    if activation == "exponential":  # keep exp's outputs moderate: gradcheck's differences stay accurate
        x_proj, weight_hh = (x_proj * 0.3).detach().requires_grad_(), (weight_hh * 0.3).detach().requires_grad_()

    def hand(x_proj, weight_hh, *states):
        outputs, finals = bptt.run_sequence(cell, x_proj, states, weight_hh, bias_hh, mask=MASK)
        return (outputs, *finals)

    assert bptt.unsupported(cell) is None
    # With this seed no pre-activation lies within gradcheck's eps (1e-6) of relu's or
    # hard_sigmoid's kinks, where a finite difference would straddle the kink.
    assert torch.autograd.gradcheck(hand, (x_proj, weight_hh, *states))


LAYERS = {
    "LSTM": lambda **kw: LSTM(4, use_cudnn=False, **kw),  # unmasked: trains in place (inplace_train.py)
    "LSTM-relu": lambda **kw: LSTM(4, activation="relu", **kw),
    "LSTM-hard_sigmoid": lambda **kw: LSTM(4, recurrent_activation="hard_sigmoid", use_cudnn=False, **kw),
    "GRU": lambda **kw: GRU(4, use_cudnn=False, **kw),
    "GRU-reset_before": lambda **kw: GRU(4, reset_after=False, **kw),
    "SimpleRNN": lambda **kw: SimpleRNN(4, use_cudnn=False, **kw),
}
SETTINGS = {
    "last output": {},
    "sequences": dict(return_sequences=True),
    "states": dict(return_sequences=True, return_state=True),
    "backwards": dict(go_backwards=True, return_state=True),
    "zero output": dict(return_sequences=True, zero_output_for_mask=True),
    "recurrent dropout": dict(return_sequences=True, recurrent_dropout=0.4, seed=3),
}


def layer_gradients(layer, x, mask, initial_state, context):
    """Outputs and the gradients of the input, the initial states and every weight."""
    x = x.clone().requires_grad_(True)
    initial = None if initial_state is None else [s.clone().requires_grad_(True) for s in initial_state]
    layer.zero_grad()
    with context:
        outputs = layer(x, mask=mask, initial_state=initial, training=True)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    # A different weight on every output element and every state, so each gradient path counts.
    loss = sum((out * torch.linspace(-1, 2, out.numel()).reshape(out.shape)).sum() for out in outputs)
    loss.backward()
    grads = [x.grad, *([] if initial is None else [s.grad for s in initial]), *(p.grad for p in layer.parameters())]
    return [out.detach() for out in outputs] + grads, layer.path


@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("make", list(LAYERS))
@pytest.mark.parametrize("masked", [False, True])
def test_layer_gradients_equal_the_autograd_loop(make, setting, masked):
    set_random_seed(0)
    x = torch.randn(3, 5, 2)
    # Two layers with the same weights and seed: the same dropout masks on both runs.
    layers = [LAYERS[make](**SETTINGS[setting]) for _ in range(2)]
    for layer in layers:
        layer(x)
    layers[0].set_weights([np.random.uniform(-0.6, 0.6, w.shape) for w in layers[0].get_weights()])
    layers[1].set_weights(layers[0].get_weights())
    initial = [torch.randn(3, 4) for _ in range(layers[0].cell.num_states)]
    mask = MASK if masked else None
    hand, hand_path = layer_gradients(layers[0], x, mask, initial, contextlib.nullcontext())
    graph, graph_path = layer_gradients(layers[1], x, mask, initial, bptt.autograd_loop())
    assert hand_path.backward == "bptt" and graph_path.backward.startswith("autograd")
    assert len(hand) == len(graph)
    for got, want in zip(hand, graph):
        torch.testing.assert_close(got, want, **F32)


def test_a_stateful_layer_takes_gradients_through_its_carried_state():
    set_random_seed(1)
    x = torch.randn(2, 4, 3)
    layers = [LSTM(3, activation="relu", stateful=True) for _ in range(2)]
    for layer in layers:
        layer(x)
    layers[1].set_weights(layers[0].get_weights())
    results = []
    for layer, context in zip(layers, (contextlib.nullcontext(), bptt.autograd_loop())):
        layer.reset_states([torch.full((2, 3), 0.3), torch.full((2, 3), -0.2)])
        with context:
            layer(x).sum().backward()  # the second batch starts from the first's final states
            layer(x).sum().backward()
        results.append([p.grad for p in layer.parameters()] + list(layer.states))
    for got, want in zip(*results):
        torch.testing.assert_close(got, want, **F32)


@pytest.mark.parametrize("make", list(LAYERS))
def test_mixed_bfloat16_gradients_are_float32_ones_within_bfloat16_tolerance(make):
    set_random_seed(2)
    x = torch.randn(4, 6, 3)
    reference, mixed = LAYERS[make](return_sequences=True), LAYERS[make](return_sequences=True, dtype="mixed_bfloat16")
    reference(x)
    mixed(x)
    mixed.set_weights(reference.get_weights())
    mask = torch.tensor([[1, 1, 0, 1, 1, 1]] * 3 + [[0, 1, 1, 1, 0, 0]], dtype=torch.bool)
    want, _ = layer_gradients(reference, x, mask, None, contextlib.nullcontext())
    got, path = layer_gradients(mixed, x, mask, None, contextlib.nullcontext())
    assert path.backward == "bptt" and got[0].dtype == torch.bfloat16
    for g, w in zip(got, want):
        # bfloat16 keeps 8 significant bits (2**-8 relative per rounding); over 6 steps of a few
        # roundings each the float32 result is met within 2**-5 of the largest gradient.
        assert (g.float() - w).abs().max() <= 2**-5 * w.abs().max()


def test_an_activation_without_a_written_derivative_trains_on_the_autograd_loop():
    layer = LSTM(3, activation="gelu", dtype="float64")
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: layer(x, training=True), (x,))
    assert layer.path.backward == (
        "autograd: activation 'gelu' has no derivative written in terms of its output (those of "
        "['elu', 'exponential', 'hard_sigmoid', 'linear', 'relu', 'selu', 'sigmoid', 'softsign', 'tanh'])")
    assert "gradients: autograd: activation 'gelu'" in str(layer.path)


def test_paths_say_how_the_loop_takes_gradients():
    x = torch.randn(2, 4, 3)
    layer = GRU(3, reset_after=False)
    layer(x)
    assert layer.path.backward == "bptt" and str(layer.path).endswith("; gradients: bptt")
    with torch.no_grad():
        layer(x)
    assert layer.path.backward == ""  # no gradients taken: nothing to say
    conv = ConvLSTM1D(2, 3, padding="same")
    conv(torch.randn(2, 4, 5, 1))  # (N, T, steps, channels)
    assert conv.path.backward == "autograd: the conv_lstm cell has no hand-written backward"


def test_a_second_derivative_is_refused_with_a_clear_error():
    layer = SimpleRNN(3, activation="softsign")  # no fused kernel: the step loop
    x = torch.randn(2, 4, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"cannot be differentiated again \(create_graph=True\); run the "
                                           r"model inside seqlab.layers.recurrent.bptt.autograd_loop\(\)"):
        torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    with bptt.autograd_loop():  # the autograd loop gives second derivatives
        (grad,) = torch.autograd.grad(layer(x).sum(), x, create_graph=True)
    grad.square().sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_a_trace_with_gradients_keeps_the_autograd_loop():
    # A trace of the hidden states alone, with gradients on (what gradients_through_time builds
    # on): each recorded step's state must be in a graph, so the loop keeps autograd.
    set_random_seed(3)
    model = Sequential([LSTM(4, activation="relu", return_sequences=True, input_shape=(6, 2))])
    x = torch.randn(3, 6, 2)
    outputs, recorder = run_recorded(model, x, grad=True, record=("hidden",))
    hidden = recorder.hidden_tensors(model.layers[0])
    assert len(hidden) == 6
    grads = torch.autograd.grad(outputs.sum(), hidden)
    # d(sum of outputs)/dh_t counts output t itself: every last-step gradient is exactly 1
    torch.testing.assert_close(grads[-1], torch.ones(3, 4), rtol=0, atol=0)
