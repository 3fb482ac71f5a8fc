"""Dropout and recurrent dropout: only while training, one mask per sequence, seedable."""
import torch

from seqlab.layers import GRU, LSTM, SimpleRNN
from seqlab.utils import set_random_seed


def test_dropout_only_while_training():
    set_random_seed(0)
    layer = LSTM(4, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    x = torch.randn(3, 6, 2)
    layer.eval()
    torch.testing.assert_close(layer(x), layer(x), rtol=0, atol=0)
    plain = LSTM(4, return_sequences=True)
    plain(x)
    plain.set_weights(layer.get_weights())
    torch.testing.assert_close(layer(x), plain(x), rtol=0, atol=0)
    assert not torch.allclose(layer(x, training=True), plain(x))


def test_input_dropout_mask_is_the_same_at_every_timestep():
    # With a linear SimpleRNN whose recurrent weights are zero, the output at step t is
    # (dropped x_t) @ kernel; a constant input then gives the same output at every step only
    # if the dropped features are the same at every step.
    set_random_seed(1)
    layer = SimpleRNN(6, activation="linear", dropout=0.5, use_bias=False, return_sequences=True)
    layer.build_from_shape((None, 5, 8))
    kernel, recurrent = layer.get_weights()
    layer.set_weights([kernel, recurrent * 0])
    out = layer(torch.ones(4, 5, 8), training=True)
    torch.testing.assert_close(out, out[:, :1].expand_as(out), rtol=0, atol=1e-6)
    assert not torch.allclose(out[0], out[1])  # but differs between sequences


def test_seeded_dropout_repeats():
    x = torch.randn(2, 5, 3)
    layers = [GRU(4, dropout=0.3, recurrent_dropout=0.3, seed=7) for _ in range(2)]
    layers[0](x)
    layers[1](x)
    layers[1].set_weights(layers[0].get_weights())
    torch.testing.assert_close(layers[0](x, training=True), layers[1](x, training=True), rtol=0, atol=0)


def test_recurrent_dropout_takes_the_loop_only_while_training():
    layer = LSTM(4, recurrent_dropout=0.2)
    assert layer.execution_path(training=True) == "loop"
    assert layer.execution_path(training=False) == "fused"
    assert LSTM(4, dropout=0.2).execution_path(training=True) == "fused"
