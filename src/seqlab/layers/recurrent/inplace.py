"""seqlab's in-place LSTM kernel: a trace of every gate at close to the fused kernel's speed.

A trace needs every gate at every step, which torch's fused kernels do not hand out, so it
used to run the step loop: a dozen eager ops per step, each allocating its result, the input
projected for all steps into an ``(N, L, 4H)`` tensor first, and every gate copied into the
record afterwards. This kernel computes the same LSTM (:mod:`.cells`, standard activations:
``sigmoid`` gates, ``tanh`` candidate and output) for calls without gradients and without a
mask, arranged so that nothing is allocated inside the loop:

* the input projection, the bias and the recurrent matmul are **one** matmul per step: each
  column of a small buffer holds ``[x_t ; 1 ; h_{t-1}]`` and the stacked weight
  ``[W_ih | b | W_hh]`` maps it to the summed pre-activations ``z``; no ``(N, L, 4H)``
  projection is ever made (at batch 1024 its page faults alone cost more than its arithmetic);
* everything runs feature-major, one column per sample: ``z`` is ``(4H, N)``, so each gate's
  block is a contiguous ``(H, N)`` slab, where the sample-major ``(N, 4H)`` layout gives every
  gate as a strided view (``tanh`` on a strided view ran 2.7x slower than on a contiguous one,
  ``sigmoid`` 2.1x, at ``N=1024, H=128``);
* the stacked weight's rows put the three sigmoid gates side by side (i, f, o, then g:
  :data:`KERNEL_ORDER`), and a step's gates are kept in one ``(4H, N)`` slab of an
  ``(L, 4H, N)`` block, so **one** ``sigmoid`` call activates i, f and o and one ``tanh`` the
  candidate, each writing straight into the trace's block (``out=``); on a CPU, runs whose
  block would be mapped afresh on every call keep four ``(L, H, N)`` buffers and four calls
  (:data:`MMAP_LIMIT_BYTES`);
* the cell state is updated in place in its buffer, and the new hidden state is written where
  the next step's matmul reads it, inside the buffer that is also the trace's hidden states;
  every per-step view is made once before the loop, so the loop only calls kernels.

Equations (gates named as :mod:`.cells` names them)::

    z = [W_ih | b | W_hh] @ [x_t ; 1 ; h_{t-1}]               (4H, N)
    i, f, o = σ(z_i), σ(z_f), σ(z_o)     g = tanh(z_g)
    c_t = f * c_{t-1} + i * g            h_t = o * tanh(c_t)

The buffers are ``(L, H, N)`` (or views of the gate block); what the kernel returns are
``(N, L, H)`` views of them (NumPy keeps such views as they are).

It agrees with the step loop to float32 rounding (``tests/layers/recurrent/test_inplace.py``),
which is how the arrangement is checked to be the same maths. Measured against raw torch's
fused inference on the 2-core Xeon (``benchmarks/bench_recurrent.py --rounds 3``, 2026-12-07):
a full trace at 0.60x (B1024 T50 F8 H128) and 0.68x (B1024 T7 F1 H32) at 1 thread, 0.54-0.89x
and 0.50-0.54x at 2 (six runs), where the step loop's trace ran at 0.34x / 0.31x.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

Tensor = torch.Tensor

# The kernel's order of the four gate blocks along the rows of the stacked weight, of ``z`` and of
# the gate storage: the three sigmoid gates side by side, so that one call activates them, then
# the candidate. Position k holds torch's block KERNEL_ORDER[k] (torch's order is i, f, g, o);
# torch's block k sits at position TORCH_POSITIONS[k].
KERNEL_ORDER = (0, 1, 3, 2)
TORCH_POSITIONS = tuple(KERNEL_ORDER.index(gate) for gate in range(4))
SIGMOID_GATE_COUNT = 3
# A run's gates are kept in one (L, 4H, N) block, so that a step's sigmoid gates are one
# contiguous slab, except on a CPU when the block is over MMAP_LIMIT_BYTES and each quarter of it
# is not: glibc maps an allocation over 32 MiB afresh on every call, and the page faults of a
# fresh block cost more than the three calls a step saves (measured at B1024 T50 H128, a 100 MiB
# block, 2 threads: 69 ms against 59 ms with four 25 MiB buffers, 42 ms each when malloc was told
# to keep its heap). Where the quarters are over the limit too, they fault as much as the block.
MMAP_LIMIT_BYTES = 32 * 2**20


def _reorder(rows: Tensor, order: tuple) -> Tensor:
    blocks = rows.chunk(4)
    return torch.cat([blocks[k] for k in order])  # one copy (advanced indexing took 3x as long)


def in_kernel_order(rows: Tensor) -> Tensor:
    """``rows`` ``(4H, ...)`` in torch's gate order, as the kernel orders them."""
    return _reorder(rows, KERNEL_ORDER)


def in_torch_order(rows: Tensor) -> Tensor:
    """``rows`` ``(4H, ...)`` in the kernel's gate order, as torch orders them."""
    return _reorder(rows, TORCH_POSITIONS)


def torch_gates(by_position) -> tuple:
    """Four things in the kernel's gate order (a sequence), as torch's i, f, g, o."""
    return tuple(by_position[position] for position in TORCH_POSITIONS)


