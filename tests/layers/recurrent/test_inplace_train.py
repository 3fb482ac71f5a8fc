"""The in-place LSTM's hand-written backward (inplace_train.py): gradcheck in float64, the
layer's gradients equal to autograd's through the step loop, and the calls that take it."""
import numpy as np
import pytest
import torch

from seqlab import mixed_precision
from seqlab.layers import LSTM
from seqlab.layers.recurrent import bptt, inplace_train
from seqlab.utils import set_random_seed


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("dropout", [False, True])
@pytest.mark.parametrize("one_block", [True, False], ids=["gates in one block", "gates in four buffers"])
def test_gradcheck_float64(return_sequences, dropout, one_block, request):
    # four buffers: the storage of big CPU runs, and its sigmoid_backward per gate
    buffers_used = [] if one_block else request.getfixturevalue("four_gate_buffers")
    torch.manual_seed(0)
    n, steps, features, units = 3, 5, 2, 4

    def leaf(*shape):
        return (torch.randn(*shape, dtype=torch.float64) * 0.5).requires_grad_()

    args = (leaf(n, steps, features), leaf(4 * units, features), leaf(4 * units, units), leaf(4 * units),
            leaf(n, units), leaf(n, units))
    mask = (torch.rand(n, units, dtype=torch.float64) > 0.3) / 0.7 if dropout else None

    def run(x, weight_ih, weight_hh, bias, h0, c0):
        outputs, (h, c) = inplace_train.run_lstm(x, (h0, c0), weight_ih, weight_hh, bias, mask, return_sequences)
        return outputs, h, c

    assert torch.autograd.gradcheck(run, args)
    assert set(buffers_used) == (set() if one_block else {4})


def _gradients(layer, x, initial, context):
    x = x.clone().requires_grad_(True)
    initial = [s.clone().requires_grad_(True) for s in initial]
    layer.zero_grad()
    with context:
        outputs = layer(x, initial_state=initial, training=True)
    loss = sum((out * torch.linspace(-1, 2, out.numel()).reshape(out.shape)).sum() for out in outputs)
    loss.backward()
    return [out.detach() for out in outputs] + [x.grad, *(s.grad for s in initial), *(p.grad for p in layer.parameters())]


def test_a_stateful_recurrent_dropout_lstm_trains_in_place_with_autograds_gradients(monkeypatch):
    calls = []
    original = inplace_train.run_lstm
    monkeypatch.setattr(inplace_train, "run_lstm", lambda *a, **k: calls.append(1) or original(*a, **k))
    set_random_seed(0)
    x = torch.randn(3, 6, 2)
    layers = [LSTM(5, recurrent_dropout=0.3, seed=4, return_sequences=True, return_state=True, stateful=True)
              for _ in range(2)]
    for layer in layers:
        layer(x)
    layers[0].set_weights([np.random.uniform(-0.6, 0.6, w.shape) for w in layers[0].get_weights()])
    layers[1].set_weights(layers[0].get_weights())
    initial = [torch.randn(3, 5), torch.randn(3, 5)]
    calls.clear()
    hand = _gradients(layers[0], x, initial, torch.enable_grad())
    assert calls == [1] and layers[0].path.backward == "bptt"
    graph = _gradients(layers[1], x, initial, bptt.autograd_loop())
    assert calls == [1]  # autograd_loop() keeps the graph through every step
    for got, want in zip(hand, graph):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_only_an_unmasked_float32_standard_lstm_trains_in_place():
    lstm = LSTM(3, use_cudnn=False)
    lstm(torch.zeros(1, 2, 1))
    assert inplace_train.applies(lstm.cell, None, torch.float32)
    assert not inplace_train.applies(lstm.cell, torch.ones(1, 2, dtype=torch.bool), torch.float32)
    assert not inplace_train.applies(lstm.cell, None, torch.bfloat16)
    relu = LSTM(3, activation="relu")
    relu(torch.zeros(1, 2, 1))
    assert not inplace_train.applies(relu.cell, None, torch.float32)
    mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        mixed = LSTM(3, use_cudnn=False)
    finally:
        mixed_precision.set_global_policy(None)
    x = torch.randn(2, 4, 1, requires_grad=True)
    mixed(x).float().sum().backward()  # under autocast: bptt.py's backward, not this one
    assert mixed.path.backward == "bptt" and x.grad is not None


def test_a_second_derivative_is_refused_with_a_clear_error():
    lstm = LSTM(3, use_cudnn=False)
    x = torch.randn(2, 4, 1, requires_grad=True)
    loss = lstm(x).square().sum()
    with pytest.raises(RuntimeError, match=r"hand-written backward, which cannot be differentiated again \(create_graph=True\)"):
        torch.autograd.grad(loss, x, create_graph=True)
