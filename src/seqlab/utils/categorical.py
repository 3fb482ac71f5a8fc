"""One-hot encoding of integer class labels (Keras's ``to_categorical``)."""
from __future__ import annotations

import numpy as np

from seqlab.checks import check_int


def to_categorical(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot encode integer labels.

    Input shape: any, e.g. ``(N,)`` or ``(N, 1)`` (a trailing axis of size 1 is dropped, as in
    Keras). Output shape: input shape + ``(num_classes,)``.

    >>> to_categorical([0, 2, 1], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    labels = np.asarray(y)
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.floating) or not np.all(np.mod(labels, 1) == 0):
            raise ValueError(
                f"to_categorical: `y` must hold integer class labels, got values of dtype "
                f"{labels.dtype} such as {labels.ravel()[:3].tolist()}"
            )
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: `y` must not hold negative labels, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    else:
        num_classes = check_int("to_categorical", "num_classes", num_classes)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {labels.max()} does not fit `num_classes`={num_classes} "
            f"(labels must be in 0..{num_classes - 1})"
        )
    return np.eye(num_classes, dtype=dtype)[labels]
