"""Padding and truncating variable-length sequences to one length (Keras's ``pad_sequences``).

Same arguments, defaults and results as ``keras.utils.pad_sequences`` (also reachable as
``seqlab.utils.pad_sequences`` and ``seqlab.preprocessing.sequence.pad_sequences``), with two
deliberate differences, both about refusing silent changes: values (or a padding ``value``)
that an integer ``dtype`` cannot hold exactly are refused, naming the sequence and the value —
non-integers (Keras truncates ``1.5`` to ``1`` without a word), NaN and infinity, and values
outside the dtype's range (Keras lets ``300`` wrap to ``44`` in ``int8``) — and bad
``padding``/``truncating`` are refused even for empty input.

``padding_mask`` (or ``return_mask=True``) says which positions hold real steps: it is the
mask a ``Masking`` layer would compute from the padded batch, but it stays exact even when a
real step happens to equal the padding value.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from seqlab.checks import check_choice, check_int
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
    misfit = _misfit(np.asarray(value), dtype) if integer and isinstance(value, numbers.Real) else None
    if misfit:
        raise ValueError(f"{where}: the padding `value`={value!r} cannot be held by `dtype` {dtype} ({misfit[1]})")

    try:
        padded = np.full((len(lengths), maxlen) + step_shape, value, dtype=dtype)
    except OverflowError as error:  # a Python int beyond even int64/uint64
        raise ValueError(f"{where}: the padding `value`={value!r} does not fit `dtype` {dtype} ({error})") from None
    mask = np.zeros((len(lengths), maxlen), dtype=bool)
    for i, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept)
        if kept.shape[1:] != step_shape:
            raise ValueError(f"{where}: sequence {i} has steps of shape {kept.shape[1:]}, the first "
                             f"non-empty sequence {step_shape}")
        misfit = _misfit(kept, dtype) if integer else None
        if misfit:
            bad, problem, hint = misfit
            raise ValueError(f"{where}: sequence {i} holds {bad!r}, which `dtype` {dtype} cannot hold "
                             f"({problem}); {hint}")
        steps = slice(0, len(kept)) if padding == "post" else slice(maxlen - len(kept), maxlen)
        try:
            padded[i, steps] = kept
        except OverflowError as error:  # Python ints beyond even int64/uint64 (an object array)
            raise ValueError(f"{where}: sequence {i} holds values that do not fit `dtype` {dtype} "
                             f"({error})") from None
        mask[i, steps] = True
    return (padded, mask) if return_mask else padded


def _misfit(values: np.ndarray, dtype: np.dtype):
    """The first value the integer ``dtype`` cannot hold exactly, why, and what to do; None when all fit.

    Casting would not say: NaN and inf become arbitrary integers, 300 wraps to 44 in int8, an
    object 1.5 or a Fraction becomes 1, a complex number loses its imaginary part.
    """
    kind = values.dtype.kind
    if kind == "c":
        return values.ravel()[0].item(), "a complex number", "pass its real part (x.real)"
    if kind in "mM":
        return values.ravel()[0], f"a {values.dtype} value", "convert it to numbers first"
    if kind == "O":
        return _object_misfit(values.ravel().tolist(), dtype)
    if kind == "f":
        for problem, bad in (("not finite", ~np.isfinite(values)), ("not an integer", values != np.round(values))):
            if bad.any():
                return values[bad].ravel()[0].item(), problem, "pass dtype='float32'"
    if kind in "iuf" and values.size:
        # .item() gives Python numbers, whose int/float comparisons are exact (no rounding of 2**63).
        for extreme in (values.min().item(), values.max().item()):
            misfit = _out_of_range(extreme, dtype)
            if misfit:
                return misfit
    return None


def _object_misfit(items: list, dtype: np.dtype):
    # Python numbers of any kind (int, float, Decimal, Fraction), checked one by one and exactly.
    for item in items:
        if isinstance(item, complex):
            return item, "a complex number", "pass its real part"
        try:
            finite = math.isfinite(item)
        except TypeError:
            continue  # not a number: numpy's own conversion error names it
        if not finite:
            return item, "not finite", "pass dtype='float32'"
        if item != int(item):
            return item, "not an integer", "pass dtype='float32'"
        misfit = _out_of_range(int(item), dtype)
        if misfit:
            return misfit
    return None


def _out_of_range(value, dtype: np.dtype):
    info = np.iinfo(dtype)
    if info.min <= value <= info.max:
        return None
    if dtype.itemsize < 8:
        hint = "pass a wider dtype such as 'int64'"
    elif 0 <= value <= np.iinfo(np.uint64).max:
        hint = "pass dtype='uint64'"
    else:
        hint = "pass dtype=object, which holds any Python int"
    return value, f"outside its range [{info.min}, {info.max}]", hint


def padding_mask(sequences, maxlen=None, padding="pre", truncating="pre") -> np.ndarray:
    """The ``(samples, maxlen)`` boolean mask of real (not padded) steps after :func:`pad_sequences`.

    >>> padding_mask([[5, 6, 7], [8]], padding="post").tolist()
    [[True, True, True], [True, False, False]]
    """
    lengths = [len(sequence) for sequence in sequences]
    dummy = [np.zeros(n, dtype=np.int8) for n in lengths]
    return pad_sequences(dummy, maxlen=maxlen, dtype="int8", padding=padding, truncating=truncating,
                         return_mask=True)[1]
