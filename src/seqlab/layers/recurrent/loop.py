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
    """What a recorded run saw at every timestep.

    ``gates`` follow ``cell.gate_names``; ``states`` are the carried states after each step (for
    a masked step, the state carried over unchanged). ``keep_gates`` / ``keep_states`` False
    leave that part out: a trace that did not ask for the gates does not hold them.

    By default each step is copied into one time-major buffer per quantity, ``(L, N, ...)``,
    allocated at the first step: every write is contiguous and the record holds one array per
    gate and state rather than ``L`` small tensors to stack at the end (which doubled a trace's
    memory and cost one more pass over it). With ``keep_steps`` the per-step tensors themselves
    are kept, uncopied: gradients through time need them as part of the autograd graph, and a
    hand-written backward reads them one step at a time.
    """

    keep_gates: bool = True
    keep_states: bool = True
    keep_steps: bool = False
    gates: list = field(default_factory=list)  # keep_steps: one tuple of gate tensors per step
    states: list = field(default_factory=list)  # keep_steps: one tuple of states per step
    _gate_buffers: tuple = ()
    _state_buffers: tuple = ()

    def add(self, t: int, steps: int, gates: tuple, states: tuple) -> None:
        """Record step ``t`` of ``steps``."""
        if self.keep_steps:
            if self.keep_gates:
                self.gates.append(gates)
            if self.keep_states:
                self.states.append(states)
            return
        if t == 0:
            self._gate_buffers = _buffers(gates, steps) if self.keep_gates else ()
            self._state_buffers = _buffers(states, steps) if self.keep_states else ()
        for buffer, value in zip(self._gate_buffers, gates):
            buffer[t].copy_(value)
        for buffer, value in zip(self._state_buffers, states):
            buffer[t].copy_(value)

    def set_sequences(self, gates: tuple, states: tuple) -> None:
        """Record whole sequences at once, each ``(N, L, ...)``: the fused kernel's hidden states, or
        the buffers of the in-place LSTM kernel (:mod:`.inplace`)."""
        self._gate_buffers = tuple(gate.movedim(1, 0) for gate in gates)
        self._state_buffers = tuple(state.movedim(1, 0) for state in states)

    def gate_sequence(self, index: int) -> Tensor:
        """Gate ``index`` at every step, ``(N, L, ...)``."""
        if self.keep_steps:
            return torch.stack([step[index] for step in self.gates], dim=1)
        return self._gate_buffers[index].movedim(0, 1)

    def state_sequence(self, index: int) -> Tensor:
        """State ``index`` (0: hidden, 1: an LSTM's cell) after every step, ``(N, L, ...)``."""
        if self.keep_steps:
            return torch.stack([step[index] for step in self.states], dim=1)
        return self._state_buffers[index].movedim(0, 1)


def _buffers(values: tuple, steps: int) -> tuple:
    return tuple(torch.empty((steps, *value.shape), dtype=value.dtype, device=value.device)
                 for value in values)


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
            record.add(t, x_proj.shape[1], gates, states)
    if return_sequences:
        return torch.stack(outputs, dim=1), states
    return output, states
