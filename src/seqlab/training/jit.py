"""``compile(jit_compile=...)``: the training forward pass compiled by ``torch.compile``.

With ``jit_compile=True`` the model's forward pass in ``fit`` runs through ``torch.compile``
(inductor; AOTAutograd compiles its backward too); the loss, the optimizer step, evaluation and
prediction stay eager. The weights are the model's own, so a compiled and an eager run train
the same numbers (``tests/training/test_jit_compile.py``: within 1e-5 after 3 steps).

Compiling costs time once, on the first batch: on the 2-core machine of PERF_NOTES.md about
6-60 s depending on the model and on whether inductor's on-disk cache is warm. ``fit`` prints
that first-call cost when ``verbose`` is on. ``'auto'`` (Keras's default; on Keras's torch
backend it means eager) compiles only where it was measured faster, which on the measured
platforms is nowhere yet: seqlab's recurrent layers already run torch's fused kernels, and the
first call's cost outweighs what compiling saves in the fits this project measured
(docs/training.md has the numbers).
"""
from __future__ import annotations

import time
import warnings

import torch

from seqlab.layers.recurrent import fused

# Where compiling the training step was measured faster, by platform (see docs/training.md);
# empty: 'auto' runs eagerly everywhere measured so far.
MEASURED_FASTER: frozenset[str] = frozenset()


def resolve(jit_compile, model) -> bool:
    """Whether ``fit`` compiles the forward pass (``jit_compile`` already checked)."""
    if jit_compile == "auto":
        return _platform(model) in MEASURED_FASTER
    return bool(jit_compile)


def _platform(model) -> str:
    parameter = next(model.parameters(), None)
    if parameter is not None and parameter.device.type == "cuda":
        return "cuda"
    return f"cpu:{torch.backends.cpu.get_cpu_capability()}"


class CompiledForward:
    """The model's forward through ``torch.compile``, made on first use; ``first_call_seconds``
    is what the first call (compiling included) cost. A failure to compile warns once and runs
    the model eagerly from then on."""

    def __init__(self, model):
        self.model = model
        self.compiled = None
        self.first_call_seconds: float | None = None
        self.failure: str | None = None
        self.reported = False  # fit prints the first-call cost once

    def __call__(self, x, training: bool):
        if self.failure is not None:
            return self.model(x, training=training)
        if self.compiled is not None:
            return self.compiled(x, training=training)
        start = time.perf_counter()
        try:
            fused.exclude_from_compile()
            self.compiled = torch.compile(self.model)
            result = self.compiled(x, training=training)
        except Exception as error:  # noqa: BLE001 - any compiler failure means: run eagerly
            self.failure = f"{type(error).__name__}: {error}".splitlines()[0][:300]
            warnings.warn(f"compile(jit_compile=True): torch.compile failed ({self.failure}); "
                          "training runs eagerly", RuntimeWarning, stacklevel=3)
            return self.model(x, training=training)
        self.first_call_seconds = time.perf_counter() - start
        return result
