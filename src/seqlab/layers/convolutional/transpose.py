"""Conv1DTranspose: the transposed (fractionally strided) 1-D convolution, the adjoint of
``Conv1D``: where a strided convolution shrinks a sequence, this one stretches it.

Keras's layout (``keras/src/layers/convolutional/base_conv_transpose.py``): ``kernel``
``(kernel_size, filters, in_channels)`` — output channels before input channels, the reverse of
``Conv1D`` — and ``bias`` ``(filters,)``. Output lengths and the placement of the output
follow Keras's JAX/TensorFlow rule (:func:`.arithmetic.transpose_crops`): torch computes the
full transposed convolution, which is then cropped (or zero-extended) on each side, and the
bias is added last, so every output position, extended ones included, gets it.
"""
from __future__ import annotations

import torch.nn.functional as F

from seqlab import activations, initializers
from seqlab.checks import check_bool, check_int
from seqlab.errors import describe
from seqlab.layers.base import Layer
from seqlab.layers.convolutional import spatial
from seqlab.layers.convolutional.arithmetic import (
    normalize_padding,
    normalize_tuple,
    transpose_crops,
    transpose_output_length,
)
from seqlab.layers.penalties import check_regularizer


class Conv1DTranspose(Layer):
    """Transposed 1-D convolution (sometimes called deconvolution).

    Each input step scatters ``kernel`` (times its channels) into the output, input steps
    ``strides`` apart; overlapping contributions add up.

    Input shape: ``(N, steps, channels)`` (``(N, channels, steps)`` with
    ``data_format='channels_first'``). Output shape: ``(N, new_steps, filters)`` with, as
    Keras, ``new_steps = steps * S`` for ``'same'`` and
    ``(steps - 1) * S + max(F_eff, S)`` for ``'valid'``; with ``output_padding`` ``P``,
    ``(steps - 1) * S + F_eff + P`` ('valid') or ``(steps - 1) * S + F_eff % 2 + P`` ('same').

    Args:
        filters: output channels.
        kernel_size: window length.
        strides: the stretch factor. Default 1.
        padding: ``'valid'`` (default) or ``'same'``.
        output_padding: extra length on the right, smaller than ``strides``; None (default)
            lets the padding mode decide.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        dilation_rate: spacing of the kernel's taps.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
            bias_regularizer, activity_regularizer: as :class:`Conv1D`.

    Weights: ``kernel`` ``(kernel_size, filters, channels)``, ``bias`` ``(filters,)``:
    ``kernel_size * filters * channels + filters`` parameters.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.Conv1DTranspose(4, 3, strides=2, padding='same')
    >>> layer(torch.zeros(2, 5, 6)).shape, layer.count_params()   # 3*4*6 + 4
    (torch.Size([2, 10, 4]), 76)
    """

    weight_regularizer_arguments = {"kernel": "kernel_regularizer", "bias": "bias_regularizer"}

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        self.input_ndim = 3  # (batch, steps, channels)
        self.filters = check_int(who, "filters", filters)
        self.kernel_size = normalize_tuple(who, "kernel_size", kernel_size, 1)
        self.strides = normalize_tuple(who, "strides", strides, 1)
        self.padding = normalize_padding(who, padding, allow_causal=False)
        self.output_padding = self._check_output_padding(who, output_padding)
        self.data_format = spatial.normalize_data_format(who, data_format)
        self.dilation_rate = normalize_tuple(who, "dilation_rate", dilation_rate, 1)
        self.activation = activations.get(activation)
        self.use_bias = check_bool(who, "use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = check_regularizer(who, "kernel_regularizer", kernel_regularizer)
        self.bias_regularizer = check_regularizer(who, "bias_regularizer", bias_regularizer)

    def _check_output_padding(self, who, output_padding):
        if output_padding is None:
            return None
        values = (output_padding,) if isinstance(output_padding, int) else output_padding
        try:
            values = tuple(values)
        except TypeError:
            values = ()
        if len(values) != 1 or isinstance(values[0], bool) or not isinstance(values[0], int) or values[0] < 0:
            raise ValueError(f"{who}: `output_padding` must be None or a non-negative integer, "
                             f"got {describe(output_padding)}")
        if values[0] >= self.strides[0]:
            # Keras (and torch) need it below the stride; Keras's torch backend clamps it with a
            # warning, seqlab refuses.
            raise ValueError(f"{who}: `output_padding`={values[0]} must be smaller than "
                             f"`strides`={self.strides[0]}")
        return values

    # ---- shapes -----------------------------------------------------------------------
    def rank_error(self, shape):
        return spatial.rank_error(self, shape, 1, self.data_format)

    def validate_input_shape(self, input_shape):
        spatial.check_channels(self, input_shape, self.data_format)

    def check_built_sizes(self, shape):
        spatial.check_built_channels(self, shape, self.data_format)

    def _crops(self):
        padding = None if self.output_padding is None else self.output_padding[0]
        return transpose_crops(self.kernel_size[0], self.strides[0], self.padding, padding,
                               self.dilation_rate[0])

    def compute_output_shape(self, input_shape):
        (length,) = spatial.spatial_axes(input_shape, self.data_format)
        padding = None if self.output_padding is None else self.output_padding[0]
        steps = transpose_output_length(length, self.kernel_size[0], self.strides[0], self.padding,
                                        padding, self.dilation_rate[0])
        if self.data_format == "channels_last":
            return (input_shape[0], steps, self.filters)
        return (input_shape[0], self.filters, steps)

    # ---- weights and compute ----------------------------------------------------------
    def build(self, input_shape):
        channels = spatial.channel_size(input_shape, self.data_format)
        self.add_weight("kernel", (*self.kernel_size, self.filters, channels), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def call(self, inputs, training=False, mask=None):
        x = spatial.to_channels_first(inputs, self.data_format)  # (N, C, steps)
        weight = self.kernel.permute(2, 1, 0)  # torch's (in_channels, filters, k)
        full = F.conv_transpose1d(x, weight, stride=self.strides, dilation=self.dilation_rate)
        left, right = self._crops()
        # F.pad with negative amounts crops: one call places the output window of either sign.
        outputs = F.pad(full, (-left, -right))  # (N, filters, new_steps)
        if self.use_bias:
            outputs = outputs + self.bias.unsqueeze(-1)
        return self.activation(spatial.to_data_format(outputs, self.data_format))

    # ---- config -----------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            **spatial.convolution_config(self),
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self.regularizer_config(),
        }

    def __repr__(self):
        defaults = {"strides": [1], "padding": "valid", "output_padding": None, "data_format": "channels_last",
                    "dilation_rate": [1], "activation": "linear", "use_bias": True}
        return spatial.settings_repr(self, {"filters": self.filters, "kernel_size": list(self.kernel_size)},
                                     defaults)


Convolution1DTranspose = Conv1DTranspose  # Keras's alias
