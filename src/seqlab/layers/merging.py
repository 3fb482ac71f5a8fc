"""Merging layers: combine a list of tensors into one (Keras 3's ``keras.layers.merging``).

Elementwise merges (``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``)
follow Keras's broadcasting rule on the shapes without the batch axis: aligned from the right,
each pair of sizes equal or one of them 1; an input of fewer axes gets axes of size 1 inserted
after the batch axis (Keras's ``expand_dims(x, axis=1)``), so ``(N, T, F) + (N, F)`` adds the
``(N, F)`` input at every timestep. ``Concatenate`` joins along ``axis``; ``Dot`` takes the dot
product of two samples along the given axes. Masks (``(N, T)``) merge by logical OR, as Keras.

The lowercase functions (``add([a, b])``) build the layer and call it, so they work wherever a
layer call works.
"""
from __future__ import annotations

import torch

from seqlab.checks import check_bool, format_shape
from seqlab.errors import describe
from seqlab.layers.base import Layer
from seqlab.layers.normalization import l2_normalize


def _shapes_text(shapes) -> str:
    return "[" + ", ".join(format_shape(s) for s in shapes) + "]"


def broadcast_shape(owner: str, shapes) -> tuple:
    """Keras's elementwise output shape for ``shapes`` (batch axis included), or a ValueError
    naming the layer and every shape received."""
    batch_sizes = {s[0] for s in shapes} - {None}
    if len(batch_sizes) > 1:
        raise ValueError(f"{owner} cannot merge tensors with different batch sizes, "
                         f"got shapes {_shapes_text(shapes)}")
    ndim = max(len(s) for s in shapes) - 1
    output = []
    for position in range(ndim):  # non-batch axes of the output, sizes aligned from the right
        sizes = [s[1:][len(s) - 1 - ndim + position] for s in shapes if len(s) - 1 - ndim + position >= 0]
        known = {size for size in sizes if size is not None and size != 1}
        if len(known) > 1:
            raise ValueError(f"{owner}: inputs have incompatible shapes {_shapes_text(shapes)}: on axis "
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
                             f"got {count}: {_shapes_text(shapes)}")

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


