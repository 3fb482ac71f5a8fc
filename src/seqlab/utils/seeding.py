"""Determinism in one place: ``set_random_seed`` seeds Python, NumPy and torch."""
from __future__ import annotations

import random

import numpy as np
import torch

from seqlab.checks import check_seed


def set_random_seed(seed: int) -> None:
    """Seed every random number generator seqlab draws from.

    After this call, building and training the same model on the same data on the CPU repeats
    exactly (weight initialisation, dropout masks and shuffling all draw from these generators).
    """
    seed = check_seed("set_random_seed", "seed", seed, allow_none=False)
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(int(seed))
