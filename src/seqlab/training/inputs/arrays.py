"""Batches cut from arrays held in memory (NumPy, pandas, tensors).

The arrays are converted and checked once per call (:mod:`.road`), moved to the model's device
once, and sliced into batches there: a slice is a view, so an epoch costs no copies unless it is
shuffled (then each batch gathers its rows by index).
"""
from __future__ import annotations

import math

import torch

from seqlab.errors import describe
from seqlab.training.inputs.batch import Batch
from seqlab.training.inputs.roles import Role
from seqlab.training.inputs.rules import ModelInfo, check_batch_size, check_fixed_batch

# How much of the arrays a pass takes, for the message that refuses `steps` with arrays.
_WHOLE = {Role.FIT: "every epoch covers all of x", Role.VALIDATE: "all of it is evaluated"}


def refuse_steps(role: Role, steps, where: str) -> None:
    if steps is not None:
        raise ValueError(
            f"{where}: `{role.steps_argument}` is for a DataLoader or a generator as `{role.argument}`; "
            f"with arrays {_WHOLE.get(role, 'all of x is used')}"
        )


def unpack(role: Role, x, y, sample_weight, where: str):
    """``(x, y, sample_weight)``; a packed role's come as one tuple in ``x`` (``validation_data``)."""
    if not role.packed:
        return x, y, sample_weight
    if not isinstance(x, (tuple, list)) or len(x) not in (2, 3):
        raise TypeError(
            f"{where}: `{role.argument}` must be a tuple (x_val, y_val) or (x_val, y_val, "
            f"sample_weight_val), got {describe(x)}"
        )
    return list(x) + [None] * (3 - len(x))


class ArraySource:
    """Batches cut from a :class:`Batch` of all the samples, held on the model's device."""

    validation = None  # fit's validation source, if any (see road.make_source)

    def __init__(self, info: ModelInfo, role: Role, batch: Batch, batch_size: int, device, where: str,
                 shuffle: bool = False):
        if role.one_batch:
            check_batch_size(info, batch.size, role.argument, where)
        else:
            check_fixed_batch(info, batch.size, batch_size, role.samples_name, where)
        self.data = batch.to(device)
        self.device = device
        self.batch_size = batch_size
        self.size = batch.size
        self.steps = steps_for(self.size, batch_size)
        self.shuffle = shuffle and role.shuffles

    def batches(self):
        data = self.data
        order = torch.randperm(self.size).to(self.device) if self.shuffle else None  # CPU generator: seeded
        for index in batches(self.size, self.batch_size, order):
            yield data.take(index)


def batches(size: int, batch_size: int, order: torch.Tensor | None):
    """Yield the indices of each batch: slices (cheap views) or index tensors when shuffled."""
    for start in range(0, size, batch_size):
        stop = min(start + batch_size, size)
        yield slice(start, stop) if order is None else order[start:stop]


def steps_for(size: int, batch_size: int) -> int:
    return math.ceil(size / batch_size)
