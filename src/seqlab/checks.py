"""Argument checks shared by every floor: layers, training, callbacks, data and forecasts.

Each check names its owner (a layer's class, a function such as ``fit``), the argument, the
value received and what was expected: "LSTM: `units` must be a positive integer, got 0".
``TypeError`` for a wrong type, ``ValueError`` for a wrong value; nothing is clamped or coerced
beyond the plain conversion the message promises (``np.int64(3)`` → ``3``).
"""
from __future__ import annotations

import numbers

import numpy as np

from seqlab.errors import describe


def _integer_kind(minimum: int) -> str:
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    return f"an integer >= {minimum}"


def check_int(owner: str, argument: str, value, minimum: int = 1) -> int:
    """An integer >= ``minimum``; bools are refused (``True`` is not a window length)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: `{argument}` must be {_integer_kind(minimum)}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{owner}: `{argument}` must be {_integer_kind(minimum)}, got {value}")
    return int(value)


def check_seed(owner: str, argument: str, value, allow_none: bool = True) -> int | None:
    """A random seed: a non-negative integer (or None where the owner draws its own)."""
    kind = "None or a non-negative integer" if allow_none else "a non-negative integer"
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: `{argument}` must be {kind}, got {describe(value)}")
    if value < 0:
        raise ValueError(f"{owner}: `{argument}` must be {kind}, got {value}")
    return int(value)


def check_bool(owner: str, argument: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: `{argument}` must be True or False, got {describe(value)}")
    return bool(value)


def check_rate(owner: str, argument: str, value) -> float:
    """A dropout-like rate: a number in [0, 1). Never clamped."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: `{argument}` must be a number in [0, 1), got {describe(value)}")
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: `{argument}` must be in [0, 1), got {value}")
    return float(value)


def check_choice(owner: str, argument: str, value, choices: tuple):
    if value not in choices:
        options = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{owner}: `{argument}` must be {options}, got {describe(value)}")
    return value


def format_shape(shape) -> str:
    """``(None, 7, 1)``; a one-axis shape keeps its comma: ``(4,)``."""
    shape = tuple(shape)
    inner = ", ".join("None" if s is None else str(s) for s in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"
