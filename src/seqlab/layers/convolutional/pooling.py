"""MaxPooling1D/2D and AveragePooling1D/2D: the maximum or mean of each window.

Windows follow the same arithmetic as convolutions (``W2 = (W1 - F) / S + 1`` for 'valid').
With ``padding='same'`` the border is padded as for a convolution, but — as in Keras and
TensorFlow — padded positions never count: a max ignores them (they are ``-inf``) and a mean
divides by the number of real inputs in its window, not by the window's size.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from seqlab.layers.base import Layer
from seqlab.layers.convolutional import spatial
from seqlab.layers.convolutional.arithmetic import (
    normalize_padding,
    normalize_tuple,
    output_spatial_shape,
    padding_amounts,
)

_MAX = {1: F.max_pool1d, 2: F.max_pool2d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d}


class BasePooling(Layer):
    """N-d pooling by ``mode`` ('max' or 'average'); no weights."""

    def __init__(self, rank, mode, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        who = type(self).__name__
        self.rank, self.mode = rank, mode
        self.input_ndim = rank + 2  # (batch, *spatial, channels)
        self.pool_size = normalize_tuple(who, "pool_size", pool_size, rank)
        # Keras: strides=None means windows that do not overlap (strides = pool_size).
        self.strides = self.pool_size if strides is None else normalize_tuple(who, "strides", strides, rank)
        self.padding = normalize_padding(who, padding, allow_causal=False)
        self.data_format = spatial.normalize_data_format(who, data_format)

    def rank_error(self, shape):
        return spatial.rank_error(self, shape, self.rank, self.data_format)

    def validate_input_shape(self, input_shape):
        self.compute_output_shape(input_shape)  # raises if the output would be empty

    def check_built_sizes(self, shape):
        """No weights: any spatial size and channel count will do, only the rank is fixed."""

    def compute_output_shape(self, input_shape):
        sizes = self._output_sizes(spatial.spatial_axes(input_shape, self.data_format))
        channels = spatial.channel_size(input_shape, self.data_format)
        if self.data_format == "channels_last":
            return (input_shape[0], *sizes, channels)
        return (input_shape[0], channels, *sizes)

    def _output_sizes(self, sizes):
        return output_spatial_shape(
            f"layer '{self.name}' ({type(self).__name__})", sizes, self.pool_size, self.strides,
            self.padding, what="pool_size",
        )

    def call(self, inputs, training=False, mask=None):
        x = spatial.to_channels_first(inputs, self.data_format)  # (N, C, *spatial)
        self._output_sizes(tuple(x.shape[2:]))
        pads = [
            padding_amounts(n, k, s, self.padding)
            for n, k, s in zip(x.shape[2:], self.pool_size, self.strides)
        ]
        flat = [amount for pair in reversed(pads) for amount in pair]  # F.pad: last axis first
        if self.mode == "max":
            if any(flat):
                x = F.pad(x, flat, value=float("-inf"))
            outputs = _MAX[self.rank](x, self.pool_size, self.strides)
        else:
            outputs = _AVG[self.rank](F.pad(x, flat) if any(flat) else x, self.pool_size, self.strides)
            if any(flat):
                # Mean over real inputs only: divide by the share of each window that is real.
                real = F.pad(torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device), flat)
                outputs = outputs / _AVG[self.rank](real, self.pool_size, self.strides)
        return spatial.to_data_format(outputs, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }

    def __repr__(self):
        defaults = {"pool_size": [2] * self.rank, "strides": list(self.pool_size),
                    "padding": "valid", "data_format": "channels_last"}
        return spatial.settings_repr(self, {}, defaults)


class MaxPooling1D(BasePooling):
    """Maximum over windows of ``pool_size`` steps.

    Input shape: ``(N, steps, channels)``. Output shape: ``(N, new_steps, channels)`` with
    ``new_steps = floor((steps - pool_size) / strides) + 1`` ('valid') or
    ``ceil(steps / strides)`` ('same').

    Args:
        pool_size: window length. Default 2.
        strides: step between windows; ``None`` (default) means ``pool_size``.
        padding: ``'valid'`` (default) or ``'same'``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import torch, seqlab
    >>> seqlab.layers.MaxPooling1D(2)(torch.arange(6.).reshape(1, 3, 2)).tolist()
    [[[2.0, 3.0]]]
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(1, "max", pool_size, strides, padding, data_format, **kwargs)


class MaxPooling2D(BasePooling):
    """Maximum over windows of ``pool_size`` pixels (the notes' "take 2x2 values and keep the
    highest").

    Input shape: ``(N, height, width, channels)``. Output shape:
    ``(N, new_height, new_width, channels)``, each size as in :class:`MaxPooling1D`.

    Args:
        pool_size: an int or ``(height, width)``. Default ``(2, 2)``.
        strides: ``None`` (default) means ``pool_size``.
        padding, data_format: as :class:`MaxPooling1D`.

    >>> import torch, seqlab
    >>> seqlab.layers.MaxPooling2D()(torch.zeros(1, 26, 26, 32)).shape
    torch.Size([1, 13, 13, 32])
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(2, "max", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(BasePooling):
    """Mean over windows of ``pool_size`` steps; shapes and arguments as :class:`MaxPooling1D`.

    >>> import torch, seqlab
    >>> seqlab.layers.AveragePooling1D(2)(torch.arange(6.).reshape(1, 3, 2)).tolist()
    [[[1.0, 2.0]]]
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(1, "average", pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(BasePooling):
    """Mean over windows of ``pool_size`` pixels; shapes and arguments as :class:`MaxPooling2D`.

    >>> import torch, seqlab
    >>> seqlab.layers.AveragePooling2D()(torch.ones(1, 4, 4, 3)).shape
    torch.Size([1, 2, 2, 3])
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(2, "average", pool_size, strides, padding, data_format, **kwargs)


# Keras's aliases.
MaxPool1D, MaxPool2D = MaxPooling1D, MaxPooling2D
AvgPool1D, AvgPool2D = AveragePooling1D, AveragePooling2D
