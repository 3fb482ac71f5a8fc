"""AdditiveAttention: Bahdanau's attention, ``Σ scale · tanh(query + key)`` as the score.

Keras's ``keras.layers.AdditiveAttention`` (keras/src/layers/attention/additive_attention.py)
is ``Attention`` with another score and a learned vector ``scale`` of shape ``(dim,)``
(glorot-uniform); masking, causal mask, dropout and the output are Attention's.
"""
from __future__ import annotations

import torch

from seqlab.checks import format_shape
from seqlab.layers.attention.attention import Attention


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention.

    ``scores[n, i, j] = Σ_d scale[d] · tanh(query[n, i, d] + key[n, j, d])``, then as
    :class:`Attention`: softmax over the value steps, weighted sum of the values.

    Input shape: a list ``[query (N, Tq, dim), value (N, Tv, dim_v)]`` or
    ``[query, value, key (N, Tv, dim)]``.
    Output shape: ``(N, Tq, dim_v)``; with ``return_attention_scores=True`` also ``(N, Tq, Tv)``.

    Args:
        use_scale: learn the vector ``scale`` (``dim`` weights); without it every ``d`` counts 1.
        dropout: fraction of the attention weights dropped while training, in [0, 1).
        seed: dropout draws from a generator of the layer's own seeded with it (None: torch's).

    Call arguments are :class:`Attention`'s (``mask=[query_mask, value_mask]``,
    ``return_attention_scores``, ``use_causal_mask``, ``training``).

    >>> import torch, seqlab
    >>> layer = seqlab.layers.AdditiveAttention()
    >>> layer([torch.randn(2, 3, 4), torch.randn(2, 5, 4)]).shape
    torch.Size([2, 3, 4])
    >>> layer.count_params()
    4
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def validate_input_shape(self, input_shape):
        super().validate_input_shape(input_shape)
        if self.use_scale and input_shape[0][-1] is None:
            raise ValueError(f"layer '{self.name}' (AdditiveAttention) needs a query whose last axis has a "
                             f"fixed size (the size of `scale`), got shape {format_shape(input_shape[0])}")

    def build(self, input_shape):
        if self.use_scale:
            self.add_weight("scale", (input_shape[0][-1],), "glorot_uniform")

    def score(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        pairs = torch.tanh(query.unsqueeze(2) + key.unsqueeze(1))  # (N, Tq, Tv, dim)
        return (self.scale * pairs if self.use_scale else pairs).sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]  # as Keras: the score is always additive
        return config
