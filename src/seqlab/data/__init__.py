"""Sequence data preparation that cannot leak.

- windows: :func:`make_windows` (zero-copy ``(X, y)`` windows), the notes' ``prepare_sequence_data``
  and ``create_seq``; framing: :func:`series_to_supervised` (pandas ``shift``).
- splits and scaling: :func:`chronological_split` → :class:`Split`; :class:`SeriesScaler` fits
  on the train part only and inverts predictions column by column.
- encoding, padding, text: :func:`to_categorical`/:func:`from_categorical`, :func:`encode_labels`/
  :func:`decode_onehot` (scikit-learn's LabelEncoder), :func:`pad_sequences` (Keras's semantics),
  :class:`Vocabulary` and next-token :func:`text_windows`.
- missing timesteps: :func:`regularize`, :func:`find_gaps`, :func:`fill_interpolate`,
  :func:`fill_constant`, :func:`fill_seasonal` (imputed positions always returned).
- files: :func:`load_csv`.
"""
# padding first: seqlab.utils re-exports pad_sequences and may be what is importing us.
from seqlab.data.padding import pad_sequences, padding_mask
from seqlab.data.errors import DataFileError, LeakageError
from seqlab.data.windows import Windows, create_seq, createSeq, make_windows, prepare_sequence_data
from seqlab.data.framing import series_to_supervised
from seqlab.data.split import Split, chronological_split
from seqlab.data.scaling import SeriesScaler
from seqlab.data.encoding import decode_onehot, encode_labels, from_categorical, to_categorical
from seqlab.data.text import Vocabulary, sample_text_windows, text_windows
from seqlab.data.missing import (Filled, Regularized, fill_constant, fill_interpolate, fill_seasonal,
                                 find_gaps, regularize)
from seqlab.data.csv import load_csv

__all__ = [
    "pad_sequences", "padding_mask", "DataFileError", "LeakageError",
    "Windows", "make_windows", "prepare_sequence_data", "create_seq", "createSeq",
    "series_to_supervised", "Split", "chronological_split", "SeriesScaler",
    "to_categorical", "from_categorical", "encode_labels", "decode_onehot",
    "Vocabulary", "text_windows", "sample_text_windows",
    "Regularized", "Filled", "regularize", "find_gaps", "fill_interpolate", "fill_constant",
    "fill_seasonal", "load_csv",
]
