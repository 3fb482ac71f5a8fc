"""Keras's ``utils``: one-hot encoding, seeding, the dataset builders (padding lives in :mod:`seqlab.data`)."""
from seqlab.utils.categorical import to_categorical
from seqlab.utils.seeding import set_random_seed
from seqlab.data.padding import pad_sequences
from seqlab.utils.text_dataset import text_dataset_from_directory
from seqlab.utils.timeseries import timeseries_dataset_from_array

__all__ = ["to_categorical", "set_random_seed", "pad_sequences", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
