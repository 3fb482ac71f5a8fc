"""Keras's ``preprocessing`` paths: ``seqlab.preprocessing.sequence.pad_sequences``."""
from seqlab.preprocessing import sequence
from seqlab.utils.timeseries import timeseries_dataset_from_array  # Keras exports it here too

__all__ = ["sequence", "timeseries_dataset_from_array"]
