"""The metric contract, shared by every metric module, and the one rule for ``sample_weight``.

See :mod:`seqlab.training.metrics` (means, accuracies, the registry by name) and
:mod:`seqlab.training.confusion_metrics` (Precision, Recall, AUC...).
"""
from __future__ import annotations

import torch

from seqlab.checks import format_shape
from seqlab.layers.registry import snake_case


class Metric:
    """Base class: ``reset_state`` → ``update_state(y_true, y_pred, sample_weight=None)``... →
    ``result()``.

    State stays on the device of the predictions (no host synchronisation per batch);
    ``result()`` gives a tensor, read once at the end of an epoch. ``direction`` is ``'up'``
    (accuracy), ``'down'`` (errors) or ``None`` (unknown); callbacks use it for ``mode='auto'``.
    """

    direction: str | None = None

    def __init__(self, name: str | None = None):
        self.name = name or snake_case(type(self).__name__)
        self.reset_state()

    def reset_state(self) -> None:
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        raise NotImplementedError

    def result(self) -> torch.Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def sample_weights_like(sample_weight, values: torch.Tensor) -> torch.Tensor:
    """``sample_weight`` broadcast to ``values``' shape, as Keras does: one weight per sample
    ``(N,)`` (or ``(N, 1)``) spreads over the sample's trailing axes; a weight per value keeps
    its place.

    Raises:
        ValueError: the weights cannot be lined up with the values.
    """
    weight = torch.as_tensor(sample_weight, device=values.device)
    given = tuple(weight.shape)
    weight = weight.to(values.dtype if values.is_floating_point() else torch.get_default_dtype())
    while weight.ndim > values.ndim and weight.shape[-1] == 1:
        weight = weight.squeeze(-1)
    if weight.ndim <= values.ndim and tuple(weight.shape) == tuple(values.shape[:weight.ndim]):
        return weight.reshape(weight.shape + (1,) * (values.ndim - weight.ndim)).expand_as(values)
    try:
        return weight.expand_as(values)
    except RuntimeError:
        raise ValueError(f"`sample_weight` of shape {format_shape(given)} "
                         f"cannot be lined up with values of shape {format_shape(tuple(values.shape))}: "
                         "give one weight per sample, or one per value") from None

