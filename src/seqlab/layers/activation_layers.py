"""Activation layers with settings (Keras 3's ``keras.layers.activations``): ReLU, LeakyReLU,
PReLU (a learned slope), ELU and Softmax (with a mask).
"""
from __future__ import annotations

import numbers
import warnings

import torch

from seqlab import initializers
from seqlab.errors import describe
from seqlab.layers.base import Layer
from seqlab.layers.penalties import check_regularizer

# Keras's `_large_negative_number` for float32/float64: what masked logits get before softmax.
_LARGE_NEGATIVE = -1e9


def _check_number(owner: str, argument: str, value, minimum: float = 0.0, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = f"a number >= {minimum:g}" + (" or None" if allow_none else "")
        raise TypeError(f"{owner}: `{argument}` must be {kind}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{owner}: `{argument}` must be a number >= {minimum:g}, got {value}")
    return float(value)


def relu(x: torch.Tensor, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> torch.Tensor:
    """Keras's ``activations.relu``: ``x`` above ``threshold`` (clipped at ``max_value``),
    ``negative_slope * (x - threshold)`` below it."""
    positive = torch.where(x > threshold, x, torch.zeros_like(x))
    if max_value is not None:
        positive = torch.clamp(positive, max=max_value)
    if negative_slope == 0.0:
        return positive
    return positive - negative_slope * torch.relu(threshold - x)


class _Elementwise(Layer):
    supports_masking = True

    def check_built_sizes(self, shape):
        """Any sizes: the layer has no weights."""

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Elementwise):
    """Rectified linear unit with Keras's options:
    ``max_value`` if ``x >= max_value``; ``x`` if ``threshold < x < max_value``;
    ``negative_slope * (x - threshold)`` otherwise.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> seqlab.layers.ReLU(max_value=6.0)(torch.tensor([[-1.0, 3.0, 9.0]])).tolist()
    [[0.0, 3.0, 6.0]]
    """

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _check_number("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _check_number("ReLU", "negative_slope", negative_slope)
        self.threshold = _check_number("ReLU", "threshold", threshold)

    def call(self, inputs, training=False, mask=None):
        return relu(inputs, self.negative_slope, self.max_value, self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(_Elementwise):
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise; Keras 3's default slope 0.3.

    Keras 2's ``alpha=`` is taken too, with a warning, as Keras 3 does.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> seqlab.layers.LeakyReLU()(torch.tensor([[-1.0, 2.0]])).tolist()
    [[-0.30000001192092896, 2.0]]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: argument `alpha` is deprecated (Keras 3); use `negative_slope`",
                          DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _check_number("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs, training=False, mask=None):
        return torch.nn.functional.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(_Elementwise):
    """Leaky ReLU with a learned slope per element: ``relu(x) - alpha * relu(-x)``.

    Args:
        alpha_initializer: initial slopes (Keras: zeros, i.e. a plain ReLU at first).
        alpha_regularizer: a penalty on ``alpha``.
        shared_axes: axes (counted from 1) that share one slope, e.g. ``[1]`` for one slope per
            feature over all timesteps.

    Weights: ``alpha`` of shape ``input_shape[1:]`` with the shared axes of size 1.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.PReLU(shared_axes=[1])
    >>> _ = layer(torch.zeros(2, 5, 3))
    >>> tuple(layer.alpha.shape), layer.count_params()
    ((1, 3), 3)
    """

    weight_regularizer_arguments = {"alpha": "alpha_regularizer"}

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = check_regularizer("PReLU", "alpha_regularizer", alpha_regularizer)
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        if shared_axes is not None:
            for axis in shared_axes:
                if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or axis < 1:
                    raise ValueError(f"PReLU: `shared_axes` must hold axis numbers >= 1 (the batch axis is 0), "
                                     f"got {list(shared_axes)}")
        self.shared_axes = None if shared_axes is None else [int(a) for a in shared_axes]

    def validate_input_shape(self, input_shape):
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(f"layer '{self.name}' (PReLU): `shared_axes` {self.shared_axes} names axis {axis}, "
                                 f"but the input has shape {tuple(input_shape)}")
        for axis, size in enumerate(input_shape[1:], start=1):
            if size is None and axis not in (self.shared_axes or []):
                raise ValueError(f"layer '{self.name}' (PReLU) needs a fixed size on axis {axis} (or share it "
                                 f"with shared_axes=[{axis}]), got shape {tuple(input_shape)}")

    def build(self, input_shape):
        shape = [1 if axis in (self.shared_axes or []) else size for axis, size in enumerate(input_shape[1:], start=1)]
        self.add_weight("alpha", tuple(shape), self.alpha_initializer)

    def check_built_sizes(self, shape):
        for axis, size in enumerate(self.alpha.shape, start=1):
            if size != 1 and shape[axis] != size:
                raise ValueError(f"layer '{self.name}' (PReLU) was built for inputs of shape "
                                 f"{tuple(self.input_shape_)}, got shape {tuple(shape)}")

    def call(self, inputs, training=False, mask=None):
        return torch.relu(inputs) - self.alpha * torch.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                **self.regularizer_config(), "shared_axes": self.shared_axes}


class ELU(_Elementwise):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> round(seqlab.layers.ELU(alpha=2.0)(torch.tensor([[-100.0]])).item(), 4)
    -2.0
    """

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"ELU: `alpha` must be a number, got {describe(alpha)}")
        self.alpha = float(alpha)

    def call(self, inputs, training=False, mask=None):
        return torch.nn.functional.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_Elementwise):
    """Softmax over ``axis`` (an axis or a list of axes). A ``mask`` (1 keep, 0 drop) of the
    input's rank that broadcasts to it sends the dropped logits to -1e9 first (Keras), so they
    get (almost) no weight: the masked softmax of attention scores. A timestep mask ``(N, T)``
    carried by a model to ``(N, T, F)`` input is passed on, not applied to the features.

    Input shape: any. Output shape: the same.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Softmax()
    >>> layer(torch.zeros(1, 4), mask=torch.tensor([[1, 1, 0, 0]])).tolist()
    [[0.5, 0.5, 0.0, 0.0]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [self._check_axis(a) for a in axis]
        else:
            self.axis = self._check_axis(axis)

    @staticmethod
    def _check_axis(axis) -> int:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Softmax: `axis` must be an integer or a list of integers, got {describe(axis)}")
        return int(axis)

    def call(self, inputs, training=False, mask=None):
        # A mask with one axis fewer is the (N, T) timestep mask a model carries along: it says
        # which steps are padding, not which logits to drop, so it only passes on.
        if mask is not None and mask.dim() == inputs.dim():
            inputs = inputs + (1.0 - mask.to(inputs.dtype)) * _LARGE_NEGATIVE
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        # exp(x - logsumexp(x)): one expression for one axis or several, stable for large logits
        return torch.exp(inputs - torch.logsumexp(inputs, dim=axes, keepdim=True))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
