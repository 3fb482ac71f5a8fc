"""Which array of a :class:`~seqlab.inspect.Trace` an analysis reads: the one place a trace (or a
plain ``(N, L, H)`` array) becomes activations and a mask of the steps that counted."""
from __future__ import annotations

import numpy as np

from seqlab.errors import describe
from seqlab.inspect.recording import Trace


def activations(owner: str, trace_or_array, state: str = "hidden") -> tuple[np.ndarray, np.ndarray]:
    """``(A, counted)``: ``A`` the ``(N, L, H)`` float64 activations named by ``state`` (``'hidden'``,
    ``'cell'`` or a gate's name) of a Trace, or the array itself; ``counted`` ``(N, L)`` booleans,
    False at masked steps (all True for an array or an unmasked trace)."""
    if isinstance(trace_or_array, (Trace, dict)):
        trace = check_trace(owner, trace_or_array)
        values, mask = _state(owner, trace, state), trace.mask
    else:
        try:
            values = np.asarray(trace_or_array, dtype="float64")
        except (TypeError, ValueError):
            raise TypeError(f"{owner}: expected a Trace or an array (samples, timesteps, units), "
                            f"got {describe(trace_or_array)}") from None
        mask = None
    values = np.asarray(values, dtype="float64")
    if values.ndim != 3:
        raise ValueError(f"{owner}: activations must be 3-D (samples, timesteps, units), "
                         f"got shape {values.shape}")
    counted = np.ones(values.shape[:2], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    return values, counted


def _state(owner: str, trace: Trace, state: str) -> np.ndarray:
    if state == "hidden":
        return trace.hidden
    if state == "cell":
        if trace.cell is None:
            raise ValueError(f"{owner}: `state` 'cell' needs an LSTM trace; layer '{trace.layer}' has "
                             f"no cell state (choose from {choices(trace)})")
        return trace.cell
    if state in trace.gates:
        return trace.gates[state]
    raise ValueError(f"{owner}: `state` must be one of {choices(trace)} for layer '{trace.layer}', "
                     f"got {state!r}")


def choices(trace: Trace) -> list[str]:
    return ["hidden", *(["cell"] if trace.cell is not None else []), *trace.gates]


def check_trace(owner: str, trace) -> Trace:
    if isinstance(trace, dict):
        raise TypeError(f"{owner}: `trace` must be one Trace, got a dict with keys {sorted(trace)}; "
                        "pick one, e.g. trace(model, x)['lstm'] or, for a Bidirectional, ['forward']")
    if not isinstance(trace, Trace):
        raise TypeError(f"{owner}: `trace` must be a seqlab.inspect.Trace, got {describe(trace)}")
    return trace
