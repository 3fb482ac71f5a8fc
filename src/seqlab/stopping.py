"""A stop asked for by a signal, honoured at the next safe point.

A signal handler runs between any two bytecodes of the main thread — inside a weakref callback,
a ``__del__``, a ``finally`` that is writing ``status.json`` — and Python ignores an exception
raised there ("Exception ignored in: ..."), so a handler that raises loses some stops. The
handler here only records the signal (:func:`request`); the work asks at its safe points
(:func:`check`: between two batches of ``fit``/``evaluate``/``predict``, between the stages of a
run) and raises :class:`StopRequested` there, from ordinary code, where it always propagates.

Only the CLI installs the handlers (:func:`install`); a program that uses seqlab as a library
keeps Python's own Ctrl-C behaviour, and :func:`check` costs one attribute read.
"""
from __future__ import annotations

import signal

_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class StopRequested(KeyboardInterrupt):
    """Raised at a safe point after a stop signal: a ``KeyboardInterrupt``, as Ctrl-C is, so that
    whatever already cleans up after Ctrl-C (the run folder's ``interrupted`` record) does so."""

    def __init__(self, signal_number: int):
        super().__init__(f"stopped by {signal_name(signal_number)}")
        self.signal_number = signal_number


class _Request:
    signal_number: int | None = None


_REQUEST = _Request()


def signal_name(signal_number: int) -> str:
    return _NAMES.get(signal_number, f"signal {signal_number}")


def request(signal_number: int) -> None:
    """Ask the work to stop at its next safe point (the first request is the one kept)."""
    if _REQUEST.signal_number is None:
        _REQUEST.signal_number = signal_number


def requested() -> int | None:
    """The signal that asked for a stop, or ``None``."""
    return _REQUEST.signal_number


def clear() -> None:
    _REQUEST.signal_number = None


def check() -> None:
    """A safe point: raise :class:`StopRequested` if a stop was asked for."""
    if _REQUEST.signal_number is not None:
        raise StopRequested(_REQUEST.signal_number)


def _handle(signal_number, frame) -> None:
    if signal_number == signal.SIGINT and _REQUEST.signal_number is not None:
        # A second Ctrl-C insists: Python's own interrupt, for a step that has no safe point
        # soon (the stop is already recorded, so the run folder still says why it ended).
        signal.default_int_handler(signal_number, frame)
    request(signal_number)


def install() -> dict | None:
    """Route SIGINT and SIGTERM to :func:`request`; returns the previous handlers, for
    :func:`restore`, or ``None`` outside the main thread (where Python refuses handlers)."""
    clear()
    previous = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, _handle)
    except ValueError:  # not the main thread: leave the signals alone
        restore(previous)
        return None
    return previous


def restore(previous: dict | None) -> None:
    """Put the handlers back and forget any request (a later ``fit`` in the same process runs)."""
    for number, handler in (previous or {}).items():
        signal.signal(number, handler)
    clear()
