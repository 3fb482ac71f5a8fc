"""MultiHeadAttention: the Transformer's attention, with Keras's weights and calling convention.

Keras's ``keras.layers.MultiHeadAttention`` (keras/src/layers/attention/multi_head_attention.py)
projects query, key and value with ``EinsumDense`` layers named ``query``, ``key``, ``value``
(kernel ``(features, num_heads, key_dim)``, bias ``(num_heads, key_dim)``), scales the projected
query by ``1/sqrt(key_dim)``, takes a masked softmax over the value steps, drops out those
probabilities while training, combines the values and projects the heads back with
``attention_output`` (kernel ``(num_heads, value_dim, *output_shape)``, bias ``output_shape``).
Here the same eight weights sit on the layer itself, in Keras's ``get_weights()`` order.
"""
from __future__ import annotations

import math

import torch

from seqlab import initializers
from seqlab.checks import check_bool, check_int, check_rate, check_seed, format_shape
from seqlab.errors import describe
from seqlab.layers.attention.masking import boolean_mask, causal_mask, masked_softmax, timestep_mask
from seqlab.layers.base import OUTPUT_MASK, Layer
from seqlab.layers.inputs import capturing_graph
from seqlab.layers.seeded import SeededDraws
from seqlab.layers.penalties import check_regularizer

