"""Padding and truncating variable-length sequences to one length (Keras's ``pad_sequences``).

Same arguments, defaults and results as ``keras.utils.pad_sequences`` (also reachable as
``seqlab.utils.pad_sequences`` and ``seqlab.preprocessing.sequence.pad_sequences``), with two
deliberate differences, both about refusing silent changes: non-integral values or a
non-integral ``value`` are refused for an integer ``dtype`` (Keras truncates ``1.5`` to ``1``
without a word), and bad ``padding``/``truncating`` are refused even for empty input.

``padding_mask`` (or ``return_mask=True``) says which positions hold real steps: it is the
mask a ``Masking`` layer would compute from the padded batch, but it stays exact even when a
real step happens to equal the padding value.
"""
from __future__ import annotations

import numbers

import numpy as np

from seqlab.data._checks import check_choice, check_int
from seqlab.errors import describe


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0,
                  return_mask: bool = False):
    """Pad (and truncate) sequences to a common length.

    Args:
        sequences: a list of sequences (lists or arrays); each step may itself be a vector,
            all of one shape.
        maxlen: the common length; default the longest sequence.
        dtype: output dtype, ``"int32"`` by default as in Keras (``"float32"`` for real values,
            ``object`` for strings).
        padding: ``"pre"`` (pad at the start, Keras's default) or ``"post"``.
        truncating: ``"pre"`` (drop the first steps of long sequences) or ``"post"``.
        value: the padding value.
        return_mask: also return the boolean ``(samples, maxlen)`` mask of real steps.

    Returns:
        ``(samples, maxlen) + step_shape`` array; with ``return_mask``, ``(array, mask)``.

    >>> pad_sequences([[1, 2, 3, 4], [1, 2, 3], [1]]).tolist()
    [[1, 2, 3, 4], [0, 1, 2, 3], [0, 0, 0, 1]]
    >>> pad_sequences([[1, 2, 3, 4], [1, 2, 3], [1]], maxlen=2, truncating="post").tolist()
    [[1, 2], [1, 2], [0, 1]]
    """
    where = "pad_sequences"
    check_choice(where, "padding", padding, ("pre", "post"))
    check_choice(where, "truncating", truncating, ("pre", "post"))
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise TypeError(f"{where}: `sequences` must be a list of sequences, got {describe(sequences)}")
    lengths, step_shape = [], None
    for i, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__") or isinstance(sequence, (str, bytes)) and dtype != object:
            raise TypeError(f"{where}: `sequences` must be a list of sequences; item {i} is {describe(sequence)}")
        lengths.append(len(sequence))
        if step_shape is None and len(sequence):
            step_shape = np.asarray(sequence).shape[1:]
    step_shape = step_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    else:
        maxlen = check_int(where, "maxlen", maxlen)
    dtype = np.dtype(dtype)
    integer = np.issubdtype(dtype, np.integer)
    if isinstance(value, str) and dtype != object and not np.issubdtype(dtype, np.str_):
        raise ValueError(f"{where}: `dtype` {dtype} cannot hold the string padding `value`={value!r}; "
                         "use dtype=object")
    if integer and isinstance(value, numbers.Real) and value != int(value):
        raise ValueError(f"{where}: the padding `value`={value!r} is not an integer but `dtype` is {dtype}")

    padded = np.full((len(lengths), maxlen) + step_shape, value, dtype=dtype)
    mask = np.zeros((len(lengths), maxlen), dtype=bool)
    for i, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept)
        if kept.shape[1:] != step_shape:
            raise ValueError(f"{where}: sequence {i} has steps of shape {kept.shape[1:]}, the first "
                             f"non-empty sequence {step_shape}")
        if integer and np.issubdtype(kept.dtype, np.floating) and np.any(kept != np.round(kept)):
            raise ValueError(f"{where}: sequence {i} holds non-integer values such as "
                             f"{kept[kept != np.round(kept)].ravel()[0].item()!r} but `dtype` is {dtype}; "
                             "pass dtype='float32'")
        steps = slice(0, len(kept)) if padding == "post" else slice(maxlen - len(kept), maxlen)
        padded[i, steps] = kept
        mask[i, steps] = True
    return (padded, mask) if return_mask else padded


def padding_mask(sequences, maxlen=None, padding="pre", truncating="pre") -> np.ndarray:
    """The ``(samples, maxlen)`` boolean mask of real (not padded) steps after :func:`pad_sequences`.

    >>> padding_mask([[5, 6, 7], [8]], padding="post").tolist()
    [[True, True, True], [True, False, False]]
    """
    lengths = [len(sequence) for sequence in sequences]
    dummy = [np.zeros(n, dtype=np.int8) for n in lengths]
    return pad_sequences(dummy, maxlen=maxlen, dtype="int8", padding=padding, truncating=truncating,
                         return_mask=True)[1]
