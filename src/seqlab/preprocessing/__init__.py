"""Keras's ``preprocessing`` paths: ``seqlab.preprocessing.sequence.pad_sequences``."""
from seqlab.preprocessing import sequence

__all__ = ["sequence"]
