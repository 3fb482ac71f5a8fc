"""The maths of one ConvLSTM timestep (Shi et al. 2015), as Keras computes it
(``keras/src/layers/rnn/conv_lstm.py``): an LSTM whose matmuls are convolutions::

    z = conv(x_t, W) + b + conv(h, U)          # conv(h, U): stride 1, padding 'same'
    i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
    c' = f * c + i * g        h' = o * tanh(c')

The input convolution ``conv(x_t, W) + b`` has the layer's strides, padding and dilation and
is computed for every timestep before the loop (:meth:`ConvLSTM.project_inputs`), as LSTM's
input matmul is; the step does the recurrent convolution and the gate update, the latter
shared with LSTM (:func:`.cells.lstm_update`). The cell plugs into the one step loop
(:func:`.loop.run_loop`): same ``step`` signature, same gate names, two states.

Weights are held in torch's convolution layout, ``weight_hh`` ``(4F, F, *kernel_size)``; the
states are feature maps in the layer's ``data_format``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from seqlab.layers.convolutional.conv import convolve
from seqlab.layers.recurrent.cells import States, lstm_update, recurrent_input

Tensor = torch.Tensor


@dataclass(frozen=True)
class ConvLSTMCell:
    """One ConvLSTM timestep; the attributes the loop and the recorder read match :class:`.cells.Cell`.

    Attributes:
        rank: spatial axes of a state (1 for ConvLSTM1D, 2 for ConvLSTM2D).
        channels_last: whether the channel axis of a feature map is last (else first).
    """

    rank: int
    channels_last: bool
    activation: Callable[[Tensor], Tensor]
    recurrent_activation: Callable[[Tensor], Tensor]
    kind: str = "conv_lstm"
    gate_names: tuple[str, ...] = ("input", "forget", "candidate", "output")
    num_blocks: int = 4
    num_states: int = 2
    keras_order: tuple[int, ...] = (0, 1, 2, 3)

    def recurrent_weight(self, weight_hh: Tensor) -> Tensor:
        return weight_hh  # the convolution takes torch's layout as stored

    def step(self, x_proj: Tensor, states: States, weight_hh: Tensor, bias_hh: Tensor | None,
             recurrent_mask: Tensor | None) -> tuple[Tensor, States, tuple[Tensor, ...]]:
        """Advance one timestep.

        Args:
            x_proj: ``conv(x_t, W) + b``, a feature map of ``4F`` channels, e.g.
                ``(N, rows, cols, 4F)`` channels-last.
            states: ``(h, c)``, feature maps of ``F`` channels of the same spatial size.
            weight_hh: ``(4F, F, *kernel_size)``.
            bias_hh: unused (Keras's ConvLSTM has one bias, on the input side).
            recurrent_mask: recurrent-dropout mask of ``h``'s shape, or None.
        """
        h, c = states
        z = x_proj + self.recurrent_conv(recurrent_input(h, recurrent_mask), weight_hh)
        return lstm_update(self, z, c, dim=-1 if self.channels_last else 1)

    def recurrent_conv(self, h: Tensor, weight_hh: Tensor) -> Tensor:
        """``conv(h, U)`` with stride 1 and padding 'same' (Keras's ``recurrent_conv``)."""
        ones = (1,) * self.rank
        if self.channels_last:
            # movedim is a view; the convolution reads it as torch's channels_last layout.
            return convolve(h.movedim(-1, 1), weight_hh, None, ones, "same", ones).movedim(1, -1)
        return convolve(h, weight_hh, None, ones, "same", ones)
