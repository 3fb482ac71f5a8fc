"""Activation functions by Keras name.

``get('relu')`` returns a function of a tensor; ``serialize`` gives back the name so a layer's
config stays plain JSON. A user callable is accepted too (it then cannot be saved by name).
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Activation = Callable[[torch.Tensor], torch.Tensor]


def linear(x: torch.Tensor) -> torch.Tensor:
    return x


def softmax(x: torch.Tensor) -> torch.Tensor:
    # Keras applies softmax over the last axis.
    return torch.softmax(x, dim=-1)


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    # Keras 3 definition: relu6(x + 3) / 6.
    return F.relu6(x + 3.0) / 6.0


_BY_NAME: dict[str, Activation] = {
    "linear": linear,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softmax": softmax,
    "softplus": F.softplus,
    "softsign": F.softsign,
    "elu": F.elu,
    "selu": F.selu,
    "gelu": F.gelu,
    "swish": F.silu,
    "silu": F.silu,
    "hard_sigmoid": hard_sigmoid,
    "exponential": torch.exp,
}


def get(identifier: str | Activation | None) -> Activation:
    """Resolve an activation given by name (``None`` means linear) or as a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise ValueError(
                f"unknown activation {identifier!r}; expected one of {sorted(_BY_NAME)} "
                "or a callable"
            ) from None
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activation must be a name or a callable, got {type(identifier).__name__}"
    )


def serialize(fn: Activation) -> str:
    """The Keras name of an activation, for a layer's JSON config."""
    for name, known in _BY_NAME.items():
        if fn is known:
            return name
    return getattr(fn, "__name__", repr(fn))


def names() -> list[str]:
    return sorted(_BY_NAME)
