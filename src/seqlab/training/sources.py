"""Where the batches of ``fit``/``evaluate``/``predict`` come from.

Two sources with one interface (``steps`` per pass and ``batches()`` yielding
:class:`~seqlab.training.data.Batch` objects on the model's device):

* :class:`ArraySource`: arrays held in memory (NumPy, pandas, tensors), cut into batches by
  index and reshuffled every epoch on request;
* :class:`StreamSource`: a ``torch.utils.data.DataLoader`` or any other iterable of
  ``(x, y)`` / ``(x, y, sample_weight)`` batches (for ``predict``: ``x`` or ``(x, ...)``), as
  Keras 3 on its torch backend accepts. Every batch is converted and checked as arrays are.
  With ``steps`` given, a pass takes that many batches and the next pass continues where it
  stopped (a re-iterable source restarts when it runs out); without, a pass is one full
  iteration, which needs ``len(source)``.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from seqlab.errors import describe
from seqlab.training.data import Batch
from seqlab.training.steps import batches, steps_for, take


def is_stream(value) -> bool:
    """Whether ``value`` is a source of batches rather than an array-like of samples."""
    if value is None or isinstance(value, (np.ndarray, torch.Tensor, list, tuple, str, bytes, dict)):
        return False
    if hasattr(value, "to_numpy"):  # pandas
        return False
    return isinstance(value, torch.utils.data.DataLoader) or hasattr(value, "__iter__")


class ArraySource:
    """Batches cut from arrays that are already on the device."""

    def __init__(self, batch: Batch, batch_size: int):
        self.data = batch
        self.batch_size = batch_size
        self.size = batch.size
        self.steps = steps_for(batch.size, batch_size)

    def batches(self, shuffle: bool = False):
        data = self.data
        order = torch.randperm(data.size).to(data.x.device) if shuffle else None  # CPU generator: seeded
        for index in batches(data.size, self.batch_size, order):
            yield Batch(data.x[index], take(data.y, index), take(data.sample_weight, index))


class StreamSource:
    """Batches drawn from a DataLoader or another iterable, converted by ``convert(raw)``."""

    def __init__(self, source, convert, steps, where: str, name: str):
        self.source = source
        self.convert = convert
        self.where, self.name = where, name
        self.one_pass = isinstance(source, Iterator)  # a generator: batches once, never again
        if steps is None:
            steps = None if self.one_pass else _length(source)
            if steps is None:
                raise ValueError(
                    f"{where}: `{name}` ({type(source).__name__}) has no length, so the number of "
                    f"batches per pass is unknown; give `{_steps_argument(where, name)}`"
                )
        self.steps = steps
        self.device: torch.device | None = None  # set once the model is placed
        self._iterator = iter(source)
        self.first = self._next()  # the model builds from it before training starts
        self._pending = [self.first]

    def batches(self, shuffle: bool = False):  # a DataLoader shuffles on its own
        for _ in range(self.steps):
            batch = self._pending.pop() if self._pending else self._next()
            yield batch if self.device is None else batch.to(self.device)

    def _next(self) -> Batch:
        try:
            return self.convert(next(self._iterator))
        except StopIteration:
            if self.one_pass:
                raise ValueError(
                    f"{self.where}: `{self.name}` ran out of batches; a generator must yield "
                    f"`{_steps_argument(self.where, self.name)}` batches for every pass"
                ) from None
        self._iterator = iter(self.source)  # a DataLoader starts its next pass
        try:
            return self.convert(next(self._iterator))
        except StopIteration:
            raise ValueError(f"{self.where}: `{self.name}` yielded no batches") from None


def _length(source) -> int | None:
    try:
        return len(source)
    except TypeError:  # e.g. a DataLoader over an IterableDataset
        return None


def _steps_argument(where: str, name: str) -> str:
    if where == "fit":
        return "validation_steps" if name.startswith("validation") else "steps_per_epoch"
    return "steps"


def unpack(raw, where: str, name: str, inputs_only: bool = False):
    """``(x, y, sample_weight)`` from one batch of a stream (``x`` alone for ``predict``)."""
    if isinstance(raw, (tuple, list)) and 1 <= len(raw) <= 3:
        parts = list(raw) + [None] * (3 - len(raw))
        if not inputs_only and parts[1] is None:
            raise ValueError(f"{where}: each batch of `{name}` must be (x, y) or (x, y, sample_weight), "
                             f"got a batch of {len(raw)} element")
        return parts
    if inputs_only:
        return [raw, None, None]
    raise TypeError(
        f"{where}: each batch of `{name}` must be a tuple (x, y) or (x, y, sample_weight), "
        f"got {describe(raw)}"
    )
