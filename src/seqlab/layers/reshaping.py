"""Flatten and Reshape: change the shape of each sample, never the batch axis."""
from __future__ import annotations

import math

from seqlab.errors import describe
from seqlab.layers.base import Layer


class Flatten(Layer):
    """Flattens each sample to one axis: ``(N, d1, d2, ...)`` → ``(N, d1*d2*...)``."""

    def call(self, inputs, training=False, mask=None):
        return inputs.reshape(inputs.shape[0], -1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one size may be -1).

    >>> import torch, seqlab
    >>> seqlab.layers.Reshape((28, 28, 1))(torch.zeros(2, 784)).shape
    torch.Size([2, 28, 28, 1])
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            self.target_shape = tuple(int(s) for s in target_shape)
        except (TypeError, ValueError):
            raise TypeError(
                f"Reshape: `target_shape` must be a tuple of integers, got {describe(target_shape)}"
            ) from None
        if sum(s == -1 for s in self.target_shape) > 1 or any(s == 0 or s < -1 for s in self.target_shape):
            raise ValueError(
                f"Reshape: `target_shape` must hold positive sizes and at most one -1, "
                f"got {self.target_shape}"
            )

    def validate_input_shape(self, input_shape):
        size = math.prod(s for s in input_shape[1:] if s is not None)
        known = math.prod(s for s in self.target_shape if s != -1)
        if None in input_shape[1:]:
            return
        if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
            raise ValueError(
                f"layer '{self.name}' cannot reshape samples of shape {input_shape[1:]} "
                f"({size} values) to {self.target_shape}"
            )

    def call(self, inputs, training=False, mask=None):
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def compute_output_shape(self, input_shape):
        if -1 not in self.target_shape:
            return (input_shape[0], *self.target_shape)
        size = math.prod(input_shape[1:]) if None not in input_shape[1:] else None
        known = math.prod(s for s in self.target_shape if s != -1)
        return (input_shape[0], *[(size // known if size else None) if s == -1 else s for s in self.target_shape])

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}