_PROJECTIONS = ("query", "key", "value", "attention_output")  # Keras's sublayer names, in build order


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al., 2017), as Keras lays it out.

    For each head ``h``: ``Q_h = query·Wq_h + bq_h``, ``K_h``, ``V_h`` alike;
    ``A_h = softmax(Q_h K_hᵀ / sqrt(key_dim))`` over the value steps (masked positions get 0);
    ``O = Σ_h (A_h V_h)·Wo_h + bo``. ``query is value`` is self-attention.

    Called as Keras's layer: ``mha(query, value)``, ``mha(query, value, key)``, with keyword
    arguments for the rest.

    Input shape: query ``(N, T, dim_q)``, value ``(N, S, dim_v)``, key ``(N, S, dim_k)``.
    Output shape: ``(N, T, dim_q)`` (or ``(N, T, *output_shape)``); with
    ``return_attention_scores=True`` also the probabilities ``(N, num_heads, T, S)`` (before
    dropout, as Keras returns them).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value; defaults to ``key_dim``.
        dropout: fraction of the attention probabilities dropped while training, in [0, 1).
        use_bias: whether the four projections have biases.
        output_shape: the output's size(s) beyond batch and steps, an int or a tuple; defaults
            to the query's last axis.
        attention_axes: only ``None`` (or ``(1,)``): attention over the steps of 3-D inputs.
        kernel_initializer / bias_initializer: for the four projections.
        kernel_regularizer / bias_regularizer / activity_regularizer: penalties (all kernels,
            all biases, the output).
        seed: dropout draws from a generator of the layer's own seeded with it (None: torch's).

    Call arguments:
        query, value, key: the tensors above; ``key`` defaults to ``value``.
        query_mask, value_mask, key_mask: ``(N, T)`` / ``(N, S)`` booleans; by default the
            masks the inputs carry (``Embedding(mask_zero=True)``).
        attention_mask: booleans ``(N, T, S)`` (or broadcastable: ``(T, S)``), True where query
            step ``t`` may attend to value step ``s``; combined (and) with the masks above.
        return_attention_scores: also return the probabilities.
        training: dropout on or off; defaults to the module's mode.
        use_causal_mask: step ``t`` attends to steps ``s <= t`` only (decoder self-attention).

    The probabilities of the last call stay on the layer as ``last_attention_scores``
    (detached), for inspection.

    >>> import torch, seqlab
    >>> mha = seqlab.layers.MultiHeadAttention(num_heads=2, key_dim=16)
    >>> x = torch.randn(4, 10, 32)
    >>> out, scores = mha(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape, mha.count_params()
    (torch.Size([4, 10, 32]), torch.Size([4, 2, 10, 10]), 4224)
    """

    takes_input_list = True  # the base class's road for several inputs: [query, value, key]
    input_ndim = 3
    supports_masking = True
    weight_regularizer_arguments = {
        f"{name}_{part}": f"{part}_regularizer" for name in _PROJECTIONS for part in ("kernel", "bias")
    }

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape=None,
        attention_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = "MultiHeadAttention"
        self.num_heads = check_int(owner, "num_heads", num_heads)
        self.key_dim = check_int(owner, "key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else check_int(owner, "value_dim", value_dim)
        self.dropout = check_rate(owner, "dropout", dropout)
        self.use_bias = check_bool(owner, "use_bias", use_bias)
        self._output_shape = _check_output_shape(output_shape)
        self.attention_axes = _check_attention_axes(attention_axes)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = check_regularizer(owner, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = check_regularizer(owner, "bias_regularizer", bias_regularizer)
        self.seed = check_seed(owner, "seed", seed)
        self.draws = SeededDraws(self.seed)
        self.last_attention_scores: torch.Tensor | None = None

    # ---- shapes -------------------------------------------------------------------------
    def rank_error(self, shape):
        return ValueError(f"layer '{self.name}' (MultiHeadAttention) takes 3-D query, value and key "
                          f"(batch, steps, features), got shape {format_shape(shape)}")

    def validate_input_shape(self, input_shape):
        for role, shape in zip(("query", "value", "key"), input_shape):
            if shape[-1] is None:
                raise ValueError(f"layer '{self.name}' (MultiHeadAttention) needs a {role} whose last axis "
                                 f"has a fixed size, got shape {format_shape(shape)}")
        self._check_shapes(input_shape)

    def check_built_sizes(self, shapes):
        self._check_shapes(shapes)
        for role, shape, built in zip(("query", "value", "key"), shapes, self.input_shape_):
            if shape[-1] != built[-1]:
                raise ValueError(f"layer '{self.name}' (MultiHeadAttention) was built for a {role} of "
                                 f"shape {format_shape(built)}, got shape {format_shape(shape)}")

    def _check_shapes(self, shapes):
        query, value, key = shapes
        if None not in (value[1], key[1]) and value[1] != key[1]:
            raise ValueError(f"layer '{self.name}' (MultiHeadAttention): all axes of value and key but the "
                             f"last must be equal, got value {format_shape(value)} and key {format_shape(key)}")
        batches = {s[0] for s in shapes if s[0] is not None}
        if len(batches) > 1:
            raise ValueError(f"layer '{self.name}' (MultiHeadAttention): query, value and key must have the "
                             f"same batch size, got shapes {', '.join(format_shape(s) for s in shapes)}")

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """Keras's signature (``query_shape, value_shape, key_shape``); a list of the shapes works too."""
        if query_shape and isinstance(query_shape[0], (list, tuple)):
            query_shape = query_shape[0]
        return (*tuple(query_shape)[:-1], *self._output_sizes(query_shape))

    def compute_mask(self, inputs, mask):
        # The output is masked like the query (Keras sets the query's mask on the output).
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def _output_sizes(self, query_shape) -> tuple:
        return self._output_shape if self._output_shape is not None else (query_shape[-1],)

    # ---- weights ------------------------------------------------------------------------
    def build(self, input_shape):
        query, value, key = input_shape
        heads = self.num_heads
        # Keras's EinsumDense layouts; fans follow Keras (for (d, h, k): fan_in d·h, fan_out d·k).
        for name, features, size in (("query", query[-1], self.key_dim), ("key", key[-1], self.key_dim),
                                     ("value", value[-1], self.value_dim)):
            self.add_weight(f"{name}_kernel", (features, heads, size), self.kernel_initializer)
            if self.use_bias:
                self.add_weight(f"{name}_bias", (heads, size), self.bias_initializer)
        out = self._output_sizes(query)
        self.add_weight("attention_output_kernel", (heads, self.value_dim, *out), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("attention_output_bias", out, self.bias_initializer)

    def _project(self, name: str, inputs: torch.Tensor) -> torch.Tensor:
        projected = torch.einsum("nsd,dhk->nshk", inputs, getattr(self, f"{name}_kernel"))
        return projected + getattr(self, f"{name}_bias") if self.use_bias else projected

    # ---- call ---------------------------------------------------------------------------
    def forward(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False,
                masks=None):
        if isinstance(query, (list, tuple)) and value is None and 2 <= len(query) <= 3:
            # The list form [query, value(, key)] (with `masks`): what this method hands the base
            # class, and so what a functional graph records and replays. Keras's form is below.
            query, value, key = query[0], query[1], (query[2] if len(query) == 3 else None)
        elif isinstance(query, (list, tuple)):
            raise TypeError(f"layer '{self.name}' (MultiHeadAttention) is called as mha(query, value) or "
                            f"mha(query, value, key), got a list of {len(query)} as query")
        if value is None:
            raise TypeError(f"layer '{self.name}' (MultiHeadAttention) is called as mha(query, value) or "
                            f"mha(query, value, key) (self-attention: mha(x, x)), got no value")
        given = {"query_mask": query_mask, "value_mask": value_mask, "key_mask": key_mask,
                 "attention_mask": attention_mask}
        if masks is not None and any(m is not None for m in given.values()):
            raise TypeError(f"layer '{self.name}' (MultiHeadAttention): give the masks either as `masks` (the "
                            f"list form's dict) or as keywords, not both; got `masks` and "
                            f"{', '.join(k for k, m in given.items() if m is not None)}")
        if masks is None:
            # Keras 3 fills the masks from those the inputs carry; read before any conversion.
            if key_mask is None and key is not None and key is not value:
                key_mask = getattr(key, OUTPUT_MASK, None)
            masks = {"query_mask": getattr(query, OUTPUT_MASK, None) if query_mask is None else query_mask,
                     "value_mask": getattr(value, OUTPUT_MASK, None) if value_mask is None else value_mask,
                     "key_mask": key_mask, "attention_mask": attention_mask}
        inputs = [query, value, value if key is None else key]
        return super().forward(inputs, training=training, mask=None, masks=masks,
                               return_attention_scores=return_attention_scores, use_causal_mask=use_causal_mask)

    def call(self, inputs, training=False, mask=None, masks=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key = inputs
        keep, query_mask = self._attention_mask(query, value, masks or {}, use_causal_mask)  # (N|1, T, S)
        q = self._project("query", query) * (1.0 / math.sqrt(self.key_dim))  # (N, T, h, key_dim)
        k = self._project("key", key)  # (N, S, h, key_dim)
        v = self._project("value", value)  # (N, S, h, value_dim)
        scores = torch.einsum("nshk,nthk->nhts", k, q)
        probabilities = masked_softmax(scores, None if keep is None else keep.unsqueeze(1))  # (N, h, T, S)
        dropped = self.draws.dropout(probabilities, self.dropout) if training and self.dropout > 0 \
            else probabilities
        context = torch.einsum("nhts,nshv->nthv", dropped, v)
        kernel = self.attention_output_kernel
        outputs = torch.einsum("nthv,hvo->nto", context, kernel.reshape(*kernel.shape[:2], -1))
        if self.use_bias:
            outputs = outputs + self.attention_output_bias.reshape(-1)
        outputs = outputs.reshape(*outputs.shape[:2], *kernel.shape[2:])
        if query_mask is not None:
            setattr(outputs, OUTPUT_MASK, query_mask)
        if not capturing_graph():  # a captured graph keeps nothing on the layer (it would be symbolic)
            self.last_attention_scores = probabilities.detach()
        return (outputs, probabilities) if return_attention_scores else outputs

    def _attention_mask(self, query, value, masks, use_causal_mask):
        """Keras's ``_compute_attention_mask``: query (N, T, 1) & value and key (N, 1, S) &
        causal (1, T, S) & attention_mask, or None when nothing is masked."""
        batch, steps, sources = query.shape[0], query.shape[1], value.shape[1]
        device = query.device
        query_mask = timestep_mask(self, "query_mask", masks.get("query_mask"), (batch, steps),
                                   "(batch, query steps)", device)
        parts = [] if query_mask is None else [query_mask.unsqueeze(-1)]
        for argument in ("value_mask", "key_mask"):
            mask = timestep_mask(self, argument, masks.get(argument), (batch, sources),
                                 "(batch, value steps)", device)
            if mask is not None:
                parts.append(mask.unsqueeze(1))
        if use_causal_mask:
            parts.append(causal_mask(steps, sources, device).unsqueeze(0))
        if masks.get("attention_mask") is not None:
            parts.append(self._explicit_mask(masks["attention_mask"], (batch, steps, sources), device))
        keep = None
        for part in parts:
            keep = part if keep is None else keep & part
        return keep, query_mask

    def _explicit_mask(self, mask, shape, device):
        mask = boolean_mask(self, "attention_mask", mask, device)
        if mask.dim() == 2:  # (T, S): the same for every sample, as Keras's broadcasting allows
            mask = mask.unsqueeze(0)
        if mask.dim() != 3 or any(m not in (1, s) for m, s in zip(mask.shape, shape)):
            raise ValueError(f"layer '{self.name}' (MultiHeadAttention): `attention_mask` must have shape "
                             f"{format_shape(shape)} (batch, query steps, value steps) or broadcast to it, "
                             f"got shape {format_shape(mask.shape)}")
        return mask

    # ---- Keras's weight order -----------------------------------------------------------
    def weight_names(self):
        parts = ("kernel", "bias") if self.use_bias else ("kernel",)
        return [f"{name}_{part}" for name in _PROJECTIONS for part in parts]

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": None if self._output_shape is None else list(self._output_shape),
            "attention_axes": None if self.attention_axes is None else list(self.attention_axes),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self.regularizer_config(),
            "seed": self.seed,
        }


def _check_output_shape(value):
    if value is None:
        return None
    sizes = (value,) if not isinstance(value, (list, tuple)) else tuple(value)
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise ValueError(f"MultiHeadAttention: `output_shape` must be a positive integer or a tuple of "
                             f"them, got {describe(value)}")
    return sizes


def _check_attention_axes(value):
    # Keras counts axes of the projected (N, T, heads, dim) tensor: for 3-D inputs the steps are
    # axis 1 (or -2), its default. Other axes need inputs of more axes, which seqlab does not take.
    if value is None:
        return None
    axes = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(axes, (list, tuple)) or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"MultiHeadAttention: `attention_axes` must be an int, list or tuple, got {describe(value)}")
    if tuple(axes) not in ((1,), (-2,)):
        raise ValueError(f"MultiHeadAttention: `attention_axes` must be None or (1,) (attention over the "
                         f"steps of 3-D inputs; other axes are not supported), got {describe(value)}")
    return tuple(axes)
