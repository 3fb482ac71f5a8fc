"""Which rows a forecast window reads and which rows it predicts.

A window is identified by its *origin* ``e``: the index of the last row the forecaster may
see. With ``look_back`` rows of history, ``foresight`` skipped rows (the notes' gap between
the last observation and the first predicted value) and a ``horizon`` of predicted steps:

    inputs  = rows e - look_back + 1 ... e
    targets = rows e + foresight + 1 ... e + foresight + horizon

so ``look_back=7, foresight=6, horizon=1`` is the notes' ``createSeq`` and ``foresight=0``
predicts the next row. The model and every baseline are scored on the same origins, so they
answer exactly the same questions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqlab.checks import check_int


@dataclass(frozen=True)
class WindowSpec:
    """The shape of a forecasting window.

    Args:
        look_back: rows of history the model reads (>= 1).
        horizon: consecutive steps predicted from one origin (>= 1).
        foresight: rows skipped between the last observed row and the first target (>= 0).
        stride: distance between the origins of consecutive *training* windows (>= 1).

    >>> WindowSpec(look_back=7, foresight=6).span
    14
    """

    look_back: int
    horizon: int = 1
    foresight: int = 0
    stride: int = 1

    def __post_init__(self):
        check_int("WindowSpec", "look_back", self.look_back)
        check_int("WindowSpec", "horizon", self.horizon)
        check_int("WindowSpec", "foresight", self.foresight, minimum=0)
        check_int("WindowSpec", "stride", self.stride)

    @property
    def span(self) -> int:
        """Rows covered from the first input to the last target."""
        return self.look_back + self.foresight + self.horizon


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
    first = max(inputs_from + spec.look_back - 1, targets_from - spec.foresight - 1)
    last = targets_to - spec.foresight - spec.horizon - 1
    if last < first:
        return np.zeros(0, dtype=np.int64)
    return np.arange(first, last + 1, stride, dtype=np.int64)


def target_rows(spec: WindowSpec, origins: np.ndarray) -> np.ndarray:
    """Row index of every target: shape ``(N, horizon)``."""
    steps = np.arange(spec.foresight + 1, spec.foresight + spec.horizon + 1)
    return np.asarray(origins, dtype=np.int64)[:, None] + steps[None, :]


def gather_inputs(values: np.ndarray, spec: WindowSpec, origins: np.ndarray) -> np.ndarray:
    """The input windows.

    Input shape: ``values`` ``(T, F)``. Output shape: ``(N, look_back, F)``.

    >>> gather_inputs(np.arange(6.0)[:, None], WindowSpec(2), np.array([1, 4]))[:, :, 0].tolist()
    [[0.0, 1.0], [3.0, 4.0]]
    """
    offsets = np.arange(-spec.look_back + 1, 1)
    return np.asarray(values)[np.asarray(origins, dtype=np.int64)[:, None] + offsets[None, :]]


def gather_targets(values: np.ndarray, spec: WindowSpec, origins: np.ndarray) -> np.ndarray:
    """The target windows.

    Input shape: ``values`` ``(T, F)``. Output shape: ``(N, horizon, F)``.
    """
    return np.asarray(values)[target_rows(spec, origins)]