def _check_axis(owner: str, argument: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: `{argument}` must be an integer axis, got {describe(value)}")
    return int(value)


class Concatenate(Layer):
    """Concatenates a list of tensors along ``axis``; every other size must match.

    Args:
        axis: the axis to join along (batch axis included in the count; default the last).

    Input shape: a list of tensors of the same rank. Output shape: the same, with the sizes on
    ``axis`` summed.

    >>> import torch, seqlab
    >>> seqlab.layers.Concatenate()([torch.zeros(2, 5, 3), torch.zeros(2, 5, 4)]).shape
    torch.Size([2, 5, 7])
    """

    takes_input_list = True
    supports_masking = True

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axis("Concatenate", "axis", axis)

    def _owner(self) -> str:
        return f"layer '{self.name}' (Concatenate)"

    def validate_input_shape(self, input_shape):
        self.check_built_sizes(input_shape)

    def check_built_sizes(self, shapes):
        ranks = {len(s) for s in shapes}
        if len(ranks) > 1:
            raise ValueError(f"{self._owner()} needs inputs of the same rank, got shapes {_shapes_text(shapes)}")
        ndim = ranks.pop()
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"{self._owner()}: `axis` must name a non-batch axis of {ndim}-D inputs "
                             f"(1..{ndim - 1} or -{ndim - 1}..-1), got {self.axis}")
        axis = self.axis % ndim
        for position in range(ndim):
            if position == axis:
                continue
            sizes = {s[position] for s in shapes} - {None}
            if len(sizes) > 1:
                raise ValueError(
                    f"{self._owner()} requires inputs with matching shapes except for the concatenation "
                    f"axis {self.axis}, got shapes {_shapes_text(shapes)}")

    def call(self, inputs, training=False, mask=None):
        return torch.cat(inputs, dim=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        self.check_built_sizes(shapes)
        axis = self.axis % len(shapes[0])
        output = list(shapes[0])
        for position in range(len(output)):
            sizes = [s[position] for s in shapes]
            if position == axis:
                output[position] = None if None in sizes else sum(sizes)
            else:
                output[position] = next((size for size in sizes if size is not None), None)
        return tuple(output)

    def compute_mask(self, inputs, mask):
        # Keras: a missing mask counts as all-true; masks (N, T) are joined along the axis they
        # share with the inputs, then reduced over the features (an OR when joining features).
        if mask is None or not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        full = [torch.ones(x.shape[:-1], dtype=torch.bool, device=x.device) if m is None else m.bool()
                for x, m in zip(inputs, mask)]
        joined = torch.cat([m.unsqueeze(-1) for m in full], dim=self.axis)
        return joined.any(dim=-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def batch_dot(x: torch.Tensor, y: torch.Tensor, axes: tuple[int, int]) -> torch.Tensor:
    """Per-sample dot product of ``x`` and ``y`` over ``axes`` (non-batch, non-negative):
    the other axes of ``x`` then those of ``y``; a result with only the batch axis becomes
    ``(N, 1)`` as in Keras."""
    x_moved = x.movedim(axes[0], -1)  # (N, ...x, D)
    y_moved = y.movedim(axes[1], 1)   # (N, D, ...y)
    rest_x, rest_y = x_moved.shape[1:-1], y_moved.shape[2:]
    out = torch.bmm(x_moved.reshape(x.shape[0], -1, x_moved.shape[-1]),
                    y_moved.reshape(y.shape[0], y_moved.shape[1], -1))  # (N, prod(x), prod(y))
    out = out.reshape(x.shape[0], *rest_x, *rest_y)
    return out.unsqueeze(-1) if out.dim() == 1 else out


class Dot(Layer):
    """Dot product of two samples along ``axes``: ``(N, T, D) . (N, S, D)`` with ``axes=2`` is
    ``(N, T, S)`` (Luong-style attention scores).

    Args:
        axes: one axis for both inputs, or a pair ``(axis_of_first, axis_of_second)``; never the
            batch axis. Negative axes count from the end.
        normalize: L2-normalise both inputs along ``axes`` first, so the result is the cosine
            similarity.

    Input shape: a list of two tensors whose sizes on ``axes`` match. Output shape: the other
    axes of the first input, then those of the second (``(N, 1)`` when none remain).

    >>> import torch, seqlab
    >>> seqlab.layers.Dot(axes=2)([torch.ones(2, 5, 3), torch.ones(2, 4, 3)]).shape
    torch.Size([2, 5, 4])
    """

    takes_input_list = True

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise ValueError(f"Dot: `axes` must be an integer or a pair of integers, got {axes!r}")
            self.axes = tuple(_check_axis("Dot", "axes", a) for a in axes)
        else:
            self.axes = _check_axis("Dot", "axes", axes)
        self.normalize = check_bool("Dot", "normalize", normalize)

    def _owner(self) -> str:
        return f"layer '{self.name}' (Dot)"

    def resolved_axes(self, shapes) -> tuple[int, int]:
        pair = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        resolved = []
        for axis, shape in zip(pair, shapes):
            if not -len(shape) <= axis < len(shape) or axis % len(shape) == 0:
                raise ValueError(f"{self._owner()}: `axes` {self.axes!r} must name non-batch axes of inputs "
                                 f"of shapes {_shapes_text(shapes)}")
            resolved.append(axis % len(shape))
        return tuple(resolved)

    def validate_input_shape(self, input_shape):
        self.check_built_sizes(input_shape)

    def check_built_sizes(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"{self._owner()} should be called on a list of exactly 2 inputs, "
                             f"got {len(shapes)}: {_shapes_text(shapes)}")
        first, second = self.resolved_axes(shapes)
        a, b = shapes[0][first], shapes[1][second]
        if a is not None and b is not None and a != b:
            raise ValueError(f"{self._owner()}: incompatible input shapes: size {a} (axis {first}) != "
                             f"size {b} (axis {second}); full shapes {_shapes_text(shapes)}")
        batches = {shapes[0][0], shapes[1][0]} - {None}
        if len(batches) > 1:
            raise ValueError(f"{self._owner()} cannot merge tensors with different batch sizes, "
                             f"got shapes {_shapes_text(shapes)}")

    def call(self, inputs, training=False, mask=None):
        x, y = inputs
        axes = self.resolved_axes([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            # Keras's ops.normalize with the backend epsilon: x / max(||x||, 1e-7)
            x, y = l2_normalize(x, axes[0], 1e-7), l2_normalize(y, axes[1], 1e-7)
        return batch_dot(x, y, axes)

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        first, second = self.resolved_axes(shapes)
        out = [s for i, s in enumerate(shapes[0]) if i != first]
        out += [s for i, s in enumerate(shapes[1]) if i not in (0, second)]
        return tuple(out) if len(out) > 1 else (out[0], 1)

    def compute_mask(self, inputs, mask):
        return None

    def get_config(self):
        axes = list(self.axes) if isinstance(self.axes, tuple) else self.axes
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


# ---- the functional forms: build the layer, call it ------------------------------------------
def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize: bool = False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]
