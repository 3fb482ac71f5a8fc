"""Conv1D and Conv2D: one N-d convolution over ``torch.nn.functional.conv1d/conv2d``.

Keras's semantics: channels-last inputs and outputs, the kernel stored (and initialised, so the
Glorot fans match) in Keras's layout ``(*kernel_size, in_channels // groups, filters)``, so
``get_weights()`` gives what Keras gives. Torch's functional convolution takes
``(filters, in_channels // groups, *kernel_size)``: the kernel is permuted on each call, a
copy of a few thousand numbers that costs nothing next to the convolution itself.
"""
from __future__ import annotations

import torch.nn.functional as F

from seqlab import activations, initializers
from seqlab.checks import check_bool, check_int
from seqlab.layers.base import Layer
from seqlab.layers.convolutional import spatial
from seqlab.layers.penalties import check_regularizer
from seqlab.layers.convolutional.arithmetic import (
    normalize_padding,
    normalize_tuple,
    output_spatial_shape,
    padding_amounts,
)

_CONV = {1: F.conv1d, 2: F.conv2d}


def convolve(x, weight, bias, strides, padding: str, dilation, groups: int = 1):
    """Keras's convolution of channels-first ``x`` ``(N, C, *spatial)`` with a torch-layout
    ``weight`` ``(filters, C // groups, *kernel)``: the one place padding modes become torch's.

    Symmetric padding is left to torch (inside the kernel, no copy); Keras's asymmetric 'same'
    (the odd extra zero on the right) and 'causal' (all zeros on the left) pad first.
    """
    pads = [
        padding_amounts(n, k, s, padding, d)
        for n, k, s, d in zip(x.shape[2:], weight.shape[2:], strides, dilation)
    ]
    if all(left == right for left, right in pads):
        amount = tuple(left for left, _ in pads)
    else:
        # F.pad lists the last axis first: (w_left, w_right, h_left, h_right).
        x = F.pad(x, [side for pair in reversed(pads) for side in pair])
        amount = 0
    return _CONV[weight.dim() - 2](x, weight, bias, stride=tuple(strides), padding=amount,
                                   dilation=tuple(dilation), groups=groups)


