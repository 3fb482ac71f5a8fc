"""Readable signals to hold units against (:func:`~seqlab.inspect.correlate_units`, the explorer):
what a character model might track in a text (:func:`text_signals`) and what a forecaster
might follow in a series (:func:`series_signals`).

Shape contract, shared by both and by :func:`cut_signals`: given one sequence of length ``T``
every signal is a ``(T,)`` float64 array; given ``N`` windows of length ``L`` (the ``(N, L)``
inputs a model sees) every signal is ``(N, L)``, each window read on its own, so that the
signals plug into ``correlate_units(trace, signals)`` and ``explore(model, x, signals=...)``.
A window read on its own knows nothing before its first step (the position in the line
counts from the window's start until its first newline; a trailing mean has fewer values at
the start). For windows cut from one long sequence, compute the signals of the whole
sequence once and cut them as the inputs were cut, with :func:`cut_signals`: every step then
keeps its true context.
"""
from __future__ import annotations

import string

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from seqlab.checks import check_int
from seqlab.errors import describe

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def text_signals(text) -> dict[str, np.ndarray]:
    """Per-character signals of a text, 0/1 flags or counts, as float64 arrays.

    - ``line_position``: characters since the last newline (0 at a line's first character; a
      newline is the last character of its line, so it has the line's length). Before the
      first newline, characters since the start.
    - ``line_end``: characters until the next newline (0 at the newline itself; after the last
      newline, until one past the end of the text, as if a newline followed it). It falls to
      0 as the end of a line approaches.
    - ``speaker_name``: 1 on the characters of a *speaker head*, a line that ends with ``':'``
      and is the first line of the text or follows an empty line (tinyshakespeare's
      ``"\\n\\nFirst Citizen:\\n"``; the colon counts, the newline does not). A line ending in a
      colon inside a speech (``"and thus answer'd:"``) follows a non-empty line: it is not one.
    - ``in_quotes``: 1 where an odd number of double quotes ``"`` have been read up to and
      including the character: the opening quote and what follows it, up to the closing quote
      (which is 0). Apostrophes do not count: in Shakespeare they are elisions (``'Tis``).
    - ``upper``: 1 on upper-case letters. ``whitespace``: 1 on spaces, newlines, tabs.
    - ``punctuation``: 1 on ASCII punctuation (``string.punctuation``, apostrophe included).

    Args:
        text: one ``str`` (signals ``(T,)``), or ``N`` windows of equal length ``L``: a list of
            strings or an ``(N, L)`` array of single characters (signals ``(N, L)``, each
            window read on its own; see the module's note and :func:`cut_signals`).

    Returns:
        ``{name: array}`` in the order above.

    >>> s = text_signals('A:\\nab "c"\\n')
    >>> s['line_position'].tolist()
    [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    >>> s['speaker_name'].tolist()[:4], s['in_quotes'].tolist()[6:10]
    ([1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0])
    """
    if isinstance(text, str):
        return _text_signals(text)
    windows = _text_windows(text)
    per_window = [_text_signals(window) for window in windows]
    return {name: np.stack([signals[name] for signals in per_window]) for name in per_window[0]}


def _text_windows(text) -> list[str]:
    if isinstance(text, np.ndarray) and text.ndim == 2 and text.dtype.kind == "U":
        if text.size and max(len(c) for c in text.ravel().tolist()) > 1:
            raise ValueError("text_signals: an (N, L) array of windows must hold single characters")
        windows = ["".join(row) for row in text.tolist()]
    elif isinstance(text, (list, tuple)) and text and all(isinstance(w, str) for w in text):
        windows = list(text)
    else:
        raise TypeError(f"text_signals: `text` must be a str, a list of equal-length strings or an "
                        f"(N, L) array of characters, got {describe(text)}")
    lengths = sorted({len(w) for w in windows})
    if len(lengths) != 1 or lengths[0] == 0:
        raise ValueError(f"text_signals: windows must all have the same non-zero length, got lengths {lengths}")
    return windows


def _text_signals(text: str) -> dict[str, np.ndarray]:
    chars = np.array(list(text), dtype="U1")
    steps = np.arange(len(text))
    newline = chars == "\n"
    # The index of the last newline strictly before each step (-1 if none).
    previous = np.maximum.accumulate(np.where(newline, steps, -1))
    before = np.concatenate([[-1], previous[:-1]])
    # The index of the next newline at or after each step (len(text) if none).
    following = np.minimum.accumulate(np.where(newline, steps, len(text))[::-1])[::-1]
    return {
        "line_position": (steps - before - 1).astype("float64"),
        "line_end": (following - steps).astype("float64"),
        "speaker_name": _speaker_heads(text).astype("float64"),
        "in_quotes": (np.cumsum(chars == '"') % 2).astype("float64"),
        "upper": np.array([c.isupper() for c in text], dtype="float64"),
        "whitespace": np.array([c.isspace() for c in text], dtype="float64"),
        "punctuation": np.isin(chars, list(string.punctuation)).astype("float64"),
    }


def _speaker_heads(text: str) -> np.ndarray:
    flags = np.zeros(len(text), dtype=bool)
    start, previous_line = 0, ""
    for number, line in enumerate(text.split("\n")):
        if line.endswith(":") and (number == 0 or previous_line == ""):
            flags[start:start + len(line)] = True
        start, previous_line = start + len(line) + 1, line
    return flags


