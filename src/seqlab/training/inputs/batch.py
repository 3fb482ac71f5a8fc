"""One batch: inputs, targets and per-sample weights that share the batch axis.

Each of ``x``, ``y`` and ``sample_weight`` is a tensor or a structure of tensors (a list, tuple
or dict, for models with several inputs or outputs; see :mod:`.tree`). ``y`` is None for
``predict``, ``sample_weight`` when no weights were given.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from seqlab.training.inputs import tree


@dataclass
class Batch:
    """Inputs, targets and optional per-sample weights sharing the batch axis."""

    x: object  # a tensor, or a list/tuple/dict of tensors
    y: object = None
    sample_weight: object = None

    @property
    def size(self) -> int:
        x = self.x
        return int((x if isinstance(x, torch.Tensor) else tree.first_leaf(x)).shape[0])

    def take(self, index) -> "Batch":
        """The samples at ``index`` (a slice or an index tensor) of every leaf."""
        return Batch(tree.take(self.x, index), tree.take(self.y, index), tree.take(self.sample_weight, index))

    def split(self, fraction: float, where: str) -> tuple["Batch", "Batch"]:
        """Keras's ``validation_split``: the last ``fraction`` of the samples, before shuffling."""
        size = self.size
        split_at = int(math.floor(size * (1.0 - fraction)))
        if split_at in (0, size):
            raise ValueError(
                f"{where}: validation_split={fraction} leaves {split_at} of {size} samples for "
                "training; it needs at least one sample on each side (provide more data or "
                "another validation_split)"
            )
        return self.take(slice(0, split_at)), self.take(slice(split_at, size))

    def to(self, device) -> "Batch":
        # non_blocking only towards an accelerator: a non-blocking copy to the CPU may still be
        # in flight when the model reads the batch.
        non_blocking = torch.device(device).type != "cpu"
        return Batch(tree.move(self.x, device, non_blocking), tree.move(self.y, device, non_blocking),
                     tree.move(self.sample_weight, device, non_blocking))
