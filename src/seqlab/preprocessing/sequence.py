"""Keras's ``keras.preprocessing.sequence`` path; the implementation is :mod:`seqlab.data.padding`."""
from seqlab.data.padding import pad_sequences, padding_mask

__all__ = ["pad_sequences", "padding_mask"]
