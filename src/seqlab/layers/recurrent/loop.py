"""The one step loop that runs every cell: the execution path for any configuration.

It is used when the fused kernels cannot express a setting (a non-standard activation,
recurrent dropout while training) and when a trace of the gates is requested. Its cost is
kept low the way the measurements in ``PERF_NOTES.md`` suggest: the input is projected for all
timesteps before the loop (only the recurrent matmul stays inside), and timesteps are taken
with ``unbind`` rather than indexing, whose backward would allocate a full-size zero tensor
at every step.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from seqlab.layers.recurrent.cells import Cell, States

Tensor = torch.Tensor


@dataclass
class StepRecord:
    """What a recorded run saw at every timestep (lists of per-step tensors).

    ``gates[t]`` follows ``cell.gate_names``; ``states[t]`` is the carried state after step
    ``t`` (for a masked step, the state carried over unchanged). ``keep_gates`` /
    ``keep_states`` False leave that list empty: a trace that did not ask for the gates does
    not hold them.
    """

    gates: list = field(default_factory=list)
    states: list = field(default_factory=list)
    keep_gates: bool = True
    keep_states: bool = True


def run_loop(cell: Cell, x_proj: Tensor, states: States, weight_hh: Tensor,
             bias_hh: Tensor | None = None, *, mask: Tensor | None = None,
             recurrent_mask: Tensor | None = None, return_sequences: bool = True,
             zero_output_for_mask: bool = False, record: StepRecord | None = None, step=None):
    """Run ``cell`` over every timestep.

    Masked timesteps follow Keras: the state is carried over unchanged and the output repeats
    the previous output (zeros before the first unmasked step, or zeros throughout with
    ``zero_output_for_mask``).

    Args:
        cell: the cell maths.
        x_proj: ``(N, L, num_blocks * H)`` input projected for every gate, bias included
            (a convolutional cell: ``(N, L, ...)`` feature maps of ``num_blocks * filters``).
        states: initial states, each ``(N, H)`` (or ``(N, ...)`` feature maps).
        weight_hh: ``(num_blocks * H, H)`` recurrent weights (torch layout), prepared for the
            step by ``cell.recurrent_weight``.
        bias_hh: recurrent bias (GRU) or None.
        mask: ``(N, L)`` booleans, True where a timestep counts, or None.
        recurrent_mask: ``(N, H)`` recurrent-dropout mask, fixed for the sequence, or None.
        return_sequences: return every output ``(N, L, H)`` or only the last ``(N, H)``.
        zero_output_for_mask: output zeros at masked timesteps.
        record: when given, receives the gates and states of every step.
        step: the step function (default ``cell.step``; the compiled path passes its own).

    Returns:
        ``(outputs, final_states)``.

    >>> import torch
    >>> from seqlab.layers.recurrent.cells import rnn_cell
    >>> out, (h,) = run_loop(rnn_cell(torch.tanh), torch.zeros(2, 3, 4), (torch.zeros(2, 4),),
    ...                      torch.eye(4))
    >>> tuple(out.shape), tuple(h.shape)
    ((2, 3, 4), (2, 4))
    """
    step = cell.step if step is None else step
    weight_hh_t = cell.recurrent_weight(weight_hh)
    outputs = []
    output = None
    step_masks = None
    if mask is not None:
        # (N, L) -> one (N, 1, ...) per step, broadcast over a state's non-batch axes: (N, H)
        # for SimpleRNN/LSTM/GRU, a feature map (N, rows, cols, filters) for ConvLSTM2D.
        step_masks = mask.reshape(*mask.shape, *(1,) * (states[0].dim() - 1)).unbind(1)
    if mask is not None:
        previous = torch.zeros_like(states[0])
        zeros = previous
    for t, x_t in enumerate(x_proj.unbind(1)):
        output, new_states, gates = step(x_t, states, weight_hh_t, bias_hh, recurrent_mask)
        if step_masks is not None:
            keep = step_masks[t]  # (N, 1) or (N, 1, ..., 1)
            new_states = tuple(torch.where(keep, new, old) for new, old in zip(new_states, states))
            output = torch.where(keep, output, zeros if zero_output_for_mask else previous)
            previous = output
        states = new_states
        if return_sequences:
            outputs.append(output)
        if record is not None:
            if record.keep_gates:
                record.gates.append(gates)
            if record.keep_states:
                record.states.append(states)
    if return_sequences:
        return torch.stack(outputs, dim=1), states
    return output, states
