"""``ConvLSTM1D`` and ``ConvLSTM2D``: LSTMs over sequences of feature maps (the notes' image
sequences), on the recurrent core: the ConvLSTM cell (:mod:`.conv_cells`) runs on the one step
loop, so masks, ``return_state``, ``go_backwards``, ``stateful`` and
:func:`seqlab.inspect.trace` work as for LSTM. torch has no fused ConvLSTM kernel: the step
loop is the only execution path.

Keras's weights (``keras/src/layers/rnn/conv_lstm.py``): ``kernel``
``(*kernel_size, channels, 4 * filters)``, ``recurrent_kernel``
``(*kernel_size, filters, 4 * filters)``, ``bias`` ``(4 * filters,)``, gate blocks i, f, c, o.
They are stored in torch's convolution layout ``(4F, in, *kernel_size)`` (``weight_ih``,
``weight_hh``) and shown in Keras's by ``get_weights()``.
"""
from __future__ import annotations

import torch
from torch import nn

from seqlab.checks import check_bool, format_shape
from seqlab.layers import allocation
from seqlab.layers.convolutional import spatial
from seqlab.layers.convolutional.arithmetic import (
    normalize_padding,
    normalize_tuple,
    output_spatial_shape,
)
from seqlab.layers.convolutional.conv import convolve
from seqlab.layers.recurrent.conv_cells import ConvLSTMCell
from seqlab.layers.recurrent.layer import RecurrentLayer

_AXES = {1: ("steps",), 2: ("rows", "cols")}


