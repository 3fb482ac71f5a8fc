"""``CategoryEncoding``: integer categories to one-hot, multi-hot or count vectors
(``keras/src/layers/preprocessing/category_encoding.py``; the encoding is
:func:`seqlab.layers.preprocessing.encoding.encode`, shared with the lookups)."""
from __future__ import annotations

import torch

from seqlab.checks import check_bool, check_choice, check_int
from seqlab.layers.preprocessing import encoding
from seqlab.layers.preprocessing.base import PreprocessingLayer


class CategoryEncoding(PreprocessingLayer):
    """Encodes integer ids in ``[0, num_tokens)`` as vectors of ``num_tokens``.

    Args:
        num_tokens: the number of categories (required).
        output_mode: ``"multi_hot"`` (default), ``"one_hot"`` or ``"count"``.
        sparse: must be False (dense tensors only).

    Call arguments:
        count_weights: per-id weights of the input's shape, summed instead of counting 1
            (``output_mode="count"`` only).

    Input shape:
        ``one_hot``: ``(batch,)`` or ``(batch, 1)``, or any shape (each element encoded);
        ``multi_hot``/``count``: ``(batch,)`` (one id per sample) or ``(batch, ids)``.

    Output shape:
        ``one_hot``: ``(..., num_tokens)``; ``multi_hot``/``count``: ``(batch, num_tokens)``.

    Keras's docstring example, same answer:

    >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 1], [0, 0], [1, 2], [3, 1]]).tolist()
    [[1.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        if num_tokens is None:
            raise ValueError(f"{owner}: `num_tokens` must be set (the number of categories), got None")
        self.num_tokens = check_int(owner, "num_tokens", num_tokens)
        self.output_mode = check_choice(owner, "output_mode", output_mode, ("multi_hot", "one_hot", "count"))
        if check_bool(owner, "sparse", sparse):
            raise ValueError(f"{owner}: `sparse=True` needs TensorFlow's sparse tensors; seqlab returns dense "
                             "tensors (leave `sparse` out)")
        self.sparse = False

    def call(self, inputs, training=False, mask=None, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"{self.describe_self()}: `count_weights` is only for output_mode='count', got "
                             f"output_mode={self.output_mode!r}")
        if inputs.is_floating_point() and not bool((inputs == inputs.round()).all()):
            raise ValueError(f"{self.describe_self()} takes integer ids, got fractional values")
        ids = inputs.long()
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.num_tokens):
            raise ValueError(f"{self.describe_self()}: input values must be in the range 0 <= values < "
                             f"num_tokens={self.num_tokens}, got values from {int(ids.min())} to {int(ids.max())}")
        return encoding.encode(ids, self.output_mode, self.num_tokens, self.torch_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        return encoding.encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": self.sparse})
        return config
