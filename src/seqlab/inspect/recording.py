"""Recording the inside of recurrent layers while a model runs.

While a :class:`Recorder` is active, every recurrent layer in the model takes the step loop with
recording on — the same weights the fused path uses — and hands its per-step gates and states
to the recorder. Stateful layers get their carried state back afterwards, so looking inside a
model does not change what it does next.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqlab.layers.dtype_policy import full_precision
from seqlab.layers.recurrent.layer import RecurrentLayer
from seqlab.layers.recurrent.loop import StepRecord


@dataclass
class Trace:
    """Every gate and state of one recurrent layer at every timestep.

    Each array has shape ``(batch, timesteps, units)``. Timesteps are in the order the layer's
    outputs come in: the processing order, which for a ``go_backwards`` layer is the input
    reversed (``timesteps_reversed=True``); the backward half of a ``Bidirectional`` trace is
    flipped back into input order, as its outputs are.

    Attributes:
        layer: the layer's name.
        gates: LSTM ``input``, ``forget``, ``candidate``, ``output``; GRU ``update``, ``reset``,
            ``candidate``; SimpleRNN none. At a masked timestep, what the gates computed (they
            are not applied: the state is carried over).
        hidden: the hidden state ``h_t`` after each timestep (None when not recorded).
        cell: the LSTM cell state ``c_t`` (None for GRU and SimpleRNN, or when not recorded).
        mask: ``(batch, timesteps)`` booleans, True where the step counted, or None.
        timesteps_reversed: True when index ``t`` is input step ``L - 1 - t``.
    """

    layer: str
    gates: dict
    hidden: np.ndarray | None
    cell: np.ndarray | None = None
    mask: np.ndarray | None = None
    timesteps_reversed: bool = False

    def flipped(self) -> "Trace":
        """The same trace with the time axis reversed."""
        flip = lambda a: None if a is None else np.ascontiguousarray(a[:, ::-1])  # noqa: E731
        return Trace(self.layer, {k: flip(v) for k, v in self.gates.items()}, flip(self.hidden),
                     flip(self.cell), flip(self.mask), not self.timesteps_reversed)

    def __repr__(self) -> str:
        parts = [f"gates={list(self.gates)}"]
        if self.hidden is not None:
            parts.append(f"hidden{self.hidden.shape}")
        if self.cell is not None:
            parts.append(f"cell{self.cell.shape}")
        if self.mask is not None:
            parts.append("masked")
        return f"Trace({self.layer!r}, " + ", ".join(parts) + ")"


def _numpy(sequence: torch.Tensor) -> np.ndarray:
    # A mixed layer records bfloat16 steps, which NumPy has no type for: traces are float32.
    # A time-major record gives a strided (N, L, ...) view: NumPy keeps it as a view, no copy.
    return full_precision(sequence.detach()).cpu().numpy()


RECORDABLE = ("gates", "cell", "hidden")


def check_record(record) -> frozenset:
    """``record`` (names from :data:`RECORDABLE`) as a set, or a clear error."""
    if isinstance(record, str) or not isinstance(record, (list, tuple, set, frozenset)):
        raise TypeError(f"inspect: `record` must be a list of names from {list(RECORDABLE)}, "
                        f"got {record!r}")
    unknown = sorted(str(name) for name in record if name not in RECORDABLE)
    if unknown or not record:
        raise ValueError(f"inspect: `record` must name at least one of {list(RECORDABLE)}, got "
                         f"{list(record)!r}" + (f" ({unknown} unknown)" if unknown else ""))
    return frozenset(record)


class Recorder:
    """Context manager: ``with Recorder(model) as rec: model(x)`` fills ``rec.records``.

    ``record`` names what to keep (:data:`RECORDABLE`); what is not named is never held.
    """

    def __init__(self, model: torch.nn.Module, record=RECORDABLE, keep_steps: bool = False):
        self.record = check_record(record)
        self.keep_steps = keep_steps  # per-step tensors stay in the autograd graph (gradients)
        self.layers = [m for m in model.modules() if isinstance(m, RecurrentLayer)]
        self.records: dict[int, tuple[RecurrentLayer, StepRecord, torch.Tensor | None]] = {}
        self._saved: list = []

    def __enter__(self) -> "Recorder":
        self._saved = [layer.keeper.states for layer in self.layers]
        for layer in self.layers:
            layer._recorder = self
        return self

    def __exit__(self, *exc) -> None:
        for layer, states in zip(self.layers, self._saved):
            layer._recorder = None
            layer.keeper.states = states

    def new_record(self) -> StepRecord:
        """An empty record keeping only what was asked for."""
        return StepRecord(keep_gates="gates" in self.record,
                          keep_states=bool({"hidden", "cell"} & self.record), keep_steps=self.keep_steps)

    def add(self, layer: RecurrentLayer, record: StepRecord, mask) -> None:
        self.records[id(layer)] = (layer, record, mask)

    def trace(self, layer: RecurrentLayer) -> Trace | None:
        """The recorded trace of ``layer`` as NumPy arrays, or None if it did not run."""
        if id(layer) not in self.records:
            return None
        _, record, mask = self.records[id(layer)]
        names = layer.cell.gate_names if "gates" in self.record else ()
        gates = {name: _numpy(record.gate_sequence(i)) for i, name in enumerate(names)}
        hidden = _numpy(record.state_sequence(0)) if "hidden" in self.record else None
        has_cell = layer.cell.num_states == 2 and "cell" in self.record
        cell = _numpy(record.state_sequence(1)) if has_cell else None
        mask = None if mask is None else mask.detach().cpu().numpy()
        return Trace(layer.name, gates, hidden, cell, mask, layer.go_backwards)

    def hidden_tensors(self, layer: RecurrentLayer) -> list[torch.Tensor]:
        """The hidden-state tensors of every step, still part of the autograd graph."""
        _, record, _ = self.records[id(layer)]
        return [states[0] for states in record.states]