class ConvLSTM(RecurrentLayer):
    """Base of ConvLSTM1D/2D (see :class:`ConvLSTM2D` for the arguments)."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, **kwargs):
        who, rank = type(self).__name__, self.rank
        self.kernel_size = normalize_tuple(who, "kernel_size", kernel_size, rank)
        self.strides = normalize_tuple(who, "strides", strides, rank)
        self.padding = normalize_padding(who, padding, allow_causal=False)
        self.data_format = spatial.normalize_data_format(who, data_format)
        self.dilation_rate = normalize_tuple(who, "dilation_rate", dilation_rate, rank)
        self.unit_forget_bias = check_bool(who, "unit_forget_bias", unit_forget_bias)
        super().__init__(
            filters, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            dropout=dropout, recurrent_dropout=recurrent_dropout, return_sequences=return_sequences,
            return_state=return_state, go_backwards=go_backwards, stateful=stateful, seed=seed,
            **kwargs)
        self.input_ndim = rank + 3  # (samples, timesteps, *spatial, channels)

    @property
    def filters(self) -> int:
        return self.units

    def make_cell(self):
        return ConvLSTMCell(self.rank, self.data_format == "channels_last", self.activation,
                            self.recurrent_activation)

    # ---- shapes ------------------------------------------------------------------------
    def _layout(self) -> str:
        names = list(_AXES[self.rank])
        axes = [*names, "channels"] if self.data_format == "channels_last" else ["channels", *names]
        return "(samples, timesteps, " + ", ".join(axes) + ")"

    def rank_error(self, shape):
        return ValueError(
            f"layer '{self.name}' ({type(self).__name__}) expects {self.rank + 3}-D input "
            f"{self._layout()}, got shape {format_shape(tuple(shape))}")

    def _step_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])  # one timestep: (N, *spatial, C) or (N, C, *spatial)

    def _output_spatial(self, input_shape):
        return output_spatial_shape(
            f"layer '{self.name}' ({type(self).__name__})",
            spatial.spatial_axes(self._step_shape(input_shape), self.data_format),
            self.kernel_size, self.strides, self.padding, self.dilation_rate)

    def validate_input_shape(self, input_shape):
        step = self._step_shape(input_shape)
        if None in spatial.spatial_axes(step, self.data_format) or spatial.channel_size(step, self.data_format) is None:
            # As Keras: the states' spatial size is fixed when the layer is built.
            raise ValueError(
                f"layer '{self.name}' ({type(self).__name__}) needs known spatial sizes and channels "
                f"{self._layout()}, got shape {format_shape(tuple(input_shape))}")
        self._output_spatial(input_shape)  # raises if the kernel does not fit

    def check_built_sizes(self, shape):
        built = self.input_shape_
        if tuple(shape[2:]) != tuple(built[2:]):
            raise ValueError(
                f"layer '{self.name}' ({type(self).__name__}) was built for timesteps of shape "
                f"{tuple(built[2:])}, got input of shape {tuple(shape)}")

    def state_shape(self, input_shape):
        sizes = self._output_spatial(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0], *sizes, self.filters)
        return (input_shape[0], self.filters, *sizes)

    def state_layout(self):
        names = ", ".join(_AXES[self.rank])
        if self.data_format == "channels_last":
            return f"(batch, {names}, filters)"
        return f"(batch, filters, {names})"

    def compute_output_shape(self, input_shape):
        state = self.state_shape(input_shape)
        if self.return_sequences:
            return (state[0], input_shape[1], *state[1:])
        return state

    # ---- weights -----------------------------------------------------------------------
    def _add_conv_weight(self, name, keras_shape, initializer):
        # Initialised in Keras's layout, so the fans (and Orthogonal's flattening) match Keras.
        # A model rebuilt from a file: bounded by the file, and the stored values follow.
        values_follow = allocation.charge_weight(self, name, keras_shape)
        value = torch.zeros(tuple(keras_shape), dtype=self.torch_dtype) if values_follow \
            else initializer(keras_shape, dtype=self.torch_dtype)
        stored = value.permute(self.rank + 1, self.rank, *range(self.rank)).contiguous()
        self.register_parameter(name, nn.Parameter(stored, requires_grad=self.trainable))

    def build(self, input_shape):
        channels = spatial.channel_size(self._step_shape(input_shape), self.data_format)
        width = 4 * self.filters
        self._add_conv_weight("weight_ih", (*self.kernel_size, channels, width), self.kernel_initializer)
        self._add_conv_weight("weight_hh", (*self.kernel_size, self.filters, width),
                              self.recurrent_initializer)
        if self.use_bias:
            bias = self.add_weight("bias", (width,), "zeros")
            with torch.no_grad():
                bias.copy_(self.initial_bias((width,)))
        self.keeper.built(input_shape[0])

    def initial_bias(self, shape):
        bias = self.bias_initializer(shape, dtype=self.torch_dtype)
        if self.unit_forget_bias:
            bias[self.filters:2 * self.filters] = 1.0  # Keras: the forget block starts at one
        return bias

    def keras_weight(self, name):
        if name == "bias":
            return self.bias
        stored = self.weight_ih if name == "kernel" else self.weight_hh
        return stored.permute(*range(2, self.rank + 2), 1, 0)  # (4F, in, *k) -> (*k, in, 4F)

    def set_keras_weight(self, name, value):
        if name == "bias":
            self.bias.data.copy_(value)
            return
        stored = self.weight_ih if name == "kernel" else self.weight_hh
        stored.data.copy_(value.permute(self.rank + 1, self.rank, *range(self.rank)))

    # ---- running -----------------------------------------------------------------------
    def project_inputs(self, x, bias_ih):
        # conv(x_t, W) + b for every timestep in one convolution: time folds into the batch.
        batch, steps = x.shape[:2]
        frames = spatial.to_channels_first(x.reshape(batch * steps, *x.shape[2:]), self.data_format)
        out = convolve(frames, self.weight_ih, bias_ih, self.strides, self.padding, self.dilation_rate)
        out = spatial.to_data_format(out, self.data_format)  # (N*L, *spatial', 4F) channels-last
        return out.reshape(batch, steps, *out.shape[1:])

    def execution_path(self, training: bool = True) -> str:
        return "loop"  # torch has no fused ConvLSTM kernel

    def summary_note(self):
        return None  # no faster path exists, so there is nothing to point out

    def _announce_loop(self, training):
        pass

    # ---- config ------------------------------------------------------------------------
    def __repr__(self):
        ones = [1] * self.rank
        defaults = {
            "strides": ones, "padding": "valid", "data_format": "channels_last", "dilation_rate": ones,
            "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
            "unit_forget_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0,
            "return_sequences": False, "return_state": False, "go_backwards": False, "stateful": False,
        }
        return spatial.settings_repr(self, {"filters": self.filters, "kernel_size": list(self.kernel_size)},
                                     defaults)

    def get_config(self):
        config = super().get_config()
        for key in ("units", "use_cudnn", "unroll", "zero_output_for_mask"):
            config.pop(key)  # not ConvLSTM arguments in Keras
        return {
            **config,
            **spatial.convolution_config(self),
            "unit_forget_bias": self.unit_forget_bias,
        }


_ARGS = """
    Args:
        filters: F, the channels of the hidden and cell states.
        kernel_size: window of both convolutions, an int or a {rank}-tuple.
        strides / padding / dilation_rate: of the input convolution only ('valid' or 'same').
            The recurrent
            convolution always has stride 1 and padding 'same', so the states keep the input
            convolution's output size.
        data_format: ``'channels_last'`` (default) or ``'channels_first'`` (channels before the
            spatial axes, after the time axis).
        activation / recurrent_activation: defaults ``'tanh'`` / ``'sigmoid'``.
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
            unit_forget_bias: as :class:`LSTM` (Keras's defaults).
        kernel_regularizer / recurrent_regularizer / bias_regularizer / activity_regularizer:
            penalties on the weights in Keras's layout / on the output.
        dropout: fraction of the input dropped while training (one mask per sequence, the
            same at every timestep, shared by the four gates as in seqlab's LSTM).
        recurrent_dropout: the same for the hidden state feeding the recurrent convolution.
        seed: seed of the dropout masks.
        return_sequences, return_state, go_backwards, stateful: as :class:`LSTM`; the states
            are feature maps.
"""


class ConvLSTM1D(ConvLSTM):
    __doc__ = """LSTM over sequences of 1-D feature maps: the matmuls of LSTM become 1-D
    convolutions (Shi et al. 2015; the equations in :mod:`seqlab.layers.recurrent.conv_cells`).

    Input shape: ``(N, T, steps, channels)``. Output shape: ``(N, T, steps', F)`` with
    ``return_sequences``, else ``(N, steps', F)``, where ``steps'`` is the input convolution's
    output length (:class:`Conv1D`'s rule); with ``return_state``, ``[output, h_T, c_T]``,
    each state ``(N, steps', F)``.
""" + _ARGS.format(rank=1) + """
    Weights: ``kernel`` ``(k, channels, 4F)``, ``recurrent_kernel`` ``(k, F, 4F)``, ``bias``
    ``(4F,)``.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.ConvLSTM1D(4, 3, padding='same', return_sequences=True)
    >>> layer(torch.zeros(2, 5, 8, 2)).shape, layer.count_params()   # 3*2*16 + 3*4*16 + 16
    (torch.Size([2, 5, 8, 4]), 304)
    """
    rank = 1


class ConvLSTM2D(ConvLSTM):
    __doc__ = """LSTM over sequences of images: the matmuls of LSTM become 2-D convolutions
    (Shi et al. 2015; the equations in :mod:`seqlab.layers.recurrent.conv_cells`).

    Input shape: ``(N, T, rows, cols, channels)`` (``(N, T, channels, rows, cols)`` with
    ``data_format='channels_first'``). Output shape: ``(N, T, rows', cols', F)`` with
    ``return_sequences``, else ``(N, rows', cols', F)``, ``rows'``/``cols'`` by
    :class:`Conv2D`'s rule for the input convolution; with ``return_state``,
    ``[output, h_T, c_T]``.
""" + _ARGS.format(rank=2) + """
    Weights: ``kernel`` ``(kh, kw, channels, 4F)``, ``recurrent_kernel`` ``(kh, kw, F, 4F)``,
    ``bias`` ``(4F,)``: ``ConvLSTM2D(4, 3)`` on 2 channels has ``3*3*2*16 + 3*3*4*16 + 16``
    = 880 parameters.

    >>> import torch, seqlab
    >>> layer = seqlab.layers.ConvLSTM2D(4, 3)
    >>> layer(torch.zeros(2, 5, 7, 7, 2)).shape, layer.count_params()
    (torch.Size([2, 5, 5, 4]), 880)
    """
    rank = 2
