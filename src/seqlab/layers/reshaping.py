"""Layers that change the shape of each sample, never the batch axis: Flatten, Reshape,
RepeatVector, Permute, and on the time axis of ``(N, T, F)`` sequences Cropping1D,
ZeroPadding1D and UpSampling1D (Keras 3's ``keras.layers.reshaping``). None has weights.
"""
from __future__ import annotations

import math

import torch.nn.functional as F

from seqlab.checks import check_int
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


# ---- sequence shaping: RepeatVector, Permute, Cropping1D, ZeroPadding1D, UpSampling1D ----------
def _pair(owner: str, argument: str, value) -> tuple[int, int]:
    """Keras's ``standardize_tuple(value, 2, allow_zero=True)``: an int ``n`` is ``(n, n)``."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{owner}: `{argument}` must be an integer or a pair of integers "
                             f"(start, end), got {tuple(value)}")
        return (check_int(owner, argument, value[0], minimum=0), check_int(owner, argument, value[1], minimum=0))
    size = check_int(owner, argument, value, minimum=0)
    return (size, size)


class _Sequence1D(Layer):
    """Layers that act on the time axis of ``(N, T, F)`` input."""

    input_ndim = 3

    def rank_error(self, shape):
        return ValueError(f"layer '{self.name}' ({type(self).__name__}) expects 3-D input "
                          f"(batch, timesteps, features), got shape {tuple(shape)}")

    def check_built_sizes(self, shape):
        """Nothing to check: no weights, any length and any number of features."""


class RepeatVector(Layer):
    """Repeats each sample ``n`` times along a new time axis: ``(N, F)`` → ``(N, n, F)``.

    The bridge from an encoder's last state to a decoder that runs for ``n`` steps.

    Input shape: ``(N, features)``. Output shape: ``(N, n, features)``.

    >>> import torch, seqlab
    >>> seqlab.layers.RepeatVector(3)(torch.zeros(2, 5)).shape
    torch.Size([2, 3, 5])
    """

    input_ndim = 2

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = check_int("RepeatVector", "n", n)

    def rank_error(self, shape):
        return ValueError(f"layer '{self.name}' (RepeatVector) expects 2-D input (batch, features), "
                          f"got shape {tuple(shape)}; for (batch, timesteps, features) take the last "
                          "state first (return_sequences=False)")

    def check_built_sizes(self, shape):
        """Any number of features: the layer has no weights."""

    def call(self, inputs, training=False, mask=None):
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Permutes the non-batch axes: ``dims`` is a permutation of ``1..rank-1`` (1-based, as
    Keras); ``Permute((2, 1))`` swaps time and features.

    Input shape: ``(N, d1, ..., dk)`` with ``k = len(dims)``. Output shape: ``(N, d_dims[0], ...)``.

    >>> import torch, seqlab
    >>> seqlab.layers.Permute((2, 1))(torch.zeros(2, 7, 3)).shape
    torch.Size([2, 3, 7])
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            if isinstance(dims, (str, bytes)):
                raise TypeError
            self.dims = tuple(dims)
        except TypeError:
            raise TypeError(f"Permute: `dims` must be a tuple of axis numbers such as (2, 1), "
                            f"got {describe(dims)}") from None
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)) or any(isinstance(d, bool) for d in self.dims):
            raise ValueError(f"Permute: `dims` must be a permutation of 1..{len(self.dims)} (axes counted "
                             f"from 1, the batch axis is never moved), got {self.dims}")
        self.input_ndim = len(self.dims) + 1

    def check_built_sizes(self, shape):
        """Any sizes: the layer has no weights."""

    def call(self, inputs, training=False, mask=None):
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class Cropping1D(_Sequence1D):
    """Crops timesteps from the start and end of each sequence.

    Args:
        cropping: how many steps to remove at the start and at the end; an int for both.

    Input shape: ``(N, T, F)``. Output shape: ``(N, T - start - end, F)``.

    >>> import torch, seqlab
    >>> seqlab.layers.Cropping1D((1, 2))(torch.zeros(2, 7, 3)).shape
    torch.Size([2, 4, 3])
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pair("Cropping1D", "cropping", cropping)

    def validate_input_shape(self, input_shape):
        self._check_length(input_shape)

    def _check_length(self, shape):
        if shape[1] is not None and shape[1] - sum(self.cropping) <= 0:
            raise ValueError(f"layer '{self.name}' (Cropping1D): `cropping` {self.cropping} must remove fewer "
                             f"steps than the input has, got input of shape {tuple(shape)}")

    def check_built_sizes(self, shape):
        self._check_length(shape)

    def call(self, inputs, training=False, mask=None):
        start, end = self.cropping
        return inputs[:, start:inputs.shape[1] - end]

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps - sum(self.cropping), input_shape[2])

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


class ZeroPadding1D(_Sequence1D):
    """Adds zero timesteps at the start and end of each sequence.

    Args:
        padding: how many zero steps to add at the start and at the end; an int for both.

    Input shape: ``(N, T, F)``. Output shape: ``(N, T + start + end, F)``.

    >>> import torch, seqlab
    >>> seqlab.layers.ZeroPadding1D(2)(torch.ones(1, 2, 1)).flatten().tolist()
    [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pair("ZeroPadding1D", "padding", padding)

    def call(self, inputs, training=False, mask=None):
        return F.pad(inputs, (0, 0, *self.padding))  # F.pad lists the last axis first

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps + sum(self.padding), input_shape[2])

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding)}


class UpSampling1D(_Sequence1D):
    """Repeats each timestep ``size`` times: ``[a, b]`` → ``[a, a, b, b]`` for ``size=2``.

    Input shape: ``(N, T, F)``. Output shape: ``(N, T * size, F)``.

    >>> import torch, seqlab
    >>> seqlab.layers.UpSampling1D(2)(torch.tensor([[[1.0], [2.0]]])).flatten().tolist()
    [1.0, 1.0, 2.0, 2.0]
    """

    def __init__(self, size: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.size = check_int("UpSampling1D", "size", size)

    def call(self, inputs, training=False, mask=None):
        return inputs.repeat_interleave(self.size, dim=1)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}