class BaseConv(Layer):
    """N-d convolution: ``activation(cross_correlate(inputs, kernel) + bias)``.

    Each output position is the sum, over a window of ``kernel_size`` inputs (spaced
    ``dilation_rate`` apart) and over the input channels, of input × kernel weight, plus the
    filter's bias. Windows start every ``strides`` inputs; ``padding`` adds zeros at the
    borders (see :mod:`seqlab.layers.convolutional.arithmetic` for the sizes).
    """

    weight_regularizer_arguments = {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}

    def __init__(
        self,
        rank: int,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format=None,
        dilation_rate=1,
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        self.rank = rank
        self.input_ndim = rank + 2  # (batch, *spatial, channels)
        self.filters = check_int(who, "filters", filters)
        self.kernel_size = normalize_tuple(who, "kernel_size", kernel_size, rank)
        self.strides = normalize_tuple(who, "strides", strides, rank)
        self.padding = normalize_padding(who, padding, allow_causal=rank == 1)
        self.data_format = spatial.normalize_data_format(who, data_format)
        self.dilation_rate = normalize_tuple(who, "dilation_rate", dilation_rate, rank)
        self.groups = check_int(who, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(
                f"{who}: `filters`={self.filters} must be divisible by `groups`={self.groups}"
            )
        self.activation = activations.get(activation)
        self.use_bias = check_bool(who, "use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = check_regularizer(who, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = check_regularizer(who, "bias_regularizer", bias_regularizer)

    # ---- shapes -----------------------------------------------------------------------
    def rank_error(self, shape):
        return spatial.rank_error(self, shape, self.rank, self.data_format)

    def validate_input_shape(self, input_shape):
        spatial.check_channels(self, input_shape, self.data_format)
        channels = spatial.channel_size(input_shape, self.data_format)
        if channels % self.groups:
            raise ValueError(
                f"layer '{self.name}' ({type(self).__name__}): the input's {channels} channels "
                f"must be divisible by `groups`={self.groups}"
            )
        self.compute_output_shape(input_shape)  # raises if a kernel does not fit

    def check_built_sizes(self, shape):
        # Spatial sizes may change between calls (checked in `call`); channels may not.
        spatial.check_built_channels(self, shape, self.data_format)

    def compute_output_shape(self, input_shape):
        sizes = output_spatial_shape(
            f"layer '{self.name}' ({type(self).__name__})",
            spatial.spatial_axes(input_shape, self.data_format),
            self.kernel_size,
            self.strides,
            self.padding,
            self.dilation_rate,
        )
        if self.data_format == "channels_last":
            return (input_shape[0], *sizes, self.filters)
        return (input_shape[0], self.filters, *sizes)

    # ---- weights and compute ----------------------------------------------------------
    def build(self, input_shape):
        channels = spatial.channel_size(input_shape, self.data_format)
        kernel_shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.add_weight("kernel", kernel_shape, self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def torch_kernel(self):
        """The kernel in torch's layout ``(filters, in_channels // groups, *kernel_size)``."""
        return self.kernel.permute(self.rank + 1, self.rank, *range(self.rank))

    def call(self, inputs, training=False, mask=None):
        x = spatial.to_channels_first(inputs, self.data_format)  # (N, C, *spatial)
        # Checked on every call: inputs with free spatial sizes can be too small for the kernel.
        output_spatial_shape(
            f"layer '{self.name}' ({type(self).__name__})",
            tuple(x.shape[2:]), self.kernel_size, self.strides, self.padding, self.dilation_rate,
        )
        outputs = convolve(x, self.torch_kernel(), self.bias if self.use_bias else None,
                           self.strides, self.padding, self.dilation_rate, self.groups)
        return self.activation(spatial.to_data_format(outputs, self.data_format))

    # ---- config -----------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            **spatial.convolution_config(self),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self.regularizer_config(),
        }

    def __repr__(self):
        ones = [1] * self.rank
        defaults = {
            "strides": ones, "padding": "valid", "data_format": "channels_last",
            "dilation_rate": ones, "groups": 1, "activation": "linear", "use_bias": True,
            "kernel_initializer": "glorot_uniform", "bias_initializer": "zeros",
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        }
        positional = {"filters": self.filters, "kernel_size": list(self.kernel_size)}
        return spatial.settings_repr(self, positional, defaults)


class Conv1D(BaseConv):
    """1-D convolution over sequences (temporal convolution).

    Input shape: ``(N, steps, channels)`` (``(N, channels, steps)`` with
    ``data_format='channels_first'``). Output shape: ``(N, new_steps, filters)`` with
    ``new_steps = (steps - F + 2P) / S + 1`` (floored; ``F`` the dilated kernel extent).

    Args:
        filters: number of filters (output channels).
        kernel_size: window length, an int or a 1-tuple.
        strides: step between windows. Default 1.
        padding: ``'valid'`` (none, default), ``'same'`` (output length ``ceil(steps / S)``,
            an odd total puts the extra zero on the right) or ``'causal'`` (``F - 1`` zeros on
            the left: output ``t`` depends only on inputs ``<= t``, as in WaveNet; with either
            ``data_format``, as Keras).
        data_format: ``'channels_last'`` (default, Keras's) or ``'channels_first'``.
        dilation_rate: spacing of the window's taps. Default 1.
        groups: split channels into this many independent groups. Default 1.
        activation: name or callable applied to the output; default linear.
        use_bias: whether to add one bias per filter.
        kernel_initializer / bias_initializer: Keras names or initialisers.
        kernel_regularizer / bias_regularizer / activity_regularizer: penalties added to the
            loss (see :mod:`seqlab.regularizers`).

    Weights: ``kernel`` ``(kernel_size, channels // groups, filters)``, ``bias`` ``(filters,)``:
    ``kernel_size * channels * filters + filters`` parameters (the notes' ``Conv1D(64, 5)`` on
    one feature: ``5 * 1 * 64 + 64 = 384``).

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Conv1D(64, kernel_size=5, activation='relu')
    >>> layer(torch.zeros(2, 7, 1)).shape, layer.count_params()
    (torch.Size([2, 3, 64]), 384)
    """

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format=None,
        dilation_rate=1,
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(
            1, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
            activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, **kwargs,
        )


class Conv2D(BaseConv):
    """2-D convolution over images.

    Input shape: ``(N, height, width, channels)`` (``(N, channels, height, width)`` with
    ``data_format='channels_first'``); a grey-scale image still needs its channel axis of
    size 1 (``x.reshape(-1, 28, 28, 1)`` for MNIST). Output shape:
    ``(N, new_height, new_width, filters)``, each size by ``W2 = (W1 - F + 2P) / S + 1``.

    Args:
        filters: number of filters (output channels).
        kernel_size: window size, an int or ``(height, width)``.
        strides: steps between windows, an int or a pair. Default ``(1, 1)``.
        padding: ``'valid'`` (default) or ``'same'`` (output ``ceil(size / S)``; an odd total
            puts the extra row/column at the bottom/right, as Keras).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the window's taps, an int or a pair. Default ``(1, 1)``.
        groups, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer: as :class:`Conv1D`.

    Weights: ``kernel`` ``(kh, kw, channels // groups, filters)`` and ``bias`` ``(filters,)``:
    ``(F * F * D1) * K + K`` parameters in the notes' terms (the notes' first MNIST layer,
    ``Conv2D(32, (3, 3))`` on one channel: ``9 * 32 + 32 = 320``).

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Conv2D(32, (3, 3), activation='relu')
    >>> layer(torch.zeros(2, 28, 28, 1)).shape, layer.count_params()
    (torch.Size([2, 26, 26, 32]), 320)
    """

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=(1, 1),
        padding: str = "valid",
        data_format=None,
        dilation_rate=(1, 1),
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        **kwargs,
    ):
        super().__init__(
            2, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
            activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer, **kwargs,
        )


# Keras's aliases.
Convolution1D = Conv1D
Convolution2D = Conv2D