def stacked_weight(weight_ih: Tensor, weight_hh: Tensor, bias: Tensor | None) -> Tensor:
    """``(4H, F + 1 + H)``: the weight that maps a column ``[x_t ; 1 ; h]`` to ``z``, its rows in
    the kernel's gate order."""
    features = weight_ih.shape[1]
    stacked = weight_ih.new_zeros(weight_ih.shape[0], features + 1 + weight_hh.shape[1])
    stacked[:, :features] = weight_ih
    if bias is not None:
        stacked[:, features] = bias
    stacked[:, features + 1:] = weight_hh
    return in_kernel_order(stacked)


@dataclass
class LSTMRun:
    """The buffers of one in-place run, feature-major (one column per sample).

    ``columns[t]`` ``(F + 1 + H, N)`` is step ``t``'s matmul operand ``[x_t ; 1 ; ĥ_{t-1}]``
    (``ĥ``: the hidden state as the recurrent matmul reads it, recurrent dropout applied);
    ``gate_buffers`` hold the gates (:func:`gate_buffers`, seen through :func:`gate_views`),
    ``(L, H, N)`` each (``(1, H, N)`` when a run did not keep them); ``cells`` and ``hidden`` are
    ``(L, H, N)``; ``tanh_cells`` ``(L, H, N)`` holds ``tanh(c_t)`` where the run kept it for a
    backward (else None).
    """

    columns: Tensor
    gate_buffers: tuple
    cells: Tensor
    hidden: Tensor
    tanh_cells: Tensor | None = None

    @property
    def gates(self) -> tuple:
        """i, f, g, o, each ``(L, H, N)``."""
        return gate_views(self.gate_buffers)[0]


def gate_buffers(like: Tensor, slots: int, units: int, batch: int) -> tuple:
    """Storage for ``slots`` steps of gates: one ``(slots, 4H, N)`` block, rows in the kernel's
    order, or four ``(slots, H, N)`` buffers where one block would fault afresh and its quarters
    would not (:data:`MMAP_LIMIT_BYTES`)."""
    block_bytes = 4 * slots * units * batch * like.element_size()
    if like.device.type == "cpu" and block_bytes > MMAP_LIMIT_BYTES >= block_bytes / 4:
        return tuple(like.new_empty(slots, units, batch) for _ in range(4))
    return (like.new_empty(slots, 4 * units, batch),)


def gate_views(buffers: tuple) -> tuple[tuple, tuple]:
    """``(gates, activations)`` of :func:`gate_buffers`: the four ``(slots, H, N)`` gates i, f,
    g, o, and the activation calls that fill them, each ``(rows of z, activation, output
    (slots, rows, N))``, in the kernel's gate order: two calls on one block, four on four buffers."""
    if len(buffers) == 4:
        units = buffers[0].shape[1]
        activations = tuple((slice(k * units, (k + 1) * units),
                             torch.sigmoid if k < SIGMOID_GATE_COUNT else torch.tanh, buffer)
                            for k, buffer in enumerate(buffers))
        return torch_gates(buffers), activations
    block = buffers[0]
    units = block.shape[1] // 4
    sigmoid_rows, candidate_rows = slice(0, SIGMOID_GATE_COUNT * units), slice(SIGMOID_GATE_COUNT * units, 4 * units)
    activations = ((sigmoid_rows, torch.sigmoid, block[:, sigmoid_rows]),
                   (candidate_rows, torch.tanh, block[:, candidate_rows]))
    return torch_gates(block.split(units, dim=1)), activations


def lstm_forward(x: Tensor, states: tuple, weight: Tensor, recurrent_mask: Tensor | None = None,
                 keep_gates: bool = True, keep_tanh_cells: bool = False) -> LSTMRun:
    """The in-place LSTM over ``x`` ``(N, L, F)`` from ``states`` ``(h_0, c_0)``, each ``(N, H)``,
    with the :func:`stacked_weight` ``weight``; ``recurrent_mask`` ``(N, H)`` multiplies the
    hidden state where it feeds the recurrent matmul (recurrent dropout); ``keep_tanh_cells``
    keeps every step's ``tanh(c_t)``, which a backward reads. No gradients."""
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
        buffers = gate_buffers(x, steps if keep_gates else 1, units, batch)
        gates, activations = gate_views(buffers)
        cells = x.new_empty(steps, units, batch)
        z = x.new_empty(4 * units, batch)
        tanh_cells = x.new_empty(steps, units, batch) if keep_tanh_cells else None
        scratch = x.new_empty(units, batch)
        # Every per-step view made once (unbind), so the loop only calls kernels.
        calls = [(activation, z[rows], output.unbind(0)) for rows, activation, output in activations]
        i, f, g, o = (gate.unbind(0) for gate in gates)
        step_columns, step_cells, step_hidden, step_read = (columns.unbind(0), cells.unbind(0),
                                                            hidden.unbind(0), read.unbind(0))
        step_tanh_cells = tanh_cells.unbind(0) if keep_tanh_cells else [scratch] * steps
        c = states[1].t()
        for t in range(steps):
            torch.mm(weight, step_columns[t], out=z)
            slot = t if keep_gates else 0
            for activation, rows, outputs in calls:
                activation(rows, out=outputs[slot])
            c = torch.mul(f[slot], c, out=step_cells[t]).addcmul_(i[slot], g[slot])
            torch.mul(o[slot], torch.tanh(c, out=step_tanh_cells[t]), out=step_hidden[t])
            if mask is not None:
                torch.mul(step_hidden[t], mask, out=step_read[t + 1])
    return LSTMRun(columns, buffers, cells, hidden, tanh_cells)


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
