"""Categorical labels ↔ one-hot vectors, with scikit-learn's encoders doing the label work.

seqlab does not reimplement ``LabelEncoder``/``OneHotEncoder``: :func:`encode_labels` fits a
``LabelEncoder`` and one-hot encodes its integer codes with :func:`to_categorical` (Keras's);
:func:`decode_onehot` goes back through ``argmax`` and the encoder's ``inverse_transform``, as
in the notes' 'cold/warm/hot' example.
"""
from __future__ import annotations

import numpy as np
from sklearn.preprocessing import LabelEncoder

from seqlab.errors import describe
from seqlab.utils.categorical import to_categorical


def from_categorical(onehot, axis: int = -1) -> np.ndarray:
    """Class indices from one-hot vectors or class scores (softmax outputs): the argmax.

    Input shape: ``(..., classes)``. Output shape: ``(...)``, int64.

    >>> from_categorical([[0.1, 0.7, 0.2], [1.0, 0.0, 0.0]]).tolist()
    [1, 0]
    """
    scores = np.asarray(onehot)
    if scores.ndim == 0 or scores.shape[axis] == 0:
        raise ValueError(f"from_categorical: `onehot` needs a non-empty class axis {axis}, got shape {scores.shape}")
    if not np.issubdtype(scores.dtype, np.number) and scores.dtype != bool:
        raise TypeError(f"from_categorical: `onehot` must be numeric, got dtype {scores.dtype}")
    return np.argmax(scores, axis=axis).astype(np.int64)


def encode_labels(values, encoder: LabelEncoder | None = None, dtype="float32"):
    """One-hot encode categorical values; returns ``(onehot, fitted LabelEncoder)``.

    Classes are ordered as ``LabelEncoder`` orders them (sorted). Pass a fitted ``encoder`` to
    encode new values with the same classes; unseen values raise ``ValueError``.

    Input shape: ``(samples,)``. Output shape: ``(samples, classes)``.

    >>> onehot, encoder = encode_labels(["cold", "warm", "hot"])
    >>> onehot.tolist(), encoder.classes_.tolist()
    ([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], ['cold', 'hot', 'warm'])
    """
    labels = np.asarray(values)
    if labels.ndim != 1:
        raise ValueError(f"encode_labels: `values` must be 1-D (samples,), got shape {labels.shape}")
    if encoder is None:
        encoder = LabelEncoder().fit(labels)
    elif not hasattr(encoder, "classes_"):
        raise ValueError("encode_labels: `encoder` must be a fitted LabelEncoder (call fit first) or None")
    unseen = sorted(set(labels.tolist()) - set(encoder.classes_.tolist()))
    if unseen:
        raise ValueError(f"encode_labels: values {describe(unseen)} are not among the encoder's classes "
                         f"{describe(encoder.classes_.tolist())}")
    codes = encoder.transform(labels)
    return to_categorical(codes, num_classes=len(encoder.classes_), dtype=dtype), encoder


def decode_onehot(onehot, encoder) -> np.ndarray:
    """Labels back from one-hot vectors or class scores: argmax, then ``inverse_transform``.

    ``encoder`` is a fitted ``LabelEncoder``, or a fitted ``OneHotEncoder`` with one feature
    (its ``categories_[0]`` name the columns).

    >>> onehot, encoder = encode_labels(["cold", "warm", "hot"])
    >>> decode_onehot(onehot[:1], encoder).tolist()
    ['cold']
    """
    codes = from_categorical(onehot)
    classes = getattr(encoder, "classes_", None)
    if classes is None and hasattr(encoder, "categories_"):
        if len(encoder.categories_) != 1:
            raise ValueError(f"decode_onehot: a OneHotEncoder of {len(encoder.categories_)} features "
                             "cannot be decoded by one argmax; use its inverse_transform")
        classes = encoder.categories_[0]
    if classes is None:
        raise TypeError(f"decode_onehot: `encoder` must be a fitted LabelEncoder or OneHotEncoder, "
                        f"got {describe(encoder)}")
    if np.shape(onehot)[-1] != len(classes):
        raise ValueError(f"decode_onehot: `onehot` has {np.shape(onehot)[-1]} classes, the encoder "
                         f"{len(classes)}")
    return np.asarray(classes)[codes]


__all__ = ["to_categorical", "from_categorical", "encode_labels", "decode_onehot"]
