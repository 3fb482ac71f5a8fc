"""Masks as in Keras: a padded and masked batch gives each sequence the result it gets alone,
on both execution paths, with Masking and with Embedding(mask_zero=True)."""
import numpy as np
import pytest
import torch

from rnn_reference import reference_for
from seqlab.layers import GRU, LSTM, Bidirectional, Dense, Embedding, Masking, SimpleRNN, TimeDistributed
from seqlab.models import Sequential
from seqlab.utils import set_random_seed

LENGTHS = [5, 2, 4, 1]


def padded_batch(padding, features=2, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    sequences = [rng.normal(size=(n, features)) + 0.5 for n in LENGTHS]
    x = np.zeros((len(LENGTHS), steps, features))
    mask = np.zeros((len(LENGTHS), steps), dtype=bool)
    for row, seq in enumerate(sequences):
        where = slice(0, len(seq)) if padding == "post" else slice(steps - len(seq), steps)
        x[row, where], mask[row, where] = seq, True
    return sequences, x, mask


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("use_cudnn", ["auto", False])
@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_padded_masked_batch_equals_each_sequence_alone(cls, use_cudnn, padding, go_backwards):
    set_random_seed(0)
    layer = cls(4, return_state=True, use_cudnn=use_cudnn, go_backwards=go_backwards, dtype="float64")
    sequences, x, mask = padded_batch(padding)
    out, *states = layer(torch.tensor(x), mask=torch.tensor(mask))
    for row, seq in enumerate(sequences):
        alone, *alone_states = layer(torch.tensor(seq[None]))
        torch.testing.assert_close(out[row], alone[0], rtol=0, atol=1e-12)
        for got, want in zip(states, alone_states):
            torch.testing.assert_close(got[row], want[0], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", [LSTM, GRU, SimpleRNN])
@pytest.mark.parametrize("use_cudnn", ["auto", False])
@pytest.mark.parametrize("zero_output_for_mask", [False, True])
def test_masked_sequence_outputs_follow_keras(cls, use_cudnn, zero_output_for_mask):
    # Masked steps carry the state and repeat the previous output (zeros before the first
    # step, or zeros throughout with zero_output_for_mask), checked against the reference.
    set_random_seed(1)
    layer = cls(3, return_sequences=True, use_cudnn=use_cudnn, dtype="float64",
                zero_output_for_mask=zero_output_for_mask)
    x = np.random.randn(3, 6, 2)
    mask = np.array([[0, 1, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]], dtype=bool)
    out = layer(torch.tensor(x), mask=torch.tensor(mask))
    expected = reference_for(layer, x, mask=mask, zero_output_for_mask=zero_output_for_mask)
    np.testing.assert_allclose(out.detach().numpy(), expected["outputs"], rtol=0, atol=1e-12)


def test_masking_layer_marks_all_equal_timesteps():
    layer = Masking(mask_value=-1.0)
    x = torch.tensor([[[1.0, -1.0], [-1.0, -1.0], [0.0, 0.0]]])
    assert layer.compute_mask(x, None).tolist() == [[True, False, True]]
    assert layer(x).tolist() == [[[1.0, -1.0], [0.0, 0.0], [0.0, 0.0]]]


@pytest.mark.parametrize("padding", ["pre", "post"])
def test_masking_layer_in_a_model_skips_padding(padding):
    set_random_seed(2)
    model = Sequential([Masking(0.0, input_shape=(6, 2)), LSTM(4, return_sequences=True),
                        GRU(3), Dense(1)])
    sequences, x, _ = padded_batch(padding)
    batch = model(torch.tensor(x, dtype=torch.float32))
    for row, seq in enumerate(sequences):
        alone = model(torch.tensor(seq[None], dtype=torch.float32))
        torch.testing.assert_close(batch[row], alone[0], rtol=0, atol=1e-5)


def test_embedding_mask_zero_flows_through_the_stack():
    set_random_seed(3)
    model = Sequential([Embedding(10, 4, mask_zero=True), Bidirectional(LSTM(3, return_sequences=True)),
                        TimeDistributed(Dense(2)), SimpleRNN(2)])
    ids = torch.tensor([[0, 0, 3, 4, 5], [1, 2, 0, 0, 0], [7, 8, 9, 1, 2]])
    batch = model(ids)
    for row, tokens in enumerate(ids.tolist()):
        kept = torch.tensor([[t for t in tokens if t != 0]])
        torch.testing.assert_close(batch[row], model(kept)[0], rtol=0, atol=1e-5)


def test_bidirectional_return_sequences_zeroes_masked_steps():
    set_random_seed(4)
    layer = Bidirectional(GRU(3, return_sequences=True))
    _, x, mask = padded_batch("post")
    out = layer(torch.tensor(x, dtype=torch.float32), mask=torch.tensor(mask))
    assert torch.all(out[~torch.tensor(mask)] == 0)
    assert layer.compute_mask(None, torch.tensor(mask)) is not None


def test_mask_with_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"`mask` must have shape \(samples, timesteps\) = \(2, 5\), got shape \(2, 4\)"):
        LSTM(3)(torch.zeros(2, 5, 1), mask=torch.ones(2, 4, dtype=torch.bool))


def test_embedding_checks_its_ids():
    layer = Embedding(5, 2)
    with pytest.raises(ValueError, match=r"input_dim=5, so ids must be in \[0, 4\], got 5"):
        layer(torch.tensor([[1, 5]]))
    with pytest.raises(ValueError, match=r"input_dim=5, so ids must be in \[0, 4\], got -1"):
        layer(torch.tensor([[-1, 2]]))
    with pytest.raises(ValueError, match=r"needs integer ids, got non-integer values such as 1.5"):
        layer(torch.tensor([[1.5, 2.0]]))
    out = layer(np.array([[1.0, 2.0]]))  # whole numbers in floats are fine (as Keras)
    torch.testing.assert_close(out[0], layer.embeddings[[1, 2]])


def test_embedding_keras2_input_length_declares_the_shape():
    model = Sequential([Embedding(20, 8, input_length=10), LSTM(4)])
    assert model.output_shapes == [(None, 10, 8), (None, 4)]
    assert model.count_params() == 20 * 8 + 4 * 4 * (8 + 4 + 1)
