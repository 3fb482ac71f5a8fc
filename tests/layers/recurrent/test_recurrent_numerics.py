"""The numbers: each layer against the float64 NumPy loop of the notes' equations, the fused path
against the step loop (values and gradients), gradcheck on each cell, torch.nn with copied
weights."""
import numpy as np
import pytest
import torch

from rnn_reference import reference_for
from seqlab.layers import GRU, LSTM, SimpleRNN
from seqlab.layers.recurrent.cells import gru_cell, lstm_cell, rnn_cell
from seqlab.utils import set_random_seed

LAYERS = [LSTM, GRU, SimpleRNN]
F64, F32 = dict(rtol=0, atol=1e-10), dict(rtol=0, atol=1e-5)


def randomize(layer, scale=0.5):
    """Random weights (also the biases, which start at 0/1) so every term is exercised."""
    layer.set_weights([np.random.uniform(-scale, scale, w.shape) for w in layer.get_weights()])
    return layer


def build(cls, units=5, features=3, dtype="float64", **options):
    layer = cls(units, dtype=dtype, **options)
    layer.build_from_shape((None, 6, features))
    return randomize(layer)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("use_cudnn", ["auto", False])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_layer_matches_numpy_reference_of_the_equations(cls, use_cudnn, go_backwards):
    set_random_seed(0)
    layer = build(cls, return_sequences=True, return_state=True, use_cudnn=use_cudnn,
                  go_backwards=go_backwards)
    x = np.random.randn(4, 6, 3)
    outputs, *states = layer(torch.tensor(x))
    expected = reference_for(layer, x)
    np.testing.assert_allclose(outputs.detach().numpy(), expected["outputs"], **F64)
    for got, want in zip(states, expected["states"]):
        np.testing.assert_allclose(got.detach().numpy(), want, **F64)


@pytest.mark.parametrize("cls, options", [
    (LSTM, dict(activation="relu")),  # the notes' LSTM(50, activation='relu')
    (LSTM, dict(recurrent_activation="hard_sigmoid")),
    (GRU, dict(activation="relu", recurrent_activation="hard_sigmoid")),
    (SimpleRNN, dict(activation="relu")),
    (SimpleRNN, dict(activation="linear")),
])
def test_non_default_activations_match_the_reference(cls, options):
    set_random_seed(1)
    layer = build(cls, return_sequences=True, **options)
    x = np.random.randn(3, 6, 3)
    expected = reference_for(layer, x)
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), expected["outputs"], **F64)


def test_initial_state_argument_is_used():
    set_random_seed(2)
    layer = build(LSTM, return_state=True)
    x = np.random.randn(2, 6, 3)
    h0, c0 = np.random.randn(2, 5), np.random.randn(2, 5)
    out, h, c = layer(torch.tensor(x), initial_state=[torch.tensor(h0), torch.tensor(c0)])
    expected = reference_for(layer, x, initial_state=(h0, c0))
    np.testing.assert_allclose(c.detach().numpy(), expected["states"][1], **F64)


def _loss_and_grads(layer, x, mask=None):
    out, *states = layer(x, mask=mask)
    loss = (out ** 2).sum() + sum((s * 0.3).sum() for s in states)
    params = [layer.weight_ih, layer.weight_hh] + ([layer.bias] if layer.use_bias else [])
    grads = torch.autograd.grad(loss, params + [x])
    return [out, *states], grads


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("dtype, tol", [("float64", F64), ("float32", F32)])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("use_bias", [True, False])
def test_fused_and_loop_paths_agree_with_gradients(cls, dtype, tol, masked, use_bias):
    set_random_seed(3)
    fused = build(cls, dtype=dtype, return_sequences=True, return_state=True, use_bias=use_bias)
    loop = build(cls, dtype=dtype, return_sequences=True, return_state=True, use_bias=use_bias,
                 use_cudnn=False)
    loop.set_weights(fused.get_weights())
    assert fused.execution_path() == "fused" and loop.execution_path() == "loop"
    x = torch.randn(4, 6, 3, dtype=fused.torch_dtype, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1], [1, 0, 1, 1, 0, 1],
                         [0, 0, 0, 0, 0, 0]], dtype=torch.bool) if masked else None
    values_f, grads_f = _loss_and_grads(fused, x, mask)
    values_l, grads_l = _loss_and_grads(loop, x, mask)
    for a, b in zip(values_f + list(grads_f), values_l + list(grads_l)):
        torch.testing.assert_close(a, b, **tol)


def _step_function(cell, units):
    def run(x_proj, h, c, weight_hh, bias_hh):
        states = (h, c) if cell.num_states == 2 else (h,)
        out, new_states, gates = cell.step(x_proj, states, weight_hh.t(), bias_hh, None)
        return (out, *new_states, *gates)
    return run


@pytest.mark.parametrize("cell", [lstm_cell(torch.tanh, torch.sigmoid), gru_cell(torch.tanh, torch.sigmoid),
                                  rnn_cell(torch.tanh), lstm_cell(torch.relu, torch.sigmoid)],
                         ids=["lstm", "gru", "rnn", "lstm-relu"])
