"""What seqlab's dataset builders share: the order of a pass and the number of batches.

Each dataset is re-iterable (one pass per epoch) and has ``len()`` (its batches), so ``fit``
takes it with no ``steps_per_epoch``.
"""
from __future__ import annotations

import numpy as np


def pass_order(items: np.ndarray, shuffle: bool, seed: int, pass_number: int) -> np.ndarray:
    """``items`` in the order of one pass: as given, or shuffled by
    ``np.random.RandomState(seed)`` on the first pass (Keras's first shuffle) and by
    ``seed + pass_number`` after (Keras's tf.data shuffle draws a new order every epoch)."""
    if not shuffle:
        return items
    items = items.copy()
    np.random.RandomState((seed + pass_number) % 2**32).shuffle(items)
    return items


def batch_count(size: int, batch_size: int | None) -> int:
    """Batches of a pass: the last may be smaller; ``None`` yields single samples."""
    return size if batch_size is None else -(-size // batch_size)


def draw_seed() -> int:
    """Keras's seed when none is given: ``np.random.randint(1e6)``."""
    return int(np.random.randint(1e6))
