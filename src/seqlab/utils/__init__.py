"""Keras's ``utils``: one-hot encoding and seeding (padding lives in :mod:`seqlab.data`)."""
from seqlab.utils.categorical import to_categorical
from seqlab.utils.seeding import set_random_seed
from seqlab.data.padding import pad_sequences

__all__ = ["to_categorical", "set_random_seed", "pad_sequences"]