def series_signals(values, timestamps=None, window: int = 7) -> dict[str, np.ndarray]:
    """Per-step signals of a series: its value, level and trend, and the day of the week.

    - ``value``: the value itself.
    - ``level``: the mean of the last ``window`` values, the step's own included (of the ones
      there are at the start).
    - ``trend``: the least-squares slope, per step, of a line through those same values (0
      where there is one value).
    - with ``timestamps``: ``monday`` … ``sunday``, 1 on that day; ``weekday_sin`` and
      ``weekday_cos``, ``sin``/``cos(2π d / 7)`` with ``d`` 0 on Mondays: the weekly phase.

    Args:
        values: finite numbers, ``(T,)`` for one series or ``(N, L)`` for windows (each read on
            its own: the first steps of a window have fewer values behind them; see
            :func:`cut_signals` to keep the series' history).
        timestamps: optional dates of the same shape (datetime64, pandas Timestamps, strings
            pandas reads as dates).
        window: how many values the level and trend look back over (a positive integer).

    Returns:
        ``{name: array}`` of ``values``'s shape, float64.

    >>> s = series_signals([1.0, 3.0, 2.0, 6.0], timestamps=['2024-01-05', '2024-01-06', '2024-01-07', '2024-01-08'], window=2)
    >>> s['level'].tolist(), s['trend'].tolist(), s['monday'].tolist()
    ([1.0, 2.0, 2.5, 4.0], [0.0, 2.0, -1.0, 4.0], [0.0, 0.0, 0.0, 1.0])
    """
    window = check_int("series_signals", "window", window)
    try:
        values = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        raise TypeError(f"series_signals: `values` must be an array of numbers, got {describe(values)}") from None
    if values.ndim not in (1, 2) or values.shape[-1] == 0:
        raise ValueError(f"series_signals: `values` must be (T,) or (N, L) with at least one step, "
                         f"got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"series_signals: `values` must be finite; {int((~np.isfinite(values)).sum())} "
                         "are NaN or infinite (fill them first, e.g. seqlab.data.missing)")
    level, trend = _trailing_level_and_slope(values, window)
    signals = {"value": values.copy(), "level": level, "trend": trend}
    if timestamps is not None:
        signals.update(_weekday_signals(timestamps, values.shape))
    return signals


def _trailing_level_and_slope(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and least-squares slope of the last ``window`` values along the last axis."""
    padding = [(0, 0)] * (values.ndim - 1) + [(window - 1, 0)]
    padded = np.pad(values, padding, constant_values=np.nan)
    recent = sliding_window_view(padded, window, axis=-1)   # (..., T, window), oldest first
    present = ~np.isnan(recent)
    offsets = np.broadcast_to(np.arange(window, dtype="float64"), recent.shape)
    count = present.sum(axis=-1)
    mean_y = np.nansum(recent, axis=-1) / count
    mean_k = np.where(present, offsets, 0).sum(axis=-1) / count
    dk = np.where(present, offsets - mean_k[..., None], 0.0)
    dy = np.where(present, recent - mean_y[..., None], 0.0)
    spread = (dk ** 2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.where(spread > 0, (dk * dy).sum(axis=-1) / spread, 0.0)
    return mean_y, slope


def _weekday_signals(timestamps, shape: tuple) -> dict[str, np.ndarray]:
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(np.asarray(timestamps).ravel()))
    except (TypeError, ValueError) as error:
        raise TypeError(f"series_signals: `timestamps` must be dates, got {describe(timestamps)} ({error})") from None
    if len(dates) != int(np.prod(shape)):
        raise ValueError(f"series_signals: `timestamps` must have the shape of `values`, {shape}, "
                         f"got {np.shape(timestamps)}")
    day = dates.day_of_week.to_numpy().reshape(shape)           # 0 = Monday
    signals = {name: (day == number).astype("float64") for number, name in enumerate(WEEKDAYS)}
    signals["weekday_sin"] = np.sin(2 * np.pi * day / 7)
    signals["weekday_cos"] = np.cos(2 * np.pi * day / 7)
    return signals


def cut_signals(signals: dict, starts, length: int) -> dict[str, np.ndarray]:
    """The ``(N, L)`` windows of ``(T,)`` signals that start at ``starts``, as the inputs were cut.

    ``result[name][i, t] = signals[name][starts[i] + t]``: window ``i`` of, e.g.,
    ``text_windows(ids, L, stride)`` starts at ``i * stride``.

    >>> cut_signals({'s': np.arange(6.0)}, starts=[0, 2], length=3)['s'].tolist()
    [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0]]
    """
    length = check_int("cut_signals", "length", length)
    starts = np.asarray(starts)
    if starts.ndim != 1 or starts.dtype.kind not in "iu":
        raise TypeError(f"cut_signals: `starts` must be a 1-D array of integers, got {describe(starts)}")
    result = {}
    for name, signal in signals.items():
        signal = np.asarray(signal, dtype="float64")
        if signal.ndim != 1:
            raise ValueError(f"cut_signals: signal {name!r} must be 1-D (T,), got shape {signal.shape}")
        if starts.size and (starts.min() < 0 or starts.max() + length > signal.size):
            raise ValueError(f"cut_signals: windows of length {length} at starts {starts.min()}..{starts.max()} "
                             f"must lie within signal {name!r} of length {signal.size}")
        result[name] = signal[starts[:, None] + np.arange(length)]
    return result
