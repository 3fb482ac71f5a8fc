"""Batches drawn from a ``torch.utils.data.DataLoader`` or any other iterable of batches.

Each batch is ``(x, y)`` / ``(x, y, sample_weight)`` (for ``predict``: ``x`` or ``(x, ...)``), as
Keras 3 on its torch backend accepts, and is converted and checked as arrays are (the one
conversion in :mod:`.road`), then moved to the model's device. With ``steps`` given, a pass
takes that many batches and the next pass continues where it stopped (a re-iterable source
restarts when it runs out); without, a pass is one full iteration, which needs ``len(source)``.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from seqlab.errors import describe
from seqlab.training.inputs.batch import Batch
from seqlab.training.inputs.roles import Role
from seqlab.training.inputs.rules import ModelInfo, check_batch_size


def is_stream(value) -> bool:
    """Whether ``value`` is a source of batches rather than an array-like of samples."""
    if value is None or isinstance(value, (np.ndarray, torch.Tensor, list, tuple, str, bytes, dict)):
        return False
    if hasattr(value, "to_numpy"):  # pandas
        return False
    return isinstance(value, torch.utils.data.DataLoader) or hasattr(value, "__iter__")


def check_arguments(source, role: Role, where: str, validation_split=0.0, **arguments) -> None:
    """A stream's batches carry everything: refuse the arguments that only arrays take."""
    if role.packed:  # the arguments given belong to fit's training data, not to validation_data
        return
    for name, value in arguments.items():
        if value is not None:
            raise ValueError(
                f"{where}: `{role.argument}` is a {type(source).__name__}, whose batches carry "
                f"everything; leave `{name}` out (got {describe(value)})"
            )
    if validation_split:
        raise ValueError(f"{where}: `validation_split` needs arrays; with a {type(source).__name__} as "
                         f"`{role.argument}`, pass validation_data=(x_val, y_val) or another loader")


def unpack(raw, role: Role, where: str):
    """``(x, y, sample_weight)`` from one batch of a stream (``x`` alone without targets)."""
    name = role.argument
    if isinstance(raw, (tuple, list)) and 1 <= len(raw) <= 3:
        parts = list(raw) + [None] * (3 - len(raw))
        if role.targets and parts[1] is None:
            raise ValueError(f"{where}: each batch of `{name}` must be (x, y) or (x, y, sample_weight), "
                             f"got a batch of {len(raw)} element")
        return parts
    if not role.targets:
        return [raw, None, None]
    raise TypeError(
        f"{where}: each batch of `{name}` must be a tuple (x, y) or (x, y, sample_weight), "
        f"got {describe(raw)}"
    )


class StreamSource:
    """Batches drawn from a DataLoader or another iterable, converted by ``convert(raw)``."""

    batch_size = None  # the stream's own
    validation = None  # fit's validation source, if any (see road.make_source)

    def __init__(self, info: ModelInfo, role: Role, source, steps, convert, where: str):
        self.info, self.role = info, role
        self.source = source
        self.convert = convert
        self.where, self.name = where, role.argument
        self.one_pass = isinstance(source, Iterator)  # a generator: batches once, never again
        if steps is None:
            steps = None if self.one_pass else _length(source)
            if steps is None:
                raise ValueError(
                    f"{where}: `{self.name}` ({type(source).__name__}) has no length, so the number of "
                    f"batches per pass is unknown; give `{role.steps_argument}`"
                )
        self.steps = steps
        self.device: torch.device | None = None  # set once the model is placed
        self._iterator = iter(source)
        self.first = self._next()  # the model builds from it before the first pass
        self._pending = [self.first]

    def batches(self):  # a DataLoader shuffles on its own
        for _ in range(self.steps):
            batch = self._pending.pop() if self._pending else self._next()
            yield batch if self.device is None else batch.to(self.device)

    def _next(self) -> Batch:
        try:
            raw = next(self._iterator)
        except StopIteration:
            if self.one_pass:
                raise ValueError(
                    f"{self.where}: `{self.name}` ran out of batches; a generator must yield "
                    f"`{self.role.steps_argument}` batches for every pass"
                ) from None
            self._iterator = iter(self.source)  # a DataLoader starts its next pass
            try:
                raw = next(self._iterator)
            except StopIteration:
                raise ValueError(f"{self.where}: `{self.name}` yielded no batches") from None
        batch = self.convert(raw)
        check_batch_size(self.info, batch.size, self.name, self.where)
        return batch


def _length(source) -> int | None:
    try:
        return len(source)
    except TypeError:  # e.g. a DataLoader over an IterableDataset
        return None
