"""The maths of one timestep of SimpleRNN, LSTM and GRU, written once for both execution paths.

Weights are held in torch's layout, the one its fused kernels take: ``weight_ih`` is
``(gates * units, features)``, ``weight_hh`` is ``(gates * units, units)``, gate blocks stacked
along the first axis in torch's order. Each cell also knows how that layout maps to Keras's
(``kernel`` of shape ``(features, gates * units)``, gate blocks in Keras's order), so
``get_weights()`` speaks Keras.

A step receives the input already projected for every gate (``x_t @ W_ih^T + b_ih``, computed
for all timesteps in one matmul before the loop) and does the rest of one timestep:

LSTM (gate order i, f, g, o in both Keras and torch)::

    i = σ(x_i + h W_hi)    f = σ(x_f + h W_hf)    g = tanh(x_g + h W_hg)    o = σ(x_o + h W_ho)
    c' = f * c + i * g     h' = o * tanh(c')

GRU, Keras 3's ``reset_after=True`` form (Keras order z, r, h; torch order r, z, n)::

    r = σ(x_r + h W_hr + b_hr)    z = σ(x_z + h W_hz + b_hz)
    n = tanh(x_n + r * (h W_hn + b_hn))
    h' = z * h + (1 - z) * n

and Keras 2's ``reset_after=False`` form (one bias, the reset gate applied before the matmul;
no fused kernel computes it, so it runs on the step loop)::

    n = tanh(x_n + (r * h) W_hn)

SimpleRNN::

    h' = tanh(x + h W_hh)

``σ`` is ``recurrent_activation`` and ``tanh`` is ``activation``; both can be any activation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

Tensor = torch.Tensor
States = tuple  # tuple[Tensor, ...], each (batch, units)


@dataclass(frozen=True)
class Cell:
    """One recurrent cell: its gate layout and its step function.

    Attributes:
        kind: ``'lstm'``, ``'gru'`` or ``'rnn'``; names the fused torch kernel.
        gate_names: trace names of the gates, in the order ``step`` returns them.
        num_blocks: gate blocks stacked in ``weight_ih``/``weight_hh`` (4, 3 or 1).
        num_states: carried state tensors (LSTM: hidden and cell).
        keras_order: ``keras_order[j]`` is the Keras block stored at torch block ``j``.
        activation / recurrent_activation: functions of a tensor.
    """

    kind: str
    gate_names: tuple[str, ...]
    num_blocks: int
    num_states: int
    keras_order: tuple[int, ...]
    activation: Callable[[Tensor], Tensor]
    recurrent_activation: Callable[[Tensor], Tensor] | None = None

    def step(self, x_proj: Tensor, states: States, weight_hh_t: Tensor, bias_hh: Tensor | None,
             recurrent_mask: Tensor | None) -> tuple[Tensor, States, tuple[Tensor, ...]]:
        """Advance one timestep.

        Args:
            x_proj: ``(batch, num_blocks * units)`` projected input of this timestep.
            states: the carried states, each ``(batch, units)``.
            weight_hh_t: ``(units, num_blocks * units)``, the transposed ``weight_hh``.
            bias_hh: the recurrent bias (GRU only, ``(3 * units,)``) or None.
            recurrent_mask: ``(batch, units)`` recurrent-dropout mask or None.

        Returns:
            ``(output, new_states, gates)``; ``gates`` follow ``gate_names``.
        """
        return _STEPS[self.kind](self, x_proj, states, weight_hh_t, bias_hh, recurrent_mask)

    def recurrent_weight(self, weight_hh: Tensor) -> Tensor:
        """``weight_hh`` as ``step`` takes it, prepared once per sequence (here: transposed
        for ``addmm``; a convolutional cell takes its kernel as stored)."""
        return weight_hh.t()


def recurrent_input(h: Tensor, recurrent_mask: Tensor | None) -> Tensor:
    # Recurrent dropout acts on the state only where it feeds the recurrent matmul (Keras).
    return h if recurrent_mask is None else h * recurrent_mask


def lstm_update(cell, z: Tensor, c: Tensor, dim: int = 1):
    """The LSTM's gates and state update from the summed pre-activations ``z`` (the four gate
    blocks i, f, g, o stacked along ``dim``): shared by LSTM (``z`` is ``(B, 4H)``) and ConvLSTM
    (``z`` is a feature map with ``4 * filters`` channels)."""
    # One activation call over all four blocks costs less than three separate ones (the
    # candidate block's sigmoid is simply not used); chunk() is one autograd node, where
    # slicing would be one per gate.
    i, f, _, o = cell.recurrent_activation(z).chunk(4, dim=dim)
    g = cell.activation(z.chunk(4, dim=dim)[2])
    c = torch.addcmul(f * c, i, g)
    h = o * cell.activation(c)
    return h, (h, c), (i, f, g, o)


def _lstm_step(cell: Cell, x_proj, states, weight_hh_t, bias_hh, recurrent_mask):
    h, c = states
    z = torch.addmm(x_proj, recurrent_input(h, recurrent_mask), weight_hh_t)  # (B, 4H)
    return lstm_update(cell, z, c)


def _gru_step(cell: Cell, x_proj, states, weight_hh_t, bias_hh, recurrent_mask):
    (h,) = states
    units = h.shape[1]
    h_in = recurrent_input(h, recurrent_mask)
    if bias_hh is None:
        h_proj = h_in @ weight_hh_t  # (B, 3H)
    else:
        h_proj = torch.addmm(bias_hh, h_in, weight_hh_t)
    x_rz, x_n = x_proj.split((2 * units, units), dim=1)
    h_rz, h_n = h_proj.split((2 * units, units), dim=1)
    r, z = cell.recurrent_activation(x_rz + h_rz).chunk(2, dim=1)
    n = cell.activation(torch.addcmul(x_n, r, h_n))
    h = torch.lerp(n, h, z)  # z * h + (1 - z) * n in one kernel
    return h, (h,), (z, r, n)


def _gru_reset_before_step(cell: Cell, x_proj, states, weight_hh_t, bias_hh, recurrent_mask):
    (h,) = states
    units = h.shape[1]
    h_in = recurrent_input(h, recurrent_mask)
    w_rz, w_n = weight_hh_t.split((2 * units, units), dim=1)
    x_rz, x_n = x_proj.split((2 * units, units), dim=1)
    r, z = cell.recurrent_activation(torch.addmm(x_rz, h_in, w_rz)).chunk(2, dim=1)
    n = cell.activation(torch.addmm(x_n, r * h_in, w_n))
    h = torch.lerp(n, h, z)
    return h, (h,), (z, r, n)


def _rnn_step(cell: Cell, x_proj, states, weight_hh_t, bias_hh, recurrent_mask):
    (h,) = states
    h = cell.activation(torch.addmm(x_proj, recurrent_input(h, recurrent_mask), weight_hh_t))
    return h, (h,), ()


_STEPS = {"lstm": _lstm_step, "gru": _gru_step, "gru_reset_before": _gru_reset_before_step, "rnn": _rnn_step}


def lstm_cell(activation, recurrent_activation) -> Cell:
    return Cell("lstm", ("input", "forget", "candidate", "output"), 4, 2, (0, 1, 2, 3),
                activation, recurrent_activation)


def gru_cell(activation, recurrent_activation, reset_after: bool = True) -> Cell:
    # Stored in torch's (r, z, n) order so the fused kernel takes the weights as they are;
    # Keras's (z, r, h) order only appears in get_weights()/set_weights().
    return Cell("gru" if reset_after else "gru_reset_before", ("update", "reset", "candidate"), 3, 1,
                (1, 0, 2), activation, recurrent_activation)


def rnn_cell(activation) -> Cell:
    return Cell("rnn", (), 1, 1, (0,), activation)


def reorder_blocks(tensor: Tensor, order: tuple[int, ...], axis: int) -> Tensor:
    """Reorder the gate blocks of ``tensor`` along ``axis``: block ``j`` of the result is
    block ``order[j]`` of the input. The identity order returns ``tensor`` itself."""
    if order == tuple(range(len(order))):
        return tensor
    blocks = tensor.chunk(len(order), dim=axis)
    return torch.cat([blocks[k] for k in order], dim=axis)


def inverse_order(order: tuple[int, ...]) -> tuple[int, ...]:
    inverse = [0] * len(order)
    for position, source in enumerate(order):
        inverse[source] = position
    return tuple(inverse)
