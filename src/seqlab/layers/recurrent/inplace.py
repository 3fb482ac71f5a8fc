"""seqlab's in-place LSTM kernel: a trace of every gate at close to the fused kernel's speed.

A trace needs every gate at every step, which torch's fused kernels do not hand out, so it
used to run the step loop: a dozen eager ops per step, each allocating its result, the input
projected for all steps into an ``(N, L, 4H)`` tensor first, and every gate copied into the
record afterwards. This kernel computes the same LSTM (:mod:`.cells`, standard activations:
``sigmoid`` gates, ``tanh`` candidate and output) for calls without gradients and without a
mask, arranged so that nothing is allocated inside the loop:

* the input projection, the bias and the recurrent matmul are **one** matmul per step: each
  column of a small buffer holds ``[x_t ; 1 ; h_{t-1}]`` and the stacked weight
  ``[W_ih | b | W_hh]`` (torch's own layout, side by side) maps it to the summed
  pre-activations ``z``; no ``(N, L, 4H)`` projection is ever made (at batch 1024 its page
  faults alone cost more than its arithmetic);
* everything runs feature-major, one column per sample: ``z`` is ``(4H, N)``, so each gate's
  block is a contiguous ``(H, N)`` slab, where the sample-major ``(N, 4H)`` layout gives every
  gate as a strided view (``tanh`` on a strided view ran 2.7x slower than on a contiguous one,
  ``sigmoid`` 2.1x, at ``N=1024, H=128``);
* every activation writes straight into the trace's own buffer for step ``t`` (``out=``), the
  cell state is updated in place in its buffer, and the new hidden state is written where the
  next step's matmul reads it, inside the buffer that is also the trace's hidden states.

Equations (gate order i, f, g, o, as :mod:`.cells`)::

    z = [W_ih | b | W_hh] @ [x_t ; 1 ; h_{t-1}]               (4H, N)
    i, f, o = σ(z_i), σ(z_f), σ(z_o)     g = tanh(z_g)
    c_t = f * c_{t-1} + i * g            h_t = o * tanh(c_t)

The buffers are ``(L, H, N)``; what the kernel returns are ``(N, L, H)`` views of them (NumPy
keeps such views as they are).

It agrees with the step loop to float32 rounding (``tests/layers/recurrent/test_inplace.py``),
which is how the arrangement is checked to be the same maths. Measured against raw torch's
fused inference on the quiet 2-core Xeon (``benchmarks/bench_recurrent.py --rounds 3``,
2026-12-07): a full trace at 0.63x (B1024 T50 F8 H128) and 0.75x (B1024 T7 F1 H32) at 1 thread,
0.59-0.71x and 0.49x at 2, where the step loop's trace ran at 0.34x / 0.31x.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

Tensor = torch.Tensor


def stacked_weight(weight_ih: Tensor, weight_hh: Tensor, bias: Tensor | None) -> Tensor:
    """``(4H, F + 1 + H)``: the weight that maps a column ``[x_t ; 1 ; h]`` to ``z``."""
    features = weight_ih.shape[1]
    stacked = weight_ih.new_zeros(weight_ih.shape[0], features + 1 + weight_hh.shape[1])
    stacked[:, :features] = weight_ih
    if bias is not None:
        stacked[:, features] = bias
    stacked[:, features + 1:] = weight_hh
    return stacked


@dataclass
class LSTMRun:
    """The buffers of one in-place run, feature-major (one column per sample).

    ``columns[t]`` ``(F + 1 + H, N)`` is step ``t``'s matmul operand ``[x_t ; 1 ; ĥ_{t-1}]``
    (``ĥ``: the hidden state as the recurrent matmul reads it, recurrent dropout applied);
    ``gates`` i, f, g, o and ``cells``, ``hidden`` are ``(L, H, N)`` (the gates ``(1, H, N)``
    when a run did not keep them).
    """

    columns: Tensor
    gates: tuple
    cells: Tensor
    hidden: Tensor


def lstm_forward(x: Tensor, states: tuple, weight: Tensor, recurrent_mask: Tensor | None = None,
                 keep_gates: bool = True) -> LSTMRun:
    """The in-place LSTM over ``x`` ``(N, L, F)`` from ``states`` ``(h_0, c_0)``, each ``(N, H)``,
    with the :func:`stacked_weight` ``weight``; ``recurrent_mask`` ``(N, H)`` multiplies the
    hidden state where it feeds the recurrent matmul (recurrent dropout). No gradients."""
    batch, steps, features = x.shape
    units = weight.shape[1] - features - 1
    with torch.no_grad():
        columns = x.new_empty(steps + 1, features + 1 + units, batch)
        columns[:steps, :features] = x.permute(1, 2, 0)  # (L, F, N)
        columns[:, features] = 1
        read = columns[:, features + 1:]  # (L + 1, H, N): what step t's matmul reads, at t
        mask = None if recurrent_mask is None else recurrent_mask.t()
        # Without dropout the hidden states are what the next step reads: a view, no copy.
        hidden = read[1:] if mask is None else x.new_empty(steps, units, batch)
        read[0] = states[0].t() if mask is None else states[0].t() * mask
        z = x.new_empty(4 * units, batch)
        z_i, z_f, z_g, z_o = z.split(units)
        cells = x.new_empty(steps, units, batch)
        gates = tuple(x.new_empty(steps if keep_gates else 1, units, batch) for _ in range(4))
        tanh_c = x.new_empty(units, batch)
        c = states[1].t()
        for t in range(steps):
            torch.mm(weight, columns[t], out=z)
            slot = t if keep_gates else 0
            i, f, g, o = (torch.sigmoid(z_i, out=gates[0][slot]), torch.sigmoid(z_f, out=gates[1][slot]),
                          torch.tanh(z_g, out=gates[2][slot]), torch.sigmoid(z_o, out=gates[3][slot]))
            c = torch.mul(f, c, out=cells[t]).addcmul_(i, g)
            torch.mul(o, torch.tanh(c, out=tanh_c), out=hidden[t])
            if mask is not None:
                torch.mul(hidden[t], mask, out=read[t + 1])
    return LSTMRun(columns, gates, cells, hidden)


def run_lstm_inplace(x: Tensor, states: tuple, weight_ih: Tensor, weight_hh: Tensor,
                     bias: Tensor | None, keep_gates: bool = True):
    """Run an LSTM over ``x`` without gradients, keeping every gate and state.

    Args:
        x: ``(N, L, F)`` inputs, batch first.
        states: ``(h_0, c_0)``, each ``(N, H)``.
        weight_ih / weight_hh: ``(4H, F)`` / ``(4H, H)``, torch's layout.
        bias: ``(4H,)`` both biases summed, or None.
        keep_gates: keep every step's gates (False: each step's overwrite the last's).

    Returns:
        ``(hidden, cells, gates, finals)``: ``hidden`` and ``cells`` ``(N, L, H)``, ``gates``
        the four ``(N, L, H)`` gates in order i, f, g, o (``()`` without ``keep_gates``),
        ``finals`` ``(h_L, c_L)``, each ``(N, H)``.

    >>> import torch
    >>> lstm = torch.nn.LSTM(3, 4, batch_first=True)
    >>> x, zeros = torch.randn(2, 5, 3), torch.zeros(2, 4)
    >>> with torch.no_grad():
    ...     hidden, cells, gates, finals = run_lstm_inplace(x, (zeros, zeros), lstm.weight_ih_l0,
    ...                                                     lstm.weight_hh_l0, lstm.bias_ih_l0 + lstm.bias_hh_l0)
    ...     torch.allclose(hidden, lstm(x)[0], atol=1e-6)
    True
    """
    with torch.no_grad():  # stacking the weights too: no graph for a copy nothing differentiates
        run = lstm_forward(x, states, stacked_weight(weight_ih, weight_hh, bias), keep_gates=keep_gates)
    return (batch_first(run.hidden), batch_first(run.cells),
            tuple(batch_first(gate) for gate in run.gates) if keep_gates else (),
            (run.hidden[-1].t(), run.cells[-1].t()))


def batch_first(buffer: Tensor) -> Tensor:
    """A feature-major ``(L, H, N)`` buffer as an ``(N, L, H)`` view."""
    return buffer.permute(2, 0, 1)
