"""Attention layers: Luong's ``Attention``, Bahdanau's ``AdditiveAttention`` and the
Transformer's ``MultiHeadAttention``, with Keras's weights, masks and calling conventions."""
from seqlab.layers.attention.additive_attention import AdditiveAttention
from seqlab.layers.attention.attention import Attention
from seqlab.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention"]
