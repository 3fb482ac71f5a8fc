"""seqlab.inspect.gradients_through_time: d objective / d h_t per timestep, against a hand-written
float64 torch loop, and the vanishing gradient of the notes' BPTT lecture."""
import numpy as np
import torch

from seqlab.inspect import gradients_through_time
from seqlab.layers import LSTM, Bidirectional, Dense, SimpleRNN
from seqlab.models import Sequential
from seqlab.utils import set_random_seed


def reference_lstm_gradients(weights, dense, x, y):
    """dL/dh_t by retaining the grad of every h_t of an independent float64 loop."""
    kernel, recurrent, bias = (torch.tensor(w, requires_grad=True) for w in weights)
    w_out, b_out = (torch.tensor(w) for w in dense)
    units = recurrent.shape[0]
    h = c = torch.zeros(x.shape[0], units, dtype=torch.float64)
    hidden = []
    for step in range(x.shape[1]):
        z = x[:, step] @ kernel + h @ recurrent + bias
        i, f, g, o = z.split(units, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        h.retain_grad()
        hidden.append(h)
    loss = ((h @ w_out + b_out - y) ** 2).mean()
    loss.backward()
    return torch.stack([t.grad for t in hidden], dim=1).norm(dim=-1).numpy()


def test_gradients_match_an_independent_loop():
    set_random_seed(0)
    model = Sequential([LSTM(4, input_shape=(7, 2), dtype="float64"), Dense(1, dtype="float64")])
    model.set_weights([np.random.uniform(-0.7, 0.7, w.shape) for w in model.get_weights()])
    x, y = torch.randn(3, 7, 2, dtype=torch.float64), torch.randn(3, 1, dtype=torch.float64)
    result = gradients_through_time(model, x, y)[model.layers[0].name]
    expected = reference_lstm_gradients(model.layers[0].get_weights(), model.layers[1].get_weights(), x, y)
    assert result.shape == (3, 7)
    np.testing.assert_allclose(result, expected, rtol=1e-10, atol=1e-14)


def test_simple_rnn_gradient_vanishes_geometrically():
    # With U = 0.5 I and tanh, dL/dh_{t-1} = U^T diag(1 - h_t^2) dL/dh_t, so each step back
    # multiplies the norm by at most 0.5: the vanishing gradient the LSTM was invented for.
    set_random_seed(1)
    layer = SimpleRNN(6, input_shape=(12, 1), dtype="float64")
    model = Sequential([layer])
    kernel, _, bias = layer.get_weights()
    layer.set_weights([kernel, 0.5 * np.eye(6), bias])
    norms = gradients_through_time(model, np.random.randn(4, 12, 1))[layer.name]
    assert np.all(norms[:, :-1] <= 0.5 * norms[:, 1:] + 1e-15)
    assert np.all(norms[:, 0] < norms[:, -1] * 0.5 ** 11 + 1e-15)


def test_bidirectional_gradients_and_custom_loss():
    set_random_seed(2)
    model = Sequential([Bidirectional(LSTM(3, return_sequences=True), input_shape=(5, 2)), Dense(1)])
    x, y = np.random.randn(2, 5, 2), np.random.randn(2, 5, 1)
    result = gradients_through_time(model, x, y, loss=lambda pred, true: (pred - true).abs().mean())
    both = result[model.layers[0].name]
    assert both["forward"].shape == both["backward"].shape == (2, 5)
    assert np.all(both["forward"] > 0)
