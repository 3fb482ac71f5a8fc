"""Attention: Luong's dot-product attention over a list ``[query, value]`` or ``[query, value, key]``.

Keras's ``keras.layers.Attention`` (keras/src/layers/attention/attention.py): scores
``query @ keyᵀ`` (times a learned scalar ``scale`` with ``use_scale``), or with
``score_mode="concat"`` ``concat_score_weight * Σ tanh(scale * (q + k))``; a softmax over the
value steps after the value mask and the causal mask; dropout on those weights while training;
then the weighted sum of the values, zeroed at masked query steps.
"""
from __future__ import annotations

import torch

from seqlab.checks import check_bool, check_choice, check_rate, check_seed, format_shape
from seqlab.errors import describe
from seqlab.layers.attention.masking import causal_mask, masked_softmax, timestep_mask
from seqlab.layers.base import OUTPUT_MASK, Layer
from seqlab.layers.inputs import capturing_graph
from seqlab.layers.seeded import SeededDraws


class Attention(Layer):
    """Dot-product (Luong-style) attention.

    ``scores = query @ keyᵀ`` ``(N, Tq, Tv)``; ``weights = softmax(scores)`` over ``Tv`` (masked
    value steps and, with ``use_causal_mask``, later steps get weight 0); the output is
    ``weights @ value``. Without ``key``, ``value`` is the key too (the usual case).

    Input shape: a list ``[query (N, Tq, dim), value (N, Tv, dim_v)]`` or
    ``[query, value, key (N, Tv, dim)]``.
    Output shape: ``(N, Tq, dim_v)``; with ``return_attention_scores=True`` also the weights
    ``(N, Tq, Tv)`` (after masking, softmax and, while training, dropout — as Keras returns them).

    Args:
        use_scale: learn a scalar ``scale`` (initialised to 1) that multiplies the scores.
        score_mode: ``"dot"`` (the dot product) or ``"concat"`` (``Σ tanh(q + k)`` times a
            learned scalar ``concat_score_weight``).
        dropout: fraction of the attention weights dropped while training, in [0, 1).
        seed: dropout draws from a generator of the layer's own seeded with it (None: torch's).

    Call arguments:
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: ``[query_mask (N, Tq), value_mask (N, Tv)]`` of booleans, either may be None.
            When not given, the masks the inputs carry (``Embedding(mask_zero=True)``) are used.
        training: dropout on (True) or off; defaults to the module's mode.
        return_attention_scores: also return the attention weights.
        use_causal_mask: query step ``i`` attends to value steps ``j <= i`` only.

    The weights of the last call stay on the layer as ``last_attention_scores`` (detached),
    for inspection.

    >>> import torch, seqlab
    >>> query, value = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    >>> out, scores = seqlab.layers.Attention()([query, value], return_attention_scores=True)
    >>> out.shape, scores.shape
    (torch.Size([2, 3, 4]), torch.Size([2, 3, 5]))
    """

    takes_input_list = True
    input_ndim = 3  # every input is (batch, steps, features)
    supports_masking = True

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.use_scale = check_bool(owner, "use_scale", use_scale)
        self.score_mode = check_choice(owner, "score_mode", score_mode, ("dot", "concat"))
        self.dropout = check_rate(owner, "dropout", dropout)
        self.seed = check_seed(owner, "seed", seed)
        self.draws = SeededDraws(self.seed)
        self.last_attention_scores: torch.Tensor | None = None

    # ---- shapes -------------------------------------------------------------------------
    def rank_error(self, shape):
        return ValueError(f"layer '{self.name}' ({type(self).__name__}) takes 3-D inputs (batch, steps, "
                          f"features) for query, value and key, got shape {format_shape(shape)}")

    def validate_input_shape(self, input_shape):
        self._check_shapes(input_shape)

    def check_built_sizes(self, shapes):
        self._check_shapes(shapes)
        for index, (shape, built) in enumerate(zip(shapes, self.input_shape_)):
            if built[-1] is not None and shape[-1] != built[-1]:
                raise ValueError(f"layer '{self.name}' ({type(self).__name__}) was built for input "
                                 f"{index} of shape {format_shape(built)}, got shape {format_shape(shape)}")

    def _check_shapes(self, shapes):
        owner = type(self).__name__
        if not 2 <= len(shapes) <= 3:
            raise ValueError(f"layer '{self.name}' ({owner}) takes a list of 2 or 3 inputs, namely "
                             f"[query, value] or [query, value, key], got {len(shapes)}")
        query, value = shapes[0], shapes[1]
        key = shapes[2] if len(shapes) == 3 else value
        if None not in (query[-1], key[-1]) and query[-1] != key[-1]:
            which = "key" if len(shapes) == 3 else "value (the key when no key is given)"
            raise ValueError(f"layer '{self.name}' ({owner}): query and {which} must have the same "
                             f"last axis, got query {format_shape(query)} and key {format_shape(key)}")
        if None not in (value[1], key[1]) and value[1] != key[1]:
            raise ValueError(f"layer '{self.name}' ({owner}): value and key must have the same number "
                             f"of steps, got value {format_shape(value)} and key {format_shape(key)}")
        batches = {s[0] for s in shapes if s[0] is not None}
        if len(batches) > 1:
            raise ValueError(f"layer '{self.name}' ({owner}): query, value and key must have the same "
                             f"batch size, got shapes {', '.join(format_shape(s) for s in shapes)}")

    def compute_output_shape(self, input_shape):
        return (*input_shape[0][:-1], input_shape[1][-1])

    def compute_mask(self, inputs, mask):
        # Keras: the output is masked like the query.
        if mask is None or not isinstance(mask, (list, tuple)):
            return None
        return mask[0]

    # ---- weights ------------------------------------------------------------------------
    def build(self, input_shape):
        if self.use_scale:
            self.add_weight("scale", (), "ones")
        if self.score_mode == "concat":
            self.add_weight("concat_score_weight", (), "ones")

    def score(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Raw scores ``(N, Tq, Tv)`` (override for another score)."""
        if self.score_mode == "dot":
            scores = query @ key.transpose(1, 2)
            return scores * self.scale if self.use_scale else scores
        pairs = query.unsqueeze(2) + key.unsqueeze(1)  # (N, Tq, Tv, dim)
        if self.use_scale:
            pairs = self.scale * pairs
        return self.concat_score_weight * torch.tanh(pairs).sum(-1)

    # ---- call ---------------------------------------------------------------------------
    def forward(self, inputs, training=None, mask=None, return_attention_scores=False, use_causal_mask=False):
        if mask is None and isinstance(inputs, (list, tuple)) and len(inputs) >= 2:
            # Keras 3 fills `mask` from the masks the inputs carry; read before any conversion.
            carried = [getattr(inputs[0], OUTPUT_MASK, None), getattr(inputs[1], OUTPUT_MASK, None)]
            mask = carried if any(m is not None for m in carried) else None
        return super().forward(inputs, training=training, mask=mask,
                               return_attention_scores=return_attention_scores, use_causal_mask=use_causal_mask)

    def call(self, inputs, training=False, mask=None, return_attention_scores=False, use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        query_mask, value_mask = self._masks(mask, query, value)
        keep = None if value_mask is None else value_mask.unsqueeze(1)  # (N, 1, Tv)
        if use_causal_mask:
            causal = causal_mask(query.shape[1], value.shape[1], query.device)  # (Tq, Tv)
            keep = causal.unsqueeze(0) if keep is None else keep & causal
        weights = masked_softmax(self.score(query, key), keep)  # (N, Tq, Tv)
        if training and self.dropout > 0:
            weights = self.draws.dropout(weights, self.dropout)
        outputs = weights @ value  # (N, Tq, dim_v)
        if query_mask is not None:
            outputs = outputs * query_mask.unsqueeze(-1).to(outputs.dtype)
            setattr(outputs, OUTPUT_MASK, query_mask)
        if not capturing_graph():  # a captured graph keeps nothing on the layer (it would be symbolic)
            self.last_attention_scores = weights.detach()
        return (outputs, weights) if return_attention_scores else outputs

    def _masks(self, mask, query, value):
        if mask is None:
            return None, None
        if not isinstance(mask, (list, tuple)) or not 2 <= len(mask) <= 3:
            raise ValueError(f"layer '{self.name}' ({type(self).__name__}): `mask` must be a list "
                             f"[query_mask, value_mask], got {describe(mask)}")
        batch = query.shape[0]
        query_mask = timestep_mask(self, "mask[0]", mask[0], (batch, query.shape[1]),
                                   "(batch, query steps)", query.device)
        value_mask = timestep_mask(self, "mask[1]", mask[1], (batch, value.shape[1]),
                                   "(batch, value steps)", query.device)
        return query_mask, value_mask

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout, "seed": self.seed}
