"""The masking and softmax every attention layer shares (Keras's rules, written once).

Keras turns a boolean "may attend" mask into an additive bias before the softmax: scores at
masked positions lose ``1e9`` (``Attention._apply_scores``, ``Softmax.call`` in
keras/src/layers/...), so their weight underflows to exactly 0. A row with nothing left to
attend to therefore comes out uniform, as in Keras, not NaN.
"""
from __future__ import annotations

import numpy as np
import torch

from seqlab.checks import format_shape
from seqlab.errors import describe

# Keras's `_large_negative_number` for float32/float64 (float16 is not a seqlab dtype).
MASKED_SCORE = 1.0e9


def masked_softmax(scores: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis; ``keep`` (booleans, broadcastable) says what may be attended."""
    if keep is not None:
        scores = scores - MASKED_SCORE * (~keep).to(scores.dtype)
    return torch.softmax(scores, dim=-1)


def causal_mask(query_steps: int, value_steps: int, device) -> torch.Tensor:
    """``(Tq, Tv)`` booleans, True where ``j <= i``: position ``i`` sees no later position
    (Keras builds the same lower triangle from two cumsums)."""
    return torch.ones(query_steps, value_steps, dtype=torch.bool, device=device).tril()


def timestep_mask(layer, argument: str, mask, shape: tuple, axes: str, device) -> torch.Tensor | None:
    """A ``(batch, steps)`` mask as booleans on the right device, or a clear error.

    ``shape`` is the ``(batch, steps)`` the mask must have; ``axes`` names them in the message.
    """
    if mask is None:
        return None
    tensor = _as_tensor(layer, argument, mask, device)
    if tuple(tensor.shape) != tuple(shape):
        raise ValueError(
            f"layer '{layer.name}' ({type(layer).__name__}): `{argument}` must have shape "
            f"{format_shape(shape)} {axes}, got shape {format_shape(tensor.shape)}"
        )
    return tensor


def boolean_mask(layer, argument: str, mask, device) -> torch.Tensor:
    """Any mask (booleans or 0/1 numbers) as a boolean tensor on ``device``; what is not one
    is refused."""
    return _as_tensor(layer, argument, mask, device)


def _as_tensor(layer, argument, mask, device) -> torch.Tensor:
    if not torch.is_tensor(mask):
        array = np.asarray(mask)
        if array.dtype == object or array.dtype.kind not in "biuf":
            raise TypeError(f"layer '{layer.name}' ({type(layer).__name__}): `{argument}` must be a "
                            f"tensor or array of booleans, got {describe(mask)}")
        mask = torch.as_tensor(array)
    if mask.is_floating_point() or mask.is_complex():
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"layer '{layer.name}' ({type(layer).__name__}): `{argument}` must hold "
                             "booleans (or 0/1), got other values")
    return mask.to(device=device, dtype=torch.bool)
