"""Merging layers: combine a list of tensors into one (Keras 3's ``keras.layers.merging``).

Elementwise merges (``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``)
follow Keras's broadcasting rule on the shapes without the batch axis: aligned from the right,
each pair of sizes equal or one of them 1; an input of fewer axes gets axes of size 1 inserted
after the batch axis (Keras's ``expand_dims(x, axis=1)``), so ``(N, T, F) + (N, F)`` adds the
``(N, F)`` input at every timestep. Masks (``(N, T)``) merge by logical OR, as Keras.
``Concatenate`` and ``Dot``, which merge along an axis, are in :mod:`seqlab.layers.axis_merging`;
the lowercase functions (``add([a, b])``) in :mod:`seqlab.layers.merge_functions`.
"""
from __future__ import annotations

import torch

from seqlab.checks import format_shape
from seqlab.layers.base import Layer


def format_shapes(shapes) -> str:
    """``[(2, 3), (2, 4)]``: every shape a merge received, for its messages."""
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


def broadcast_shape(owner: str, shapes) -> tuple:
    """Keras's elementwise output shape for ``shapes`` (batch axis included), or a ValueError
    naming the layer and every shape received."""
    batch_sizes = {s[0] for s in shapes} - {None}
    if len(batch_sizes) > 1:
        raise ValueError(f"{owner} cannot merge tensors with different batch sizes, "
                         f"got shapes {format_shapes(shapes)}")
    ndim = max(len(s) for s in shapes) - 1
    output = []
    for position in range(ndim):  # non-batch axes of the output, sizes aligned from the right
        sizes = [s[1:][len(s) - 1 - ndim + position] for s in shapes if len(s) - 1 - ndim + position >= 0]
        known = {size for size in sizes if size is not None and size != 1}
        if len(known) > 1:
            raise ValueError(f"{owner}: inputs have incompatible shapes {format_shapes(shapes)}: on axis "
                             f"{position + 1} sizes {sorted(known)} differ (each must be equal or 1)")
        if None in sizes:
            output.append(None)
        else:
            output.append(known.pop() if known else 1)
    batch = batch_sizes.pop() if batch_sizes else None
    return (batch, *output)


class Merge(Layer):
    """Shared base of the elementwise merges: validates the list once at build (at least
    ``min_inputs`` tensors, broadcastable shapes) and expands lower-rank inputs as Keras does."""

    takes_input_list = True
    supports_masking = True
    min_inputs = 1
    max_inputs: int | None = None

    def validate_input_shape(self, input_shape):
        self._check_count(input_shape)
        broadcast_shape(self._owner(), input_shape)

    def _owner(self) -> str:
        return f"layer '{self.name}' ({type(self).__name__})"

    def _check_count(self, shapes) -> None:
        count = len(shapes)
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            wanted = (f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs
                      else f"at least {self.min_inputs}")
            raise ValueError(f"{self._owner()} should be called on a list of {wanted} inputs, "
                             f"got {count}: {format_shapes(shapes)}")

    def check_built_sizes(self, shapes):
        self._check_count(shapes)
        broadcast_shape(self._owner(), shapes)

    def call(self, inputs, training=False, mask=None):
        ndim = max(x.dim() for x in inputs)
        # Missing axes go after the batch axis (Keras), not before it (torch's broadcasting).
        expanded = [x.reshape(x.shape[0], *([1] * (ndim - x.dim())), *x.shape[1:]) for x in inputs]
        return self.merge(expanded)

    def merge(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return broadcast_shape(self._owner(), [tuple(s) for s in input_shape])

    def compute_mask(self, inputs, mask):
        if mask is None or not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
            return None
        output = mask[0].bool()
        for each in mask[1:]:
            output = output | each.bool()
        return output


class Add(Merge):
    """Adds a list of tensors elementwise.

    Input shape: a list of tensors ``(N, ...)`` of broadcastable shapes. Output shape: their
    broadcast shape.

    >>> import torch, seqlab
    >>> seqlab.layers.Add()([torch.ones(2, 3), torch.ones(2, 3)]).sum().item()
    12.0
    """

    def merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


class Subtract(Merge):
    """Subtracts the second of exactly two tensors from the first: ``inputs[0] - inputs[1]``.

    Input shape: a list of two tensors of broadcastable shapes. Output shape: their broadcast shape.

    >>> import torch, seqlab
    >>> seqlab.layers.Subtract()([torch.ones(2, 3), torch.ones(2, 3)]).abs().sum().item()
    0.0
    """

    min_inputs = max_inputs = 2

    def merge(self, inputs):
        return inputs[0] - inputs[1]


class Multiply(Merge):
    """Multiplies a list of tensors elementwise.

    Input shape: a list of tensors of broadcastable shapes. Output shape: their broadcast shape.

    >>> import torch, seqlab
    >>> seqlab.layers.Multiply()([torch.full((2, 3), 2.0), torch.full((2, 3), 3.0)])[0, 0].item()
    6.0
    """

    def merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output * x
        return output


class Average(Merge):
    """The elementwise mean of a list of tensors.

    Input shape: a list of tensors of broadcastable shapes. Output shape: their broadcast shape.

    >>> import torch, seqlab
    >>> seqlab.layers.Average()([torch.zeros(2, 3), torch.full((2, 3), 4.0)])[0, 0].item()
    2.0
    """

    def merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


class Maximum(Merge):
    """The elementwise maximum of a list of tensors.

    Input shape: a list of tensors of broadcastable shapes. Output shape: their broadcast shape.

    >>> import torch, seqlab
    >>> seqlab.layers.Maximum()([torch.zeros(2, 3), torch.ones(2, 3)]).sum().item()
    6.0
    """

    def merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.maximum(output, x)
        return output


class Minimum(Merge):
    """The elementwise minimum of a list of tensors.

    Input shape: a list of tensors of broadcastable shapes. Output shape: their broadcast shape.

    >>> import torch, seqlab
    >>> seqlab.layers.Minimum()([torch.zeros(2, 3), torch.ones(2, 3)]).sum().item()
    0.0
    """

    def merge(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = torch.minimum(output, x)
        return output


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]
