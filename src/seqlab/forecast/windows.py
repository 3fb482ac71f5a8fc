"""Which windows a forecast scores, and their rows, by the one window rule of seqlab.

The rule is :class:`seqlab.data.windows.WindowSpec` (re-exported here): a window is
identified by its *origin* ``e``, the last row the forecaster may see, and reads rows
``e - look_back + 1 ... e`` to predict rows ``e + foresight + 1 ... e + foresight + horizon``;
so ``look_back=7, foresight=6, horizon=1`` is the notes' ``createSeq`` and ``foresight=0``
predicts the next row. The model and every baseline are scored on the same origins, so they
answer exactly the same questions.
"""
from __future__ import annotations

import numpy as np

from seqlab.data.windows import WindowSpec


def window_origins(spec: WindowSpec, targets_from: int, targets_to: int,
                   inputs_from: int = 0, stride: int = 1) -> np.ndarray:
    """Origins of every window whose targets all lie in rows ``[targets_from, targets_to)``.

    Inputs may reach back before ``targets_from`` (they are the past, not a leak) but not
    before ``inputs_from``.

    Returns:
        int64 array of shape ``(N,)``, possibly empty.

    >>> window_origins(WindowSpec(look_back=3), targets_from=5, targets_to=8).tolist()
    [4, 5, 6]
    """
    first_target, last_target = spec.target_offsets[0], spec.target_offsets[-1]
    first = max(spec.origin_of(inputs_from), targets_from - first_target)
    last = targets_to - 1 - last_target
    if last < first:
        return np.zeros(0, dtype=np.int64)
    return np.arange(first, last + 1, stride, dtype=np.int64)


def target_rows(spec: WindowSpec, origins: np.ndarray) -> np.ndarray:
    """Row index of every target: shape ``(N, horizon)``."""
    return np.asarray(origins, dtype=np.int64)[:, None] + spec.target_offsets[None, :]


def gather_inputs(values: np.ndarray, spec: WindowSpec, origins: np.ndarray) -> np.ndarray:
    """The input windows.

    Input shape: ``values`` ``(T, F)``. Output shape: ``(N, look_back, F)``.

    >>> gather_inputs(np.arange(6.0)[:, None], WindowSpec(2), np.array([1, 4]))[:, :, 0].tolist()
    [[0.0, 1.0], [3.0, 4.0]]
    """
    return np.asarray(values)[np.asarray(origins, dtype=np.int64)[:, None] + spec.input_offsets[None, :]]


def gather_targets(values: np.ndarray, spec: WindowSpec, origins: np.ndarray) -> np.ndarray:
    """The target windows.

    Input shape: ``values`` ``(T, F)``. Output shape: ``(N, horizon, F)``.
    """
    return np.asarray(values)[target_rows(spec, origins)]


__all__ = ["WindowSpec", "window_origins", "target_rows", "gather_inputs", "gather_targets"]
