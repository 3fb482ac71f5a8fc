"""Bounds on what a spec may ask of this machine, checked before the work that would need it.

A spec of a few lines can ask for more than any machine holds — ``data.frequency = "1ns"`` puts
three months of daily prices on a grid of 10^16 rows, ``units = 100000000`` a layer of 10^8
units — and without a check the run dies inside pandas or torch with a raw allocation error
(or swaps for hours). Each bound here compares what the spec asks for with the memory this
machine has free, *before* the allocation, and the refusal is a ``SpecError`` naming the key:

- :func:`check_grid_rows`: the rows the frequency's grid makes of the data, before the grid is
  built (the windows cut from them are the run's largest arrays);
- :func:`training_memory`: a built model's weights with what training adds to each (gradient and
  two optimizer moments), and the activations of one batch kept for the backward pass.

The estimates are lower bounds of what the work needs, so a refusal is never wrong by more than
the margin; what passes may still be slow, but is not refused for the machine's sake.
"""
from __future__ import annotations

import math
import os

import pandas as pd

from seqlab.experiment.errors import spec_error
from seqlab.experiment.spec import Spec

FLOAT32, FLOAT64 = 4, 8
# Per weight, training holds the weight, its gradient and an optimizer's two moments (Adam).
COPIES_PER_WEIGHT = 4
# Per activation value of a batch: the forward value kept for the backward pass and its gradient.
COPIES_PER_ACTIVATION = 2
# Copies of the windows the run holds at once: unscaled, scaled, and the float32 batch tensors.
COPIES_OF_WINDOWS = 3


def available_bytes() -> int | None:
    """Memory this machine has free for new work (Linux ``MemAvailable``), or ``None`` where it
    cannot be read (then nothing is refused for its sake)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as stream:
            for line in stream:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def human_bytes(count: float) -> str:
    """``1536`` → ``'1.5 KiB'``; beyond PiB in PiB (``'6.9e+04 PiB'``)."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if count < 1024:
            return f"{count:.0f} bytes" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.3g} PiB"


def grid_rows(first: pd.Timestamp, last: pd.Timestamp, frequency: str) -> int:
    """Rows of ``pd.date_range(first, last, freq=frequency)``, counted without building it for a
    fixed-length step (``"1ns"``, ``"h"``, ``"D"``); a calendar step (``"B"``, ``"MS"``) is at
    least an hour long, so its grid over pandas' 600 years of timestamps is small enough to build."""
    offset = pd.tseries.frequencies.to_offset(frequency)
    try:
        step = offset.nanos
    except ValueError:  # not a fixed duration
        return len(pd.date_range(first, last, freq=offset))
    return int((last - first).value // step) + 1


def check_grid_rows(spec: Spec, first: pd.Timestamp, last: pd.Timestamp, rows_read: int) -> None:
    """Refuse a ``data.frequency`` whose grid would not fit in memory, before the grid exists."""
    rows = grid_rows(first, last, spec.data.frequency)
    windows = spec.windows
    per_row = (windows.look_back * len(spec.inputs) + windows.horizon * len(spec.targets)) * FLOAT64
    needed = rows * per_row * COPIES_OF_WINDOWS
    free = available_bytes()
    if free is not None and needed > free:
        raise spec_error(
            spec, "data.frequency",
            f"{spec.data.frequency!r} puts the {rows_read:,} rows read ({first} to {last}) on a grid of "
            f"{rows:,} rows, whose windows need about {human_bytes(needed)}; this machine has "
            f"{human_bytes(free)} free. Is the frequency the data's own step?")


def training_memory(model, batch_size: int) -> tuple[int, int]:
    """``(weights, activations)``: bytes the weights need during training (with their gradients
    and optimizer moments) and bytes one batch's layer outputs need, in float32."""
    weights = model.count_params() * FLOAT32 * COPIES_PER_WEIGHT
    values = sum(math.prod(d for d in shape[1:] if d is not None) for shape in model.output_shapes)
    return weights, values * batch_size * FLOAT32 * COPIES_PER_ACTIVATION


def weight_values_allowed() -> int | None:
    """How many weight values a model built for training may hold on this machine (None: no bound)."""
    free = available_bytes()
    return None if free is None else free // (FLOAT32 * COPIES_PER_WEIGHT)


def check_training_memory(spec: Spec, model) -> None:
    """Refuse a built model whose training would not fit in memory, before any batch runs."""
    free = available_bytes()
    if free is None:
        return
    weights, activations = training_memory(model, spec.training.batch_size)
    if weights + activations > free:
        largest = max(model.output_shapes, key=lambda s: math.prod(d for d in s[1:] if d is not None))
        raise spec_error(
            spec, "model.layers",
            f"training this model needs about {human_bytes(weights + activations)} "
            f"({model.count_params():,} weights with their gradients and optimizer state: "
            f"{human_bytes(weights)}; the outputs of one batch of {spec.training.batch_size}, the largest "
            f"of shape {largest}: {human_bytes(activations)}); this machine has {human_bytes(free)} free. "
            "Use fewer units or a smaller training.batch_size")
