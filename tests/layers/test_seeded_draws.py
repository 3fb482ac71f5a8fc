"""A layer's ``seed`` makes its random draws its own (Keras's SeedGenerator): Dropout, the noise
layers and the attention layers' dropout repeat whatever else draws, and differ between seeds."""
import pytest
import torch

from seqlab.layers import Attention, Dropout, GaussianNoise, MultiHeadAttention


def _draw(make, x, between=None):
    layer = make()
    torch.manual_seed(0)
    if between is not None:
        torch.rand(between)  # other draws from the global generator in between
    return layer(x, training=True)


@pytest.mark.parametrize("make", [lambda seed: Dropout(0.5, seed=seed), lambda seed: GaussianNoise(0.5, seed=seed)])
def test_a_seeded_layer_repeats_its_draws_whatever_else_draws(make):
    x = torch.ones(4, 50)
    first = _draw(lambda: make(3), x)
    again = _draw(lambda: make(3), x, between=17)
    other = _draw(lambda: make(4), x)
    torch.testing.assert_close(first, again, rtol=0, atol=0)
    assert not torch.equal(first, other)


def test_seeded_dropout_is_inverted_dropout():
    out = Dropout(0.25, seed=1)(torch.ones(200, 100), training=True)
    kept = out[out != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1.0 / 0.75))  # the rest scaled by 1/(1-rate)
    assert abs(float((out == 0).float().mean()) - 0.25) < 0.01  # 20,000 draws: sd 0.003


def test_without_a_seed_dropout_follows_the_global_generator():
    x = torch.ones(4, 50)
    torch.manual_seed(5)
    first = Dropout(0.5)(x, training=True)
    torch.manual_seed(5)
    torch.testing.assert_close(Dropout(0.5)(x, training=True), first, rtol=0, atol=0)


def test_the_attention_layers_seed_their_dropout():
    query, value = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    weights = [Attention(dropout=0.5, seed=7)([query, value], training=True, return_attention_scores=True)[1]
               for _ in range(2)]
    torch.testing.assert_close(weights[0], weights[1], rtol=0, atol=0)
    assert (weights[0] == 0).any()
    torch.manual_seed(0)
    x = torch.randn(2, 6, 8)
    outputs = []
    for _ in range(2):
        torch.manual_seed(0)  # the same initial weights; the dropout masks come from the seed
        outputs.append(MultiHeadAttention(2, 4, dropout=0.5, seed=9)(x, x, training=True))
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)
