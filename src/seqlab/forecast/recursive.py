"""Recursive multi-step forecasts: a one-step model fed its own predictions.

A *direct* model outputs the whole horizon at once (its last layer has ``horizon × targets``
units). A *recursive* forecast instead asks a one-step model for the next value, appends that
prediction to the window, drops the oldest row, and asks again — which is what the notes do
when "feeding its own predictions from previous periods", and why errors compound and the
line drifts towards a constant. Comparing both on the same origins shows that drift.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from seqlab.checks import check_int


def recursive_forecast(step: Callable[[np.ndarray], np.ndarray], windows, steps: int) -> np.ndarray:
    """Forecast ``steps`` values by feeding each one-step prediction back as input.

    Every input feature must be predicted (the fed-back row is the prediction itself), so
    ``step`` maps ``(N, look_back, F)`` to ``(N, F)`` (or ``(N, 1, F)``).

    Args:
        step: the one-step forecaster, e.g. ``lambda w: model.predict(w, verbose=0)``.
        windows: the starting windows, shape ``(N, look_back, F)``.
        steps: how many steps to forecast (>= 1).

    Returns:
        Array of shape ``(N, steps, F)``.

    >>> last = lambda w: w[:, -1, :] + 1.0      # "tomorrow = today + 1"
    >>> recursive_forecast(last, np.zeros((1, 3, 1)), 3)[0, :, 0].tolist()
    [1.0, 2.0, 3.0]
    """
    steps = check_int("recursive_forecast", "steps", steps)
    window = np.array(windows, copy=True)
    if window.ndim != 3:
        raise ValueError(
            f"recursive_forecast: `windows` must be 3-D (N, look_back, F), got shape {window.shape}"
        )
    outputs = []
    for _ in range(steps):
        prediction = np.asarray(step(window))
        if prediction.ndim == 3 and prediction.shape[1] == 1:
            prediction = prediction[:, 0, :]
        if prediction.shape != (window.shape[0], window.shape[2]):
            raise ValueError(
                "recursive_forecast: the one-step forecaster must predict every input feature, "
                f"shape (N, F) = {(window.shape[0], window.shape[2])}, got {prediction.shape}; "
                "recursive forecasts need the targets to be the inputs"
            )
        outputs.append(prediction)
        # (N, look_back, F): drop the oldest row, append the prediction as the newest.
        window = np.concatenate([window[:, 1:, :], prediction[:, None, :].astype(window.dtype)], axis=1)
    return np.stack(outputs, axis=1)
