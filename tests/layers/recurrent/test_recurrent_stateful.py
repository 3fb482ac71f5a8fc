"""Stateful layers: state carried across batches (also in fit/evaluate/predict), a sequence fed
in two halves equals it fed whole, reset_states, truncated backpropagation, batch-size errors."""
import numpy as np
import pytest
import torch

from seqlab.layers import GRU, LSTM, Bidirectional, Dense, Input, SimpleRNN
from seqlab.models import Sequential
from seqlab.utils import set_random_seed


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("use_cudnn", ["auto", False])
def test_two_halves_equal_the_whole_sequence(cls, use_cudnn):
    set_random_seed(0)
    whole = cls(4, return_sequences=True, dtype="float64", use_cudnn=use_cudnn)
    stateful = cls(4, return_sequences=True, stateful=True, dtype="float64", use_cudnn=use_cudnn,
                   batch_input_shape=(3, 4, 2))
    x = torch.randn(3, 8, 2, dtype=torch.float64)
    expected = whole(x)
    stateful.build_from_shape((3, 4, 2))
    stateful.set_weights(whole.get_weights())
    halves = torch.cat([stateful(x[:, :4]), stateful(x[:, 4:])], dim=1)
    torch.testing.assert_close(halves, expected, rtol=0, atol=1e-12)
    stateful.reset_states()
    torch.testing.assert_close(stateful(x[:, :4]), expected[:, :4], rtol=0, atol=1e-12)


def test_notes_stateful_listing_in_a_model():
    # notes 004: LSTM(2, stateful=True, batch_input_shape=(10, 5, 1))
    set_random_seed(1)
    model = Sequential([LSTM(2, stateful=True, batch_input_shape=(10, 5, 1)), Dense(1)])
    x = torch.rand(10, 5, 1)
    first = model(x)
    second = model(x)  # starts from the state the first call left
    assert not torch.allclose(first, second)
    model.reset_states()
    torch.testing.assert_close(model(x), first, rtol=0, atol=0)
    model.reset_state()  # Keras 3's name
    assert model.layers[0].states is None


def test_input_batch_size_declares_the_stateful_batch():
    model = Sequential([Input(shape=(5, 1), batch_size=4), GRU(3, stateful=True, return_sequences=True),
                        LSTM(2, stateful=True)])
    model(torch.zeros(4, 5, 1))
    assert [tuple(s.shape) for s in model.layers[1].states] == [(4, 2), (4, 2)]


def test_batch_of_another_size_is_a_clear_error():
    model = Sequential([LSTM(2, stateful=True, batch_input_shape=(10, 5, 1))])
    with pytest.raises(ValueError, match=r"layer 'lstm\w*' is stateful with batch size 10 .* got a batch of "
                                         r"7 samples.* pass batch_size=10"):
        model(torch.zeros(7, 5, 1))


def test_state_is_detached_between_batches():
    # Truncated backpropagation through time: the second batch's loss does not reach back
    # into the first batch's graph.
    set_random_seed(2)
    layer = LSTM(3, stateful=True, batch_input_shape=(2, 4, 1))
    x = torch.randn(2, 4, 1, requires_grad=True)
    layer(x)
    assert all(not s.requires_grad for s in layer.keeper.states)
    layer(torch.randn(2, 4, 1)).sum().backward()
    assert x.grad is None


def test_reset_states_can_set_given_states():
    layer = GRU(3, stateful=True, batch_input_shape=(2, 4, 1), dtype="float64")
    layer(torch.zeros(2, 4, 1, dtype=torch.float64))
    h0 = np.full((2, 3), 0.5)
    layer.reset_states([h0])
    np.testing.assert_array_equal(layer.states[0].numpy(), h0)
    with pytest.raises(ValueError, match=r"each initial state must have shape \(batch, units\) = \(2, 3\)"):
        layer.reset_states([np.zeros((3, 3))])
    with pytest.raises(ValueError, match=r"is not stateful: it carries no states to set"):
        GRU(3).reset_states([h0])


def test_bidirectional_stateful_carries_both_directions():
    set_random_seed(3)
    layer = Bidirectional(LSTM(2, stateful=True), batch_input_shape=(2, 3, 1))
    x = torch.randn(2, 3, 1)
    first = layer(x)
    assert not torch.allclose(layer(x), first)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first, rtol=0, atol=0)


def test_state_carries_across_batches_in_fit_evaluate_and_predict():
    # predict over 2 batches of 5 equals two manual calls in a row; fit leaves a state behind.
    set_random_seed(4)
    model = Sequential([LSTM(3, stateful=True, batch_input_shape=(5, 4, 1)), Dense(1)])
    model.compile(loss="mse", optimizer="adam")
    x = np.random.rand(10, 4, 1).astype("float32")
    predicted = model.predict(x, batch_size=5, verbose=0)
    model.reset_states()
    manual = torch.cat([model(torch.tensor(x[:5])), model(torch.tensor(x[5:]))]).detach().numpy()
    np.testing.assert_allclose(predicted, manual, rtol=0, atol=1e-6)
    model.reset_states()
    model.fit(x, np.random.rand(10, 1), batch_size=5, epochs=1, shuffle=False, verbose=0)
    assert model.layers[0].states is not None
    model.reset_states()
    model.evaluate(x, np.random.rand(10, 1), batch_size=5, verbose=0)
    assert model.layers[0].states is not None
