"""Merging along an axis: ``Concatenate`` joins a list of tensors on ``axis``; ``Dot`` takes
the per-sample dot product of two tensors over ``axes`` (Keras 3's ``concatenate.py``, ``dot.py``).
Shapes are checked once at build, with every shape received in the message.
"""
from __future__ import annotations

import torch

from seqlab.checks import check_bool
from seqlab.errors import describe
from seqlab.layers.base import Layer
from seqlab.layers.merging import format_shapes
from seqlab.layers.normalization import l2_normalize


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
            raise ValueError(f"{self._owner()} needs inputs of the same rank, got shapes {format_shapes(shapes)}")
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
                    f"axis {self.axis}, got shapes {format_shapes(shapes)}")

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
                                 f"of shapes {format_shapes(shapes)}")
            resolved.append(axis % len(shape))
        return tuple(resolved)

    def validate_input_shape(self, input_shape):
        self.check_built_sizes(input_shape)

    def check_built_sizes(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"{self._owner()} should be called on a list of exactly 2 inputs, "
                             f"got {len(shapes)}: {format_shapes(shapes)}")
        first, second = self.resolved_axes(shapes)
        a, b = shapes[0][first], shapes[1][second]
        if a is not None and b is not None and a != b:
            raise ValueError(f"{self._owner()}: incompatible input shapes: size {a} (axis {first}) != "
                             f"size {b} (axis {second}); full shapes {format_shapes(shapes)}")
        batches = {shapes[0][0], shapes[1][0]} - {None}
        if len(batches) > 1:
            raise ValueError(f"{self._owner()} cannot merge tensors with different batch sizes, "
                             f"got shapes {format_shapes(shapes)}")

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


__all__ = ["Concatenate", "Dot"]