def test_gradcheck_each_cell_step(cell):
    torch.manual_seed(4)
    units = 3
    width = cell.num_blocks * units
    x_proj = torch.randn(2, width, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, units, dtype=torch.float64, requires_grad=True)
    c = torch.randn(2, units, dtype=torch.float64, requires_grad=True)
    weight_hh = torch.randn(width, units, dtype=torch.float64, requires_grad=True)
    bias_hh = torch.randn(width, dtype=torch.float64, requires_grad=True) if cell.kind == "gru" else None
    inputs = (x_proj, h, c, weight_hh, bias_hh)
    assert torch.autograd.gradcheck(_step_function(cell, units), inputs)


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("use_cudnn", ["auto", False])
def test_gradcheck_whole_layer(cls, use_cudnn):
    set_random_seed(5)
    layer = build(cls, units=2, features=2, return_sequences=True, use_cudnn=use_cudnn)
    x = torch.randn(2, 4, 2, dtype=torch.float64, requires_grad=True)
    params = [layer.weight_ih, layer.weight_hh, layer.bias]
    assert torch.autograd.gradcheck(lambda x, *p: layer(x), (x, *params))


def _torch_twin(layer):
    """torch.nn.LSTM/GRU/RNN with the layer's weights copied in, through Keras's layout."""
    kernel, recurrent_kernel, bias = (torch.tensor(w) for w in layer.get_weights())
    features, units = kernel.shape[0], layer.units
    name = type(layer).__name__
    if name == "LSTM":
        twin = torch.nn.LSTM(features, units, batch_first=True, dtype=torch.float64)
        b_ih, b_hh = bias, torch.zeros_like(bias)  # Keras has one bias; torch adds two
    elif name == "GRU":
        twin = torch.nn.GRU(features, units, batch_first=True, dtype=torch.float64)
        # Keras (z, r, h) -> torch (r, z, n)
        perm = torch.cat([torch.arange(units, 2 * units), torch.arange(units), torch.arange(2 * units, 3 * units)])
        kernel, recurrent_kernel, bias = kernel[:, perm], recurrent_kernel[:, perm], bias[:, perm]
        b_ih, b_hh = bias[0], bias[1]
    else:
        twin = torch.nn.RNN(features, units, batch_first=True, dtype=torch.float64)
        b_ih, b_hh = bias, torch.zeros_like(bias)
    with torch.no_grad():
        twin.weight_ih_l0.copy_(kernel.t())
        twin.weight_hh_l0.copy_(recurrent_kernel.t())
        twin.bias_ih_l0.copy_(b_ih)
        twin.bias_hh_l0.copy_(b_hh)
    return twin


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("use_cudnn", ["auto", False])
def test_matches_torch_nn_with_copied_weights(cls, use_cudnn):
    set_random_seed(6)
    layer = build(cls, return_sequences=True, use_cudnn=use_cudnn)
    x = torch.randn(3, 6, 3, dtype=torch.float64)
    expected, _ = _torch_twin(layer)(x)
    torch.testing.assert_close(layer(x), expected, **F64)


def test_lstm_unit_forget_bias_starts_forget_gate_at_one():
    layer = LSTM(4)
    layer.build_from_shape((None, 3, 2))
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    plain = LSTM(4, unit_forget_bias=False)
    plain.build_from_shape((None, 3, 2))
    np.testing.assert_array_equal(plain.get_weights()[2], np.zeros(16))


def test_default_initialisers_follow_keras():
    set_random_seed(7)
    layer = GRU(16)
    layer.build_from_shape((None, 3, 8))
    kernel, recurrent_kernel, bias = layer.get_weights()
    limit = np.sqrt(6 / (8 + 48))  # glorot_uniform on the Keras-layout kernel (8, 48)
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.8 * limit
    # orthogonal on (16, 48): orthonormal rows, also after the (z, r, h) <-> (r, z, n) reordering
    np.testing.assert_allclose(recurrent_kernel @ recurrent_kernel.T, np.eye(16), atol=1e-5)
    np.testing.assert_array_equal(bias, np.zeros((2, 48)))


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_traced_gates_and_states_match_the_reference(cls):
    from seqlab.inspect import trace

    set_random_seed(8)
    layer = build(cls, return_sequences=True)
    x = np.random.randn(3, 6, 3)
    mask = np.array([[1, 1, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]], dtype=bool)
    result = trace(layer, x, mask=mask)[layer.name]
    expected = reference_for(layer, x, mask=mask)
    assert set(result.gates) == set(expected["gates"])
    for name, gate in expected["gates"].items():
        np.testing.assert_allclose(result.gates[name], gate, **F64)
    np.testing.assert_allclose(result.hidden, expected["hidden"], **F64)
    if cls is LSTM:
        np.testing.assert_allclose(result.cell, expected["cell"], **F64)
