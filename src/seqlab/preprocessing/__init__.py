"""Keras's ``preprocessing`` paths: ``seqlab.preprocessing.sequence.pad_sequences`` and
``seqlab.preprocessing.text.Tokenizer``."""
from seqlab.preprocessing import sequence, text
# Keras exports both builders here too (keras.preprocessing.*).
from seqlab.utils.text_dataset import text_dataset_from_directory
from seqlab.utils.timeseries import timeseries_dataset_from_array

__all__ = ["sequence", "text", "text_dataset_from_directory", "timeseries_dataset_from_array"]
