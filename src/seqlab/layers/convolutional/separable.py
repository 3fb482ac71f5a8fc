"""SeparableConv1D: a depthwise convolution (each channel filtered on its own) followed by a
pointwise (kernel-size 1) convolution that mixes the channels.

Keras's weights (``keras/src/layers/convolutional/base_separable_conv.py``):
``depthwise_kernel`` ``(kernel_size, channels, depth_multiplier)``, ``pointwise_kernel``
``(1, channels * depth_multiplier, filters)``, ``bias`` ``(filters,)``. The depthwise step is
torch's grouped convolution with one group per input channel; its output channel
``c * depth_multiplier + m`` is input channel ``c`` filtered by ``depthwise_kernel[:, c, m]``
(TensorFlow's order), which is exactly what a row-major reshape of Keras's kernel gives.
"""
from __future__ import annotations

import torch.nn.functional as F

from seqlab import activations, initializers
from seqlab.checks import check_bool, check_int
from seqlab.layers.base import Layer
from seqlab.layers.convolutional import spatial
from seqlab.layers.convolutional.arithmetic import (
    normalize_padding,
    normalize_tuple,
    output_spatial_shape,
)
from seqlab.layers.convolutional.conv import convolve
from seqlab.layers.penalties import check_regularizer


class SeparableConv1D(Layer):
    """Depthwise-separable 1-D convolution: ``activation(pointwise(depthwise(x)) + bias)``.

    Far fewer weights than a :class:`Conv1D` of the same size: ``k * C * M + C * M * K + K``
    instead of ``k * C * K + K`` (``C`` channels, ``M`` = ``depth_multiplier``, ``K`` filters).

    Input shape: ``(N, steps, channels)`` (``(N, channels, steps)`` with
    ``data_format='channels_first'``). Output shape: ``(N, new_steps, filters)``, ``new_steps``
    by Keras's rule for ``padding`` as :class:`Conv1D` ('valid' or 'same'; Keras has no
    'causal' here).

    Args:
        filters: output channels of the pointwise step.
        kernel_size: window length of the depthwise step.
        strides, padding, data_format, dilation_rate: of the depthwise step, as :class:`Conv1D`.
        depth_multiplier: depthwise output channels per input channel. Default 1.
        activation, use_bias: as :class:`Conv1D`.
        depthwise_initializer / pointwise_initializer / bias_initializer: Keras defaults
            ``'glorot_uniform'`` / ``'glorot_uniform'`` / ``'zeros'``.
        depthwise_regularizer / pointwise_regularizer / bias_regularizer /
            activity_regularizer: penalties added to the loss.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.SeparableConv1D(8, 3, depth_multiplier=2)
    >>> layer(torch.zeros(2, 10, 4)).shape, layer.count_params()   # 3*4*2 + 1*8*8 + 8
    (torch.Size([2, 8, 8]), 96)
    """

    weight_regularizer_arguments = {"depthwise_kernel": "depthwise_regularizer",
                                    "pointwise_kernel": "pointwise_regularizer",
                                    "bias": "bias_regularizer"}
    rank = 1

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", data_format=None,
                 dilation_rate=1, depth_multiplier: int = 1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        who = type(self).__name__
        self.input_ndim = 3  # (batch, steps, channels)
        self.filters = check_int(who, "filters", filters)
        self.kernel_size = normalize_tuple(who, "kernel_size", kernel_size, 1)
        self.strides = normalize_tuple(who, "strides", strides, 1)
        self.padding = normalize_padding(who, padding, allow_causal=False)
        self.data_format = spatial.normalize_data_format(who, data_format)
        self.dilation_rate = normalize_tuple(who, "dilation_rate", dilation_rate, 1)
        self.depth_multiplier = check_int(who, "depth_multiplier", depth_multiplier)
        self.activation = activations.get(activation)
        self.use_bias = check_bool(who, "use_bias", use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = check_regularizer(who, "depthwise_regularizer", depthwise_regularizer)
        self.pointwise_regularizer = check_regularizer(who, "pointwise_regularizer", pointwise_regularizer)
        self.bias_regularizer = check_regularizer(who, "bias_regularizer", bias_regularizer)

    # ---- shapes -----------------------------------------------------------------------
    def rank_error(self, shape):
        return spatial.rank_error(self, shape, 1, self.data_format)

    def validate_input_shape(self, input_shape):
        spatial.check_channels(self, input_shape, self.data_format)
        self.compute_output_shape(input_shape)  # raises if the kernel does not fit

    def check_built_sizes(self, shape):
        spatial.check_built_channels(self, shape, self.data_format)

    def compute_output_shape(self, input_shape):
        (steps,) = output_spatial_shape(
            f"layer '{self.name}' ({type(self).__name__})", spatial.spatial_axes(input_shape, self.data_format),
            self.kernel_size, self.strides, self.padding, self.dilation_rate)
        if self.data_format == "channels_last":
            return (input_shape[0], steps, self.filters)
        return (input_shape[0], self.filters, steps)

    # ---- weights and compute ----------------------------------------------------------
    def build(self, input_shape):
        channels = spatial.channel_size(input_shape, self.data_format)
        self.add_weight("depthwise_kernel", (*self.kernel_size, channels, self.depth_multiplier),
                        self.depthwise_initializer)
        self.add_weight("pointwise_kernel", (1, channels * self.depth_multiplier, self.filters),
                        self.pointwise_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer)

    def call(self, inputs, training=False, mask=None):
        x = spatial.to_channels_first(inputs, self.data_format)  # (N, C, steps)
        output_spatial_shape(f"layer '{self.name}' ({type(self).__name__})", tuple(x.shape[2:]),
                             self.kernel_size, self.strides, self.padding, self.dilation_rate)
        k, channels, multiplier = self.depthwise_kernel.shape
        depthwise = self.depthwise_kernel.reshape(k, channels * multiplier).t().unsqueeze(1)  # (C*M, 1, k)
        x = convolve(x, depthwise, None, self.strides, self.padding, self.dilation_rate, groups=channels)
        pointwise = self.pointwise_kernel.permute(2, 1, 0)  # (filters, C*M, 1)
        outputs = F.conv1d(x, pointwise, self.bias if self.use_bias else None)
        return self.activation(spatial.to_data_format(outputs, self.data_format))

    # ---- config -----------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            **spatial.convolution_config(self),
            "depth_multiplier": self.depth_multiplier,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **self.regularizer_config(),
        }

    def __repr__(self):
        defaults = {"strides": [1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1],
                    "depth_multiplier": 1, "activation": "linear", "use_bias": True}
        return spatial.settings_repr(self, {"filters": self.filters, "kernel_size": list(self.kernel_size)},
                                     defaults)


SeparableConvolution1D = SeparableConv1D  # Keras's alias
