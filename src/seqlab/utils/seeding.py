"""Determinism in one place: ``set_random_seed`` seeds Python, NumPy and torch."""
from __future__ import annotations

import random

import numpy as np
import torch


def set_random_seed(seed: int) -> None:
    """Seed every random number generator seqlab draws from.

    After this call, building and training the same model on the same data on the CPU repeats
    exactly (weight initialisation, dropout masks and shuffling all draw from these generators).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: `seed` must be a non-negative integer, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))
