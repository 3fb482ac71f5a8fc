"""The ``'compiled_loop'`` path: the step loop with each cell's step compiled by ``torch.compile``.

Compiling fuses a step's pointwise work (the gate activations, the state update) into a few
kernels, which is what an eager step loop spends its time on besides the recurrent matmul. One
compiled step serves every timestep and every sequence length (the loop stays in Python), so a
new length does not recompile.

Compiling costs time once per cell and input shape, and on the 2-core machine of PERF_NOTES.md
it does not pay: the first compiled LSTM training step took 148 s, and the compiled loop then
trained at 0.36x raw torch against the eager loop's 0.59x (docs/recurrent.md). So
:func:`seqlab.layers.recurrent.paths.choose_path` never picks this path by itself; a user asks
for it with ``force_path('compiled_loop')`` on a platform where it measures faster.

Where compiling is unavailable or fails, the step runs eagerly after one warning: never a crash.
"""
from __future__ import annotations

import time
import warnings

import torch

from seqlab.layers.recurrent.cells import Cell

_compiled: dict[Cell, object] = {}
_failure: str | None = None  # why compiling failed once in this process: eager from then on
compile_seconds: dict[str, float] = {}  # first-call cost of each compiled cell kind, for reports


def step_function(cell: Cell):
    """A ``step(x_proj, states, weight_hh_t, bias_hh, recurrent_mask)`` for ``cell`` that runs
    compiled where it can and eagerly otherwise (same signature as :meth:`Cell.step`)."""
    if _failure is not None:
        return cell.step

    def step(*args):
        global _failure
        if _failure is None:
            try:
                return _run_compiled(cell, args)
            except Exception as error:  # noqa: BLE001 - any compiler failure means: run eagerly
                _failure = f"{type(error).__name__}: {error}".splitlines()[0][:300]
                warnings.warn(f"seqlab: torch.compile of the recurrent step failed ({_failure}); "
                              "the step loop runs eagerly", RuntimeWarning, stacklevel=2)
        return cell.step(*args)

    return step


def _run_compiled(cell: Cell, args):
    fn = _compiled.get(cell)
    if fn is None:
        fn = torch.compile(cell.step, dynamic=False)
        _compiled[cell] = fn
        start = time.perf_counter()
        result = fn(*args)
        compile_seconds[cell.kind] = compile_seconds.get(cell.kind, 0.0) + time.perf_counter() - start
        return result
    return fn(*args)


def compile_failure() -> str | None:
    """Why compiling failed in this process (the loop then runs eagerly), or None."""
    return _failure
