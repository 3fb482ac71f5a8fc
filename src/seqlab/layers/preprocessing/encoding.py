"""Integer ids to one-hot, multi-hot, count or TF-IDF vectors: the one encoding of
``CategoryEncoding``, the lookups, ``TextVectorization`` and ``Discretization``
(Keras's ``numerical_utils.encode_categorical_inputs``).

Shapes, as Keras: ``one_hot`` encodes every element, ``(..., 1)`` or ``(...)`` -> ``(..., depth)``;
``multi_hot``/``count``/``tf_idf`` treat the last axis as one sample's ids, ``(batch, n)`` ->
``(batch, depth)``, and a 1-D input as one id per sample. An id of -1 is dropped (the mask
token outside ``int`` mode).
"""
from __future__ import annotations

import torch

DROP = -1
MODES = ("one_hot", "multi_hot", "count", "tf_idf")


def encode(ids: torch.Tensor, mode: str, depth: int, dtype: torch.dtype, count_weights=None,
           idf_weights: torch.Tensor | None = None) -> torch.Tensor:
    """``ids`` (int64, values in ``[-1, depth)``) encoded as ``mode``, in ``dtype``."""
    # One column more than asked: dropped ids land there and are cut off at the end.
    spare = torch.where(ids == DROP, torch.full_like(ids, depth), ids)
    if mode == "one_hot":
        if spare.ndim > 1 and spare.shape[-1] == 1:
            spare = spare.squeeze(-1)
        return torch.nn.functional.one_hot(spare, depth + 1)[..., :depth].to(dtype)
    if spare.ndim == 1:
        spare = spare.unsqueeze(-1)  # (batch,) -> (batch, 1): one id per sample
    if count_weights is None:
        weights = torch.ones(spare.shape, dtype=dtype, device=spare.device)
    else:
        weights = torch.as_tensor(count_weights, dtype=dtype, device=spare.device).reshape(spare.shape)
    counts = torch.zeros((*spare.shape[:-1], depth + 1), dtype=dtype, device=spare.device)
    counts = counts.scatter_add(-1, spare, weights)[..., :depth]  # (batch, depth)
    if mode == "multi_hot":
        return (counts > 0).to(dtype)
    if mode == "tf_idf":
        return counts * idf_weights.to(dtype)
    return counts


def encoded_shape(input_shape: tuple, mode: str, depth) -> tuple:
    """The output shape of :func:`encode` for ``input_shape`` (batch axis included)."""
    input_shape = tuple(input_shape)
    if mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return (*input_shape[:-1], depth)
        return (*input_shape, depth)
    if len(input_shape) == 1:
        return (input_shape[0], depth)
    return (*input_shape[:-1], depth)
